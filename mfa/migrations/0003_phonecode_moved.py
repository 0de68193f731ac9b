from django.db import migrations


class Migration(migrations.Migration):
    """PhoneCode now belongs to the phonecodes app (same table); mfa forgets it."""

    dependencies = [
        ("mfa", "0002_devices"),
        ("phonecodes", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="PhoneCode")],
            database_operations=[],
        ),
    ]
