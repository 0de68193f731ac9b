"""The gateway's two pages: `/auth/verify`, which a reverse proxy asks on every request, and the
refusal page a proxy shows when it refuses (accounts.gateway decides)."""

from dataclasses import dataclass

from django.shortcuts import render
from django.urls import reverse
from django.utils.text import capfirst
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from accounts.gateway import verify as gateway_verify
from practice.models import Practice
from practice.vocabulary import GatewayRefusal


# Not CSRF-protected: the proxy asks with the method of the request it is about (nginx's auth
# request of a form POST is a POST), and the answer changes nothing a forged request could want.
@csrf_exempt
@never_cache
def auth_verify_view(request):
    """For a reverse proxy's auth request (nginx auth_request, Traefik forwardAuth, Caddy
    forward_auth): 200 with who and where, 401 not signed in, 403 not allowed now, with the
    reason (accounts.gateway). A session that must end is ended by SessionGuardMiddleware,
    which answers the 403 on this URL.
    """
    return gateway_verify(request)


@dataclass(frozen=True)
class Refusal:
    title: str
    why: str
    what_next: str


# Plain words for each reason; "%(practice)s" is the practice's name.
REFUSALS = {
    GatewayRefusal.REMOTE_ACCESS: Refusal(
        "Remote access is not allowed for your account",
        "You are connecting from outside the office of %(practice)s, and your account may be "
        "used only inside it.",
        "Connect from the office, or ask your practice administrator to allow remote access "
        "for your account. Once it is allowed, sign in again from where you are.",
    ),
    GatewayRefusal.LOGIN_TIMES: Refusal(
        "Not allowed at this time",
        "%(practice)s allows your account to be used only at certain times of the week, and "
        "this is not one of them.",
        "Try again during your login times, or ask your practice administrator to change them.",
    ),
    GatewayRefusal.LOCKED: Refusal(
        "Your account is locked",
        "Your account was locked, after too many failed attempts or by an administrator of "
        "%(practice)s.",
        "Ask your practice administrator to unlock it, or reset your password with “Forgot "
        "your password?” on the sign-in page: a completed reset unlocks the account.",
    ),
    GatewayRefusal.INACTIVE: Refusal(
        "Your account is not active",
        "Your account at %(practice)s has been deactivated.",
        "Ask your practice administrator to activate it again.",
    ),
    GatewayRefusal.SECOND_FACTOR: Refusal(
        "Sign in with your second factor",
        "This application asks for a sign-in with a second factor (a verification code or a "
        "security key), for example because you are now outside the office, and this sign-in "
        "had none.",
        "Sign in again: you will be asked for your code, or to set up a second factor if you "
        "have none yet.",
    ),
    GatewayRefusal.EXPIRED: Refusal(
        "Your session has ended",
        "You were signed out of %(practice)s, for example after a while without activity.",
        "Sign in again to go on.",
    ),
}


UNKNOWN = Refusal(
    "Access refused",
    "%(practice)s did not let this request through.",
    "Sign in again, or ask your practice administrator.",
)


@never_cache
@require_GET
def gateway_refused_view(request):
    """`/auth/refused?reason=...&practice=...`: why, in plain words, and what to do next."""
    try:
        reason = GatewayRefusal(request.GET.get("reason", ""))
    except ValueError:
        reason = None
    practice = None
    if request.user.is_authenticated and request.user.practice_id is not None:
        practice = request.user.practice
    elif request.GET.get("practice"):
        practice = Practice.objects.by_code(request.GET["practice"])
    elif getattr(request, "ended_session_practice", ""):
        # The session this browser had (SessionGuardMiddleware found it ended).
        practice = Practice.objects.filter(code=request.ended_session_practice).first()
    request.practice = practice
    text = REFUSALS.get(reason, UNKNOWN)
    name = {"practice": practice.name if practice else "your practice"}
    if practice is not None:
        signin = reverse("accounts:practice_login", kwargs={"code": practice.code})
    else:
        signin = reverse("accounts:login")
    context = {
        "reason": reason,
        "title": text.title,
        # "%(practice)s" may open a sentence, and be "your practice".
        "why": capfirst(text.why % name),
        "what_next": capfirst(text.what_next % name),
        "practice": practice,
        "signin_url": signin,
        "reset_url": reverse("accounts:password_reset")
        + (f"?practice={practice.code}" if practice else ""),
        "offer_reset": reason == GatewayRefusal.LOCKED,
    }
    return render(request, "accounts/gateway_refused.html", context, status=403)
