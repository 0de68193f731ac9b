"""Changes common to every kind of second factor: renaming, removing, and telling the user.

The per-factor packages (totp/, phone/, recovery_codes/, webauthn/, email/) add devices; each
addition ends in device_added(), inside the transaction that confirms the device.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp.models import Device
from django_otp.plugins.otp_email.models import EmailDevice

from accounts.models import User
from accounts.notices import notice_send
from accounts.permissions import authority_check
from mfa.models import RecoveryCodeDevice
from mfa.selectors import Factor, user_factors
from practice.audit import audit_record
from practice.policy import effective_policy
from practice.vocabulary import AuditAction, FactorKind

LAST_FACTOR_MESSAGE = (
    "Your practice requires two-factor authentication. Add another method before you remove "
    "your last one."
)
NAME_MAX_LENGTH = Device._meta.get_field("name").max_length


def device_added(
    *, user: User, device: Device, kind: FactorKind, actor: User | None, request
) -> None:
    """Audit a confirmed new factor. Call inside the confirming transaction; notice after."""
    audit_record(
        action=AuditAction.MFA_DEVICE_ADDED,
        actor=actor,
        target=user,
        request=request,
        details={"kind": kind, "name": device.name},
    )


def device_added_notice(*, user: User, kind: FactorKind, name: str) -> None:
    notice_send(
        user=user,
        subject="PracticeGate: a sign-in method was added to your account",
        template="emails/mfa_device_added.txt",
        context={"kind_label": FactorKind(kind).label, "name": name},
    )


def device_rename(*, user: User, factor: Factor, name: str, actor: User, request=None) -> None:
    authority_check(actor=actor, user=user)
    name = " ".join(name.split())[:NAME_MAX_LENGTH]
    if not name:
        raise ValidationError("Enter a name.", code="required")
    with transaction.atomic():
        device = factor.device
        old = device.name
        device.name = name
        device.save(update_fields=["name"])
        audit_record(
            action=AuditAction.MFA_DEVICE_RENAMED,
            actor=actor,
            target=user,
            request=request,
            details={"kind": factor.kind, "from": old, "to": name},
        )


def device_remove(*, user: User, factor: Factor, actor: User, request=None) -> None:
    """Remove one of the user's factors; refused for the last one when the policy requires 2FA.

    When the last app, phone or key goes, the fallbacks (recovery codes, email codes) go too:
    on their own they would be a second factor nobody chose.
    """
    authority_check(actor=actor, user=user)
    with transaction.atomic():
        # SECURITY: lock the user's row so that two removals at once cannot both see "one
        # other factor left" and remove the last two.
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).get()
        primaries = [f for f in user_factors(user) if f.is_primary]
        last = factor.is_primary and len(primaries) == 1
        if last and effective_policy(user).two_factor_required:
            raise ValidationError(LAST_FACTOR_MESSAGE, code="last_factor")
        factor.device.delete()
        if last:
            RecoveryCodeDevice.objects.filter(user=user).delete()
            EmailDevice.objects.filter(user=user).delete()
        audit_record(
            action=AuditAction.MFA_DEVICE_REMOVED,
            actor=actor,
            target=user,
            request=request,
            details={"kind": factor.kind, "name": factor.name, "last": last},
        )
    notice_send(
        user=user,
        subject="PracticeGate: a sign-in method was removed from your account",
        template="emails/mfa_device_removed.txt",
        context={"kind_label": factor.kind_label, "name": factor.name, "last": last},
    )
