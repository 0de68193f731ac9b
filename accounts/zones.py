"""Where a signed-in request comes from, and whether its session may be used from there.

One answer for the sign-in's network stage and for every request of a signed-in user after
it, PracticeGate's own pages and `/auth/verify` alike: the session guard (accounts.middleware)
asks `zone_end_reason` on every request and ends the session when it answers, and the gateway
(accounts.gateway) tells the proxy the same `request_zone` in X-Auth-Zone. The zone is the
request's, not only the sign-in's: a cookie is worth no more from outside the office than a
sign-in from outside would have been.
"""

from accounts.models import User
from accounts.remote_access import remote_access_allowed
from accounts.setup_access import setup_access_allowed
from practice.models import Practice
from practice.network import in_networks
from practice.vocabulary import SessionEndReason as End
from practice.vocabulary import Zone


def address_zone(practice: Practice | None, address: str) -> str:
    """Office inside one of the practice's office networks (as its row holds them now, no
    query), remote anywhere else or when the address is not known. The one answer for the
    sign-in's network stage and for every request after it."""
    if practice is not None and in_networks(address, practice.office_cidrs):
        return Zone.OFFICE
    return Zone.REMOTE


def request_zone(user: User, stamp: dict, address: str) -> str:
    """Where this request of a signed-in session comes from. `stamp` is the session's
    (accounts.sessions.session_stamp)."""
    if stamp.get("ip") is None:
        # A session stamped before sign-ins recorded their address keeps the zone it signed in
        # with (such a session lasts 12 hours at most).
        return stamp.get("zone", Zone.REMOTE)
    return address_zone(user.practice if user.practice_id is not None else None, address)


def zone_end_reason(user: User, stamp: dict, zone: str, *, request=None) -> End | None:
    """Why this session may not be used from `zone` (and so ends), or None.

    SECURITY: from outside the office a session needs what a sign-in from outside needs: the
    remote-access grant, live now, and a second factor passed at sign-in. A session that signed
    in at the office without them (a password alone, at the front desk) is not carried home, or
    to an attacker, by its cookie. An emergency session (accounts.emergency) was let past the
    remote-access rule by its declaration, and a first setup's (accounts.setup_access) while its
    practice has no office network; neither ever past the second factor. Support staff belong
    to no practice, have no office, and always sign in with a second factor.
    """
    if zone != Zone.REMOTE or user.practice_id is None:
        return None
    if stamp.get("setup"):
        # Let in to set up a practice without an office network (accounts.setup_access): only
        # while it still has none, unless the user has been given remote access since.
        if not setup_access_allowed(user) and not remote_access_allowed(user, request=request):
            return End.SETUP_ENDED
    elif not stamp.get("emergency") and not remote_access_allowed(user, request=request):
        return End.REMOTE_ACCESS if stamp.get("zone") == Zone.REMOTE else End.OUTSIDE_OFFICE
    if not stamp.get("second_factor"):
        return End.OUTSIDE_WITHOUT_SECOND_FACTOR
    return None
