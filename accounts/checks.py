"""System checks of accounts: the sign-in pipeline is configuration, and this holds it to shape."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.module_loading import import_string


@register(Tags.security)
def signin_stages_check(app_configs, **kwargs):
    """SIGNIN_STAGES must name every required stage, once each, in the required order.

    SECURITY: a list that leaves out the lockout gate, the network rule or the second factor
    would sign people in without them; this refuses to start with such a list.
    """
    from accounts.signin import REQUIRED_STAGES, SignInStage

    keys = []
    for path in settings.SIGNIN_STAGES:
        try:
            stage = import_string(path)
        except ImportError as exc:
            return [Error(f"SIGNIN_STAGES: cannot import {path!r} ({exc}).", id="accounts.E001")]
        if not (isinstance(stage, type) and issubclass(stage, SignInStage) and stage.key):
            return [
                Error(
                    f"SIGNIN_STAGES: {path!r} is not a SignInStage with a key.",
                    id="accounts.E002",
                )
            ]
        keys.append(stage.key)
    required = [key for key in keys if key in REQUIRED_STAGES]
    if required != list(REQUIRED_STAGES) or len(set(keys)) != len(keys):
        return [
            Error(
                "SIGNIN_STAGES must hold the stages "
                f"{', '.join(REQUIRED_STAGES)}, once each and in this order; it holds "
                f"{', '.join(keys) or 'none'}.",
                hint="Add stages of your own between them; never leave one out.",
                id="accounts.E003",
            )
        ]
    return []


@register(Tags.security)
def second_factor_check_check(app_configs, **kwargs):
    """SECOND_FACTOR_CHECK must name a function of the user (accounts.setup_due).

    SECURITY: without it, "Require two-factor authentication" would not reach the users who are
    signed in when it is ticked; this refuses to start rather than let them go on.
    """
    path = getattr(settings, "SECOND_FACTOR_CHECK", "")
    try:
        check = import_string(path)
    except ImportError as exc:
        return [
            Error(
                f"SECOND_FACTOR_CHECK: cannot import {path!r} ({exc}).",
                hint="Name the function that says whether a user has a second factor, e.g. "
                '"mfa.selectors.has_second_factor".',
                id="accounts.E005",
            )
        ]
    if not callable(check):
        return [Error(f"SECOND_FACTOR_CHECK: {path!r} is not callable.", id="accounts.E005")]
    return []


@register(Tags.security)
def gateway_cookie_check(app_configs, **kwargs):
    """Each GATEWAY_ALLOWED_HOSTS host must receive the session cookie (SESSION_COOKIE_DOMAIN):
    without it the application's requests reach /auth/verify signed out, and the browser goes
    from the application to the sign-in page and back for ever."""
    from accounts.gateway import hosts_without_the_cookie

    missing = hosts_without_the_cookie()
    if not missing:
        return []
    return [
        Warning(
            f"GATEWAY_ALLOWED_HOSTS: {', '.join(missing)} would not receive PracticeGate's "
            "session cookie, so a sign-in there could never be seen by /auth/verify.",
            hint="Set SESSION_COOKIE_DOMAIN to the domain PracticeGate and the applications "
            "share (e.g. .example.org), or list only hosts under it. See docs/gateway.md.",
            id="accounts.W001",
        )
    ]


@register
def upper_layer_hooks_check(app_configs, **kwargs):
    """The functions accounts calls in the layers above it (ACCESS_END_HANDLERS,
    SESSION_ENDED_ANSWERS, SCHEDULED_STEPS) must exist: a name that does not import would
    otherwise fail only when someone's access ends."""
    problems = []
    for setting in ("ACCESS_END_HANDLERS", "SESSION_ENDED_ANSWERS", "SCHEDULED_STEPS"):
        for path in getattr(settings, setting, []):
            try:
                found = import_string(path)
            except ImportError as exc:
                found, why = None, str(exc)
            else:
                why = "not a function"
            if not callable(found):
                problems.append(
                    Error(f"{setting}: cannot use {path!r} ({why}).", id="accounts.E004")
                )
    return problems
