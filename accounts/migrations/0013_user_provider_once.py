from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0012_provider_links_unshared")]

    operations = [
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                condition=models.Q(("provider__isnull", False)),
                fields=("provider",),
                name="user_provider_once",
            ),
        ),
    ]
