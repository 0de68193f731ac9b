"""Resetting a user's 2FA pairing (PCC's "Reset Authy Pairing"): every second factor goes.

The next sign-in that needs a second factor sends the user to set one up again.
"""

from django.db import transaction
from django_otp import devices_for_user

from accounts.models import User
from accounts.notices import notice_send
from practice.audit import audit_record


@transaction.atomic
def pairing_reset(*, user: User, actor: User | None, request=None) -> int:
    """Delete all of the user's second factors (confirmed or not); returns how many."""
    devices = list(devices_for_user(user, confirmed=None))
    kinds = sorted({device._meta.label_lower for device in devices})
    for device in devices:
        device.delete()
    audit_record(
        action="mfa.pairing_reset",
        actor=actor,
        target=user,
        request=request,
        details={"removed": len(devices), "kinds": kinds},
    )
    notice_send(
        user=user,
        subject="PracticeGate: your two-factor authentication was reset",
        template="emails/pairing_reset.txt",
        context={"by_self": actor is not None and actor.pk == user.pk},
    )
    return len(devices)
