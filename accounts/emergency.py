"""Emergency access (HIPAA 45 CFR 164.312(a)(2)(ii)): an account marked for it may sign in when
its login times or the remote-access rule would refuse, by declaring an emergency with a reason.

What stays: the password, the lockout, an active account, and the second factor (always asked of
an emergency sign-in). What the declaration costs: every registered administrator of the
practice is emailed at once, the audit log records it, the console lists the session while it
lasts, and the session ends after EMERGENCY_HOURS whatever else allows.
"""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import UserSession
from accounts.notices import admins_notify
from accounts.sessions import EMERGENCY_HOURS
from accounts.signin import (
    EMERGENCY_STATE,
    Passed,
    SignIn,
    StageOutcome,
    Step,
    at_step,
    signin_refusal,
)
from practice import ratelimit
from practice.audit import audit_record
from practice.network import client_ip
from practice.vocabulary import AuditAction, Permission, SignInFailure

REASON_MAX_LENGTH = 500
# Emails to the administrators about one account's declarations, an hour. Declaring takes only
# the password: past this, a stolen one cannot have us fill every administrator's inbox with a
# reason of its choosing. Later declarations are still audited, and the console lists the
# emergency sessions.
NOTICES_PER_HOUR = 3
NOTICE_WINDOW_SECONDS = 60 * 60


def emergency_or_refuse(
    signin: SignIn, *, stage: str, reason: SignInFailure, message: str
) -> StageOutcome:
    """Stage `stage`'s refusal, unless the user may declare an emergency (or already has).

    Only login times and the remote-access rule give way; every other refusal stands.
    """
    user = signin.user
    if not user.emergency_access or not user.is_active:
        return signin_refusal(signin, reason=reason, message=message, user=user)
    state = signin.state.setdefault(EMERGENCY_STATE, {})
    if state.get("declared"):
        return Passed()
    state.update(stage=stage, refused=reason, message=message)
    return Step(url=reverse("accounts:signin_emergency"))


def emergency_pending(signin: SignIn) -> dict | None:
    """The emergency this sign-in may declare now (its refusal), or None."""
    state = signin.state.get(EMERGENCY_STATE) or {}
    if state.get("declared") or not at_step(signin.pending, state.get("stage", "")):
        return None
    return state


def emergency_declare(signin: SignIn, *, reason: str) -> None:
    """The user declared an emergency: remember it for this sign-in, audit it, tell the admins.

    The second factor is still to come (signin_complete refuses an emergency sign-in without
    one); the administrators hear of the attempt now, so a stolen password used this way is
    noticed even if it gets no further (by email NOTICES_PER_HOUR times an hour at most).
    """
    user, request = signin.user, signin.request
    reason = " ".join(reason.split())[:REASON_MAX_LENGTH]
    state = signin.state[EMERGENCY_STATE]
    state.update(declared=True, reason=reason)
    with transaction.atomic():
        audit_record(
            action=AuditAction.EMERGENCY_DECLARED,
            actor=user,
            target=user,
            request=request,
            details={"reason": reason, "refused": state.get("refused", "")},
        )
    if not ratelimit.hit(
        f"emergency-notice:user:{user.pk}",
        limit=NOTICES_PER_HOUR,
        window_seconds=NOTICE_WINDOW_SECONDS,
    ):
        return
    admins_notify(
        permission=Permission.REMOTE_ACCESS,
        practice_id=user.practice_id,
        subject=f"PracticeGate: {user} declared an emergency to sign in",
        template="emails/emergency_declared_admin.txt",
        context={
            "emergency_user": user,
            "reason": reason,
            "refused": state.get("message", ""),
            "address": client_ip(request),
            "hours": EMERGENCY_HOURS,
        },
        exclude=user,
    )


def emergencies_active(practice) -> list[UserSession]:
    """The practice's emergency sessions that are still running, newest first."""
    return list(
        UserSession.objects.filter(
            user__practice=practice, ended_at__isnull=True, emergency_until__gt=timezone.now()
        )
        .select_related("user")
        .order_by("-created_at")
    )
