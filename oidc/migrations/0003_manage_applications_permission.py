"""Each practice's administrator role (the one it started with) may manage applications.

A new permission, "Manage applications" (apps.manage): new practices' administrator roles hold
every permission (practice.roles.SEEDS); this gives it to the administrator role every existing
practice started with, as accounts 0009 seeded it. Roles a practice made itself are left as
they are: an administrator gives it to them on the roles page. The value is written out here,
not imported: later changes to the vocabulary must not rewrite history.
"""

from django.db import migrations

MANAGE_APPLICATIONS = "apps.manage"


def give(apps, schema_editor):
    PracticeRole = apps.get_model("practice", "PracticeRole")
    for role in PracticeRole.objects.filter(seeded_as="admin"):
        if MANAGE_APPLICATIONS not in role.permissions:
            role.permissions = sorted({*role.permissions, MANAGE_APPLICATIONS})
            role.save(update_fields=["permissions"])


def take_back(apps, schema_editor):
    PracticeRole = apps.get_model("practice", "PracticeRole")
    for role in PracticeRole.objects.all():
        if MANAGE_APPLICATIONS in role.permissions:
            role.permissions = [p for p in role.permissions if p != MANAGE_APPLICATIONS]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [
        ("oidc", "0002_signins"),
        ("accounts", "0009_roles_from_fixed_roles"),
    ]

    operations = [migrations.RunPython(give, take_back)]
