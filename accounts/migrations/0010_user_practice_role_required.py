"""Every practice user has a role from here on (support staff have none)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_roles_from_fixed_roles"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(("practice__isnull", True), ("practice_role__isnull", False), _connector="OR"),
                name="user_practice_role_set",
            ),
        ),
    ]
