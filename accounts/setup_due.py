"""A second factor that became required while the user was signed in.

"Require two-factor authentication" (the practice's, or the user's own setting) is ticked, and a
user who signed in without a second factor, and has none, is still working: "changes take effect
at once" means they set one up now, not at their next sign-in. The session guard
(accounts.middleware) asks `second_factor_setup_due` on each request and sends such a user to
the setup page, whatever they asked for, except the pages they need on the way there (the setup
pages, the password confirmation they ask for, signing out) and what is not a page of ours
(static files, the gateway's `/auth/verify`, which answers a proxy with its own refusal). The
session is not ended: the administrator who ticked the box keeps the save they just made.

The same answer as a sign-in's (Policy.second_factor_required for the zone of this request): an
office network the practice exempts still needs no second factor. Whether the user has one is
mfa's to say, and accounts never imports mfa: settings.SECOND_FACTOR_CHECK names the function
(a system check, accounts.E004, refuses to start without it), as SIGNIN_STAGES names the stage,
and settings.SECOND_FACTOR_SETUP_URL the page.
"""

from functools import cache

from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.module_loading import import_string

from practice.policy import effective_policy

SETUP_DUE_MESSAGE = (
    "Your practice now requires two-factor authentication. Set up a second factor to go on."
)
# Pages of accounts a user on the way to the setup page may still open.
REACHABLE = (
    "accounts:logout",
    "accounts:keepalive",
    "accounts:auth_verify",
    "accounts:gateway_refused",
    "accounts:reauth",
    "accounts:login",
)


@cache
def _has_second_factor():
    return import_string(settings.SECOND_FACTOR_CHECK)


def setup_url() -> str:
    return resolve_url(settings.SECOND_FACTOR_SETUP_URL)


def second_factor_setup_due(user, stamp: dict, zone: str) -> bool:
    """Must this signed-in session set up a second factor before it goes on? `stamp` is the
    session's (accounts.sessions.session_stamp), `zone` this request's."""
    stamp = stamp or {}
    if user.practice_id is None or stamp.get("second_factor"):
        # Support staff always sign in with one; a session that passed one has one.
        return False
    if not effective_policy(user).second_factor_required(zone):
        return False
    return not _has_second_factor()(user)


def reachable_before_setup(path: str) -> bool:
    """Whether `path` opens for a user who must set up a second factor first."""
    if path.startswith((setup_url(), settings.STATIC_URL or "/static/", "/p/")):
        return True
    return path in {reverse(name) for name in REACHABLE}
