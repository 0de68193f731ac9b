"""A provider is linked to one user at most (the constraint follows in 0013).

Before the constraint, links that broke the rule are resolved: for each provider linked to more
than one user, the user with the lowest id (the first made) keeps it, the others are unlinked,
and each unlink is written to the practice's audit log ("Provider link changed", by the system)
so the practice can see whose link went and why.
"""

from django.db import migrations
from django.db.models import Count
from django.utils import timezone

WHY = "A provider is linked to one user at most: the first user made kept the link."


def unlink_duplicates(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    AuditEvent = apps.get_model("practice", "AuditEvent")
    shared = (
        User.objects.filter(provider__isnull=False)
        .values("provider")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("provider", flat=True)
    )
    for provider_id in list(shared):
        users = list(User.objects.filter(provider_id=provider_id).select_related("provider"))
        users.sort(key=lambda user: user.pk)
        for user in users[1:]:
            AuditEvent.objects.create(
                practice_id=user.practice_id,
                target=user,
                action="user.provider_changed",
                details={"before": user.provider.name, "after": None, "why": WHY},
                created_at=timezone.now(),
            )
            User.objects.filter(pk=user.pk).update(provider=None)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0011_login_windows_per_day"),
        ("practice", "0006_practice_sms_regions"),
    ]

    # The constraint comes in 0013, in a transaction of its own: PostgreSQL does not change a
    # table in the transaction that has just updated its rows (deferred key checks pending).
    operations = [migrations.RunPython(unlink_duplicates, migrations.RunPython.noop)]
