"""Ending sign-ins to applications, for every reason: the PracticeGate session they came from
ended (signing out, deactivation, offboarding, an end date, "Sign out all users"...), the
remote-access grant ended, an administrator chose "Sign out of all applications", a refresh
found the user no longer allowed, or the application signed the user out itself.

Each ending revokes the sign-in's code and tokens at once (userinfo answers 401, a refresh is
refused), is audited ("Signed out of <application>"), and owes each application that has a
back-channel logout URI a logout token, delivered in the background (oidc.backchannel).
"""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from oauth2_provider.models import RefreshToken, get_grant_model

from accounts.models import User
from accounts.notices import acted_on_notify
from accounts.permissions import authority_check
from oidc.backchannel import deliveries_send_soon
from oidc.models import Application, ApplicationSignIn, LogoutDelivery
from practice.audit import audit_record
from practice.vocabulary import ActedOn, ApplicationRefusal, AuditAction, SessionEndReason, Zone

# Why a sign-in ended when its application was switched off (no logout token: it is off).
APPLICATION_OFF = "application_off"


def _why(reason: str) -> dict:
    """The audit details that say why: a session's end, or a refusal of the rules."""
    if reason in ApplicationRefusal.values:
        return {"refused": reason}
    return {"reason": reason}


@transaction.atomic
def signins_end(
    *,
    signins,
    reason: str,
    actor: User | None = None,
    request=None,
    tell: bool = True,
    except_application: Application | None = None,
) -> list[Application]:
    """End the open sign-ins of the queryset `signins`; returns their applications.

    `tell`: send each application with a back-channel logout URI its logout token (all but
    `except_application`, the one that asked to sign out). The tokens go after the commit, in
    the background: whoever ended the sign-ins never waits for an application to answer.
    """
    rows = list(
        signins.select_for_update(of=("self",))
        .filter(ended_at__isnull=True)
        .select_related("application", "application__practice", "user")
    )
    if not rows:
        return []
    now = timezone.now()
    ApplicationSignIn.objects.filter(pk__in=[row.pk for row in rows]).update(
        ended_at=now, end_reason=reason
    )
    # SECURITY: a code not yet exchanged goes with its sign-in; each refresh token family is
    # revoked with the access tokens it issued (django-oauth-toolkit's own family revocation,
    # which its refresh token reuse protection uses too).
    get_grant_model().objects.filter(pk__in=[row.grant_id for row in rows if row.grant_id]).delete()
    for family in {row.token_family for row in rows if row.token_family}:
        RefreshToken.revoke_family(family)
    applications, owed = {}, {}
    for row in rows:
        application = row.application
        applications.setdefault(application.pk, application)
        if tell and application.backchannel_logout_uri and application != except_application:
            owed.setdefault((application.pk, row.user_id, row.sid), row)
    for user_id, application_id in {(row.user_id, row.application_id) for row in rows}:
        row = next(r for r in rows if (r.user_id, r.application_id) == (user_id, application_id))
        audit_record(
            action=AuditAction.APP_SIGNED_OUT,
            actor=actor,
            target=row.user,
            practice=row.application.practice,
            request=request,
            details={"application": row.application.name, **_why(reason)},
        )
    deliveries = LogoutDelivery.objects.bulk_create(
        [
            LogoutDelivery(
                application=row.application,
                user=row.user,
                sid=row.sid,
                reason=reason,
                created_at=now,
                next_attempt_at=now,
            )
            for row in owed.values()
        ]
    )
    if deliveries:
        ids = [delivery.pk for delivery in deliveries]
        transaction.on_commit(lambda: deliveries_send_soon(ids), robust=True)
    return list(applications.values())


def sessions_access_ended(*, user_id: int, session_ids: list[int], reason: str) -> None:
    """settings.ACCESS_END_HANDLERS: the PracticeGate sessions `session_ids` of the user ended
    (or, for the end of a remote grant, may reach nothing from outside any more): so do the
    sign-ins to applications made through them."""
    signins = ApplicationSignIn.objects.filter(user_id=user_id)
    if reason == SessionEndReason.REMOTE_ACCESS:
        # Every sign-in made from outside, whichever session it came through; an emergency
        # declared at sign-in is let through, as the session guard lets it.
        signins = signins.filter(Q(session_id__in=session_ids) | Q(zone=Zone.REMOTE)).filter(
            emergency=False
        )
    else:
        signins = signins.filter(session_id__in=session_ids)
    signins_end(signins=signins, reason=reason)


def signin_refused_at_refresh(signin: ApplicationSignIn, why: str) -> None:
    """A refresh found the sign-in may not go on (the user locked, outside their login times,
    their session ended...): it ends for the application too."""
    signins_end(signins=ApplicationSignIn.objects.filter(pk=signin.pk), reason=why)


def applications_sign_out(*, user: User, actor: User, request=None) -> list[Application]:
    """ "Sign out of all applications": every open sign-in of the user to an application ends,
    and the user is told who did it. Their PracticeGate sessions go on."""
    authority_check(actor=actor, user=user)
    with transaction.atomic():
        ended = signins_end(
            signins=ApplicationSignIn.objects.filter(user=user),
            reason=SessionEndReason.ADMINISTRATOR,
            actor=actor,
            request=request,
        )
        if ended:
            acted_on_notify(
                user=user,
                actor=actor,
                what=ActedOn.APPLICATIONS_SIGNED_OUT,
                applications=sorted(application.name for application in ended),
            )
    return ended
