"""Seed every practice's three roles from the fixed roles and give each user the matching one.

Before roles could be shaped, a user was an administrator, a user manager or a user
(User.role). Each practice now gets three editable roles holding what those could do, and each
user the role of their old one, so nothing changes for anyone. Whether a role includes
self-service 2FA reset follows the practice's setting at the time. The lists are written out
here, as they were when this ran, rather than imported: later changes to the seeds must not
rewrite history.
"""

from django.db import migrations

EVERYTHING = [
    "audit.read",
    "practice.settings",
    "reviews.run",
    "roles.manage",
    "self.reset_pairing",
    "users.activate",
    "users.add",
    "users.edit",
    "users.login_times",
    "users.offboard",
    "users.remote_access",
    "users.reset_pairing",
    "users.temporary_password",
    "users.unlock",
    "users.view",
]
SEEDS = [
    ("admin", "Practice administrator", EVERYTHING),
    (
        "user_manager",
        "User manager",
        ["self.reset_pairing", "users.add", "users.edit", "users.unlock", "users.view"],
    ),
    ("user", "User", ["self.reset_pairing"]),
]
SELF_SERVICE = "self.reset_pairing"


def seed_and_map(apps, schema_editor):
    Practice = apps.get_model("practice", "Practice")
    PracticeRole = apps.get_model("practice", "PracticeRole")
    User = apps.get_model("accounts", "User")
    for practice in Practice.objects.all():
        for kind, name, permissions in SEEDS:
            held = [p for p in permissions if p != SELF_SERVICE or practice.allow_self_pairing_reset]
            role, _ = PracticeRole.objects.get_or_create(
                practice=practice, seeded_as=kind, defaults={"name": name, "permissions": held}
            )
            User.objects.filter(practice=practice, role=kind, practice_role__isnull=True).update(
                practice_role=role
            )


def unmap(apps, schema_editor):
    # User.role kept the tier all along; going back only forgets the roles.
    User = apps.get_model("accounts", "User")
    PracticeRole = apps.get_model("practice", "PracticeRole")
    User.objects.update(practice_role=None)
    PracticeRole.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_user_practice_role"),
        ("practice", "0005_practice_roles"),
    ]

    operations = [migrations.RunPython(seed_and_map, unmap)]
