"""The first administrator's way in while the practice has no office network.

A practice made without an office network (`create_practice` without `--office-network`, or
added in Django admin) has no office: every sign-in comes from outside it, and from outside a
user needs the remote-access grant, which nobody holds yet. Its first administrator could not
get in to set the networks. This is the one exception, kept narrow:

- only while the practice has no office network at all (the copy on its row,
  Practice.office_cidrs: no query), so it ends by itself once one is saved;
- only for an active user who may manage roles (an administrator): someone who could give
  themselves remote access anyway, so it lets nobody do more than they already may;
- never without a second factor: the sign-in is from outside, so one is asked, or set up first
  after a code to the email or mobile on file proves who it is (mfa.identity);
- audited when the sign-in is let through, and every console page says so until an office
  network exists (templates/console/includes/no_office_network.html);
- PracticeGate's own pages only: the gateway (accounts.gateway) still refuses the practice's
  applications to a session without the grant.

The network stage (accounts.stages) lets the sign-in through and the session's stamp says
`setup`; the session guard (accounts.zones) keeps such a session from outside only while the
exception still holds (or the user has been given remote access since).
"""

from accounts.models import User
from accounts.permissions import has_permission
from accounts.sessions import AUTH_SESSION_KEY
from practice.audit import audit_record
from practice.vocabulary import AuditAction, Permission


def setup_access_allowed(user: User) -> bool:
    """May `user` sign in (and stay signed in) from outside to set the practice up?"""
    if user.practice_id is None or not user.is_active:
        return False
    # SECURITY: no office network at all (one network, however small, and the rule is back for
    # everyone), and only who may manage roles: anyone else still needs the grant.
    return not user.practice.office_cidrs and has_permission(user, Permission.MANAGE_ROLES)


def setup_access_record(*, user: User, request) -> None:
    """The network stage let `user` in by this exception: the audit log says so (the second
    factor is still to come, as for a declared emergency: an attempt with a stolen password is
    on record even if it gets no further)."""
    audit_record(action=AuditAction.SIGNIN_SETUP_ACCESS, actor=user, target=user, request=request)


def is_setup_session(request) -> bool:
    """This signed-in session came in by the exception (its stamp says so)."""
    return bool((request.session.get(AUTH_SESSION_KEY) or {}).get("setup"))
