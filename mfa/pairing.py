"""Resetting a user's 2FA pairing (PCC's "Reset Authy Pairing"): every second factor goes.

Used by the console's "Reset 2FA pairing" and by the user's own reset on My Account. Every
device and recovery code is removed, the user's sessions end (a session verified with a removed
device must not outlive it), and the next sign-in requires setting up a second factor again.
"""

from django.db import transaction
from django_otp import devices_for_user

from accounts.models import TwoFactorSetup, User
from accounts.notices import acted_on_notify, notice_send
from accounts.permissions import authority_check
from accounts.sessions import sessions_end
from mfa.selectors import factor_kind
from practice.audit import audit_record
from practice.models import TwoFactorPolicy
from practice.policy import effective_policy
from practice.vocabulary import ActedOn, AuditAction, FactorKind, SessionEndReason


def _devices_delete(user: User) -> tuple[int, list[str]]:
    """Delete every device of the user (confirmed or not): how many, and of which kinds."""
    devices = list(devices_for_user(user, confirmed=None))
    for device in devices:
        device.delete()
    # FactorKind values in the vocabulary's order; a device of a model we do not offer (none
    # should exist) is named by its model.
    kinds = {factor_kind(device) or device._meta.label_lower for device in devices}
    known = [kind for kind in FactorKind.values if kind in kinds]
    return len(devices), known + sorted(kinds - set(known))


@transaction.atomic
def devices_remove_all(*, user: User, actor: User | None, request=None) -> int:
    """Remove every second factor, for good (offboarding): no setup asked, no notice."""
    authority_check(actor=actor, user=user)
    removed, kinds = _devices_delete(user)
    if removed:
        audit_record(
            action=AuditAction.MFA_DEVICES_REMOVED,
            actor=actor,
            target=user,
            request=request,
            details={"removed": removed, "kinds": kinds},
        )
    return removed


def pairing_reset(*, user: User, actor: User | None, request=None) -> int:
    """Delete all of the user's second factors (confirmed or not); returns how many.

    Someone else's reset tells the user who did it and when; their own gets a plain notice.
    """
    authority_check(actor=actor, user=user)
    with transaction.atomic():
        removed, kinds = _devices_delete(user)
        # The user had a second factor: they set one up again at the next sign-in, wherever
        # they sign in from (OfficeEMR's "Require 2FA setup upon login").
        required = bool(removed) and effective_policy(user).two_factor != TwoFactorPolicy.REQUIRE
        if required:
            user.two_factor_setup = TwoFactorSetup.REQUIRE
            user.save(update_fields=["two_factor_setup"])
        audit_record(
            action=AuditAction.MFA_PAIRING_RESET,
            actor=actor,
            target=user,
            request=request,
            details={"removed": removed, "kinds": kinds, "setup_required": required},
        )
        sessions_end(user=user, reason=SessionEndReason.PAIRING_RESET, actor=actor, request=request)
        acted_on_notify(user=user, actor=actor, what=ActedOn.PAIRING_RESET)
    if actor is None or actor.pk == user.pk:
        notice_send(
            user=user,
            subject="PracticeGate: your two-factor authentication was reset",
            template="emails/pairing_reset.txt",
            context={"by_self": actor is not None},
        )
    return removed
