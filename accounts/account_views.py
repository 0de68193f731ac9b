"""HTTP glue for My Account (/account/...) and forgotten passwords (/password-reset/...).

The rules live in the service modules (profile, passwords, password_reset, sessions); these
views check who is asking, validate a form, call a service and redirect with a message.
"""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.account_forms import (
    CurrentPasswordForm,
    PasswordResetRequestForm,
    ProfileForm,
    VerificationCodeForm,
)
from accounts.forms import CHECKLIST_ID, PasswordChangeForm, SetPasswordForm
from accounts.lockout import failure_record
from accounts.password_reset import (
    password_reset_complete,
    password_reset_request,
    reset_code_purpose,
    reset_code_send,
    reset_code_verify,
    reset_needs_phone_code,
    reset_token_valid,
    reset_user,
)
from accounts.passwords import (
    password_change,
    password_expires_at,
    password_rules,
    rules_broken,
)
from accounts.phone_codes import phone_codes_available
from accounts.profile import (
    email_change_confirm,
    email_change_request,
    phone_change_confirm,
    phone_change_purpose,
    phone_change_start,
    phone_ending,
    phone_remove,
    phone_set_unverified,
    profile_update,
)
from accounts.reauth import reauth_is_recent, reauth_with_password
from accounts.selectors import sessions_active, signin_activity
from accounts.sessions import sessions_end
from accounts.tokens import email_change_read
from practice.policy import effective_policy

LOCKED_MESSAGE = (
    "Your account is locked after too many failed attempts. Reset your password, or ask your "
    "practice administrator to unlock it."
)
INVALID_CODE_MESSAGE = "Invalid code. Enter the latest code we sent, or send a new one."

# Session keys of the multi-step pages. The emailed tokens move here before a form renders
# (as Django's password reset view does), so they do not linger in the address bar, the
# history, or a Referer header.
PHONE_CHANGE_SESSION_KEY = "_pg_phone_change"
EMAIL_CHANGE_SESSION_KEY = "_pg_email_change"
RESET_SESSION_KEY = "_pg_password_reset"
# The path segments that replace a token once it is in the session; not secrets.
RESET_URL_TOKEN = "set-password"  # noqa: S105
EMAIL_URL_TOKEN = "confirm"  # noqa: S105

CHANNEL_SENT_MESSAGES = {
    "sms": "We sent a code by text message to your phone ending in {ending}.",
    "voice": "We are calling your phone ending in {ending} with a code.",
}


def _login_url(user) -> str:
    if user.practice_id:
        return reverse("accounts:practice_login", kwargs={"code": user.practice.code})
    return reverse("accounts:login")


def _locked_out(request):
    """The attempt just locked the account: every session of it ends, this one too."""
    user = request.user
    sessions_end(user=user, reason="locked", request=request)
    logout(request)
    messages.error(request, LOCKED_MESSAGE)
    return redirect(_login_url(user))


def _display_time_zone(user) -> str:
    """Times on My Account read in the user's own zone, else the practice's."""
    return user.time_zone or (user.practice.time_zone if user.practice_id else "UTC")


def password_checklist(user, form) -> list[dict]:
    """The practice's rules for the live checklist, marked where the last attempt broke one."""
    failed = rules_broken(form.errors.as_data().get("new_password1", []))
    return [
        {**rule, "failed": rule["id"] in failed} for rule in password_rules(effective_policy(user))
    ]


# --- My Account ------------------------------------------------------------------------------


@sensitive_post_parameters("current_password")
@csrf_protect
@never_cache
@login_required
def account_view(request):
    user = request.user
    form = ProfileForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        if (form.email_changed or form.mobile_phone_changed) and not reauth_is_recent(request):
            # SECURITY: who holds only a session (a stolen cookie, an unlocked screen) must not
            # be able to move the account's email or phone, through which it is recovered.
            password = form.cleaned_data["current_password"]
            if not password:
                form.add_error(
                    "current_password",
                    "Enter your current password to change your email or mobile phone.",
                )
            elif not reauth_with_password(request, password):
                if user.locked_at is not None:
                    return _locked_out(request)
                form.add_error("current_password", "Your current password is not right.")
        if not form.errors:
            return _profile_save(request, form)
    return render(
        request,
        "accounts/account/account.html",
        {
            "form": form,
            "sessions": sessions_active(user, current_key=request.session.session_key),
            "signins": signin_activity(user),
            "password_expires_at": password_expires_at(user),
            "display_time_zone": _display_time_zone(user),
        },
    )


def _profile_save(request, form):
    user = request.user
    if profile_update(user=user, actor=user, changes=form.profile_changes(), request=request):
        messages.success(request, "Your profile is saved.")
    if form.email_changed:
        new_email = form.cleaned_data["email"]
        try:
            email_change_request(user=user, new_email=new_email, request=request)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.info(
                request,
                f"We sent a confirmation link to {new_email}. Your email address changes "
                "when you open it.",
            )
    if form.mobile_phone_changed:
        number = form.cleaned_data["mobile_phone"]
        if not number:
            phone_remove(user=user, request=request)
            messages.success(request, "Your mobile phone number is removed.")
        elif not phone_codes_available():
            phone_set_unverified(user=user, number=number, request=request)
            messages.success(request, "Your mobile phone number is saved.")
        else:
            request.session[PHONE_CHANGE_SESSION_KEY] = {
                "number": number,
                "purpose": phone_change_purpose(),
                "sent_to": "",
            }
            return redirect("accounts:account_phone")
    return redirect("accounts:account")


def _phone_change_send(request, pending: dict, channel: str) -> None:
    try:
        phone_change_start(
            user=request.user,
            number=pending["number"],
            purpose=pending["purpose"],
            channel=channel,
            request=request,
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return
    pending["sent_to"] = pending["number"]
    request.session[PHONE_CHANGE_SESSION_KEY] = pending
    messages.info(
        request, CHANNEL_SENT_MESSAGES[channel].format(ending=phone_ending(pending["number"]))
    )


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@login_required
def account_phone_view(request):
    """Confirm a new mobile number with a code sent to it (sent as the page opens)."""
    pending = request.session.get(PHONE_CHANGE_SESSION_KEY)
    if not pending:
        return redirect("accounts:account")
    action = request.POST.get("action", "verify")
    if request.method == "POST" and action == "cancel":
        del request.session[PHONE_CHANGE_SESSION_KEY]
        messages.info(request, "Your mobile phone number was not changed.")
        return redirect("accounts:account")
    if request.method == "POST" and action in CHANNEL_SENT_MESSAGES:
        _phone_change_send(request, pending, action)
        return redirect("accounts:account_phone")
    if request.method == "GET" and pending["sent_to"] != pending["number"]:
        _phone_change_send(request, pending, "sms")
    form = VerificationCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if pending["sent_to"] != pending["number"]:
            form.add_error("code", "Send a code to the new number first.")
        else:
            try:
                phone_change_confirm(
                    user=request.user,
                    number=pending["number"],
                    purpose=pending["purpose"],
                    code=form.cleaned_data["code"],
                    request=request,
                )
            except ValidationError as exc:
                form.add_error("code", exc)
            else:
                del request.session[PHONE_CHANGE_SESSION_KEY]
                messages.success(request, "Your new mobile phone number is verified and saved.")
                return redirect("accounts:account")
    return render(
        request,
        "accounts/account/phone.html",
        {"form": form, "number": pending["number"]},
    )


@sensitive_post_parameters("current_password", "new_password1", "new_password2")
@csrf_protect
@never_cache
@login_required
def account_password_view(request):
    user = request.user
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            ended = password_change(
                user=user, password=form.cleaned_data["new_password1"], request=request
            )
            message = "Your password is changed."
            if ended:
                message += f" {ended} other session{'s' if ended > 1 else ''} signed out."
            messages.success(request, message)
            return redirect("accounts:account")
        if form.current_password_wrong and failure_record(
            user=user, request=request, reason="current_password"
        ):
            return _locked_out(request)
    return render(
        request,
        "accounts/account/password.html",
        {"form": form, "rules": password_checklist(user, form), "checklist_id": CHECKLIST_ID},
    )


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@login_required
def reauth_view(request):
    """Confirm your password before a dangerous change; then back to where you were."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    # SECURITY: only a path of our own site, never an address an attacker put in the link.
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("accounts:account")
    form = CurrentPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if reauth_with_password(request, form.cleaned_data["password"]):
            return redirect(next_url)
        if request.user.locked_at is not None:
            return _locked_out(request)
        form.add_error("password", "That password is not right.")
    return render(request, "accounts/account/reauth.html", {"form": form, "next": next_url})


@require_POST
@csrf_protect
@login_required
def account_session_end_view(request, session_id: int):
    # sessions_end only ever looks at the signed-in user's own sessions; this one is kept.
    ended = sessions_end(
        user=request.user,
        reason="signed_out_remotely",
        actor=request.user,
        request=request,
        session_ids=[session_id],
        except_key=request.session.session_key,
    )
    if ended:
        messages.success(request, "That session is signed out.")
    else:
        messages.info(request, "That session had already ended.")
    return redirect("accounts:account")


@require_POST
@csrf_protect
@login_required
def account_sessions_end_others_view(request):
    ended = sessions_end(
        user=request.user,
        reason="signed_out_remotely",
        actor=request.user,
        request=request,
        except_key=request.session.session_key,
    )
    if ended:
        messages.success(request, f"{ended} other session{'s' if ended > 1 else ''} signed out.")
    else:
        messages.info(request, "You have no other sessions.")
    return redirect("accounts:account")


@csrf_protect
@never_cache
def email_confirm_view(request, token: str):
    """The new mailbox's link. Confirming takes a button press: mail scanners that open
    links must not spend it."""
    if token != EMAIL_URL_TOKEN:
        request.session[EMAIL_CHANGE_SESSION_KEY] = token
        return redirect("accounts:email_confirm", token=EMAIL_URL_TOKEN)
    token = request.session.get(EMAIL_CHANGE_SESSION_KEY, "")
    found = email_change_read(token)
    if found is None:
        request.session.pop(EMAIL_CHANGE_SESSION_KEY, None)
        return render(request, "accounts/account/email_invalid.html", status=400)
    user, new_email = found
    request.practice = user.practice
    if request.method == "POST":
        try:
            email_change_confirm(token=token, request=request)
        except ValidationError:
            request.session.pop(EMAIL_CHANGE_SESSION_KEY, None)
            return render(request, "accounts/account/email_invalid.html", status=400)
        del request.session[EMAIL_CHANGE_SESSION_KEY]
        messages.success(request, f"Your email address is now {new_email}.")
        if request.user.is_authenticated and request.user.pk == user.pk:
            return redirect("accounts:account")
        return redirect(_login_url(user))
    return render(
        request,
        "accounts/account/email_confirm.html",
        {"account": user, "new_email": new_email},
    )


# --- Forgotten password ----------------------------------------------------------------------


@csrf_protect
@never_cache
def password_reset_view(request):
    form = PasswordResetRequestForm(
        request.POST or None,
        initial={"practice_code": request.GET.get("practice", "")[:40]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            password_reset_request(
                practice_code=form.cleaned_data["practice_code"],
                identifier=form.cleaned_data["identifier"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("accounts:password_reset_sent")
    return render(request, "accounts/password_reset/request.html", {"form": form})


@never_cache
def password_reset_sent_view(request):
    # The same page for every request: it must not tell whether the account exists.
    return render(request, "accounts/password_reset/sent.html")


@sensitive_post_parameters("code", "new_password1", "new_password2")
@csrf_protect
@never_cache
def password_reset_confirm_view(request, uidb64: str, token: str):
    if token != RESET_URL_TOKEN:
        request.session[RESET_SESSION_KEY] = {
            "uid": uidb64,
            "token": token,
            "purpose": reset_code_purpose(),
            "phone_ok": False,
        }
        return redirect("accounts:password_reset_confirm", uidb64=uidb64, token=RESET_URL_TOKEN)
    state = request.session.get(RESET_SESSION_KEY) or {}
    user = reset_user(uidb64) if state.get("uid") == uidb64 else None
    if user is None or not reset_token_valid(user, state.get("token", "")):
        request.session.pop(RESET_SESSION_KEY, None)
        return render(request, "accounts/password_reset/invalid.html", status=400)
    request.practice = user.practice
    # SECURITY: the phone step is passed for this user only, in this browser, for this link.
    if reset_needs_phone_code(user) and not state.get("phone_ok"):
        return _reset_phone_step(request, user, state)
    return _reset_password_step(request, user, state)


def _reset_code_send(request, user, state: dict, channel: str) -> None:
    try:
        reset_code_send(user=user, purpose=state["purpose"], channel=channel, request=request)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return
    state["sent"] = channel
    request.session[RESET_SESSION_KEY] = state
    messages.info(
        request, CHANNEL_SENT_MESSAGES[channel].format(ending=phone_ending(user.mobile_phone))
    )


def _reset_phone_step(request, user, state: dict):
    action = request.POST.get("action", "verify")
    if request.method == "POST" and action in CHANNEL_SENT_MESSAGES:
        _reset_code_send(request, user, state, action)
        return redirect(request.path)
    if request.method == "GET" and not state.get("sent"):
        # The code is sent as the step opens (by text; the page offers a call instead).
        _reset_code_send(request, user, state, "sms")
    form = VerificationCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            verified = reset_code_verify(
                user=user, purpose=state["purpose"], code=form.cleaned_data["code"], request=request
            )
        except ValidationError as exc:
            del request.session[RESET_SESSION_KEY]
            messages.error(request, exc.messages[0])
            return redirect("accounts:password_reset")
        if verified:
            state["phone_ok"] = True
            request.session[RESET_SESSION_KEY] = state
            return redirect(request.path)
        form.add_error("code", INVALID_CODE_MESSAGE)
    return render(
        request,
        "accounts/password_reset/phone.html",
        {"form": form, "ending": phone_ending(user.mobile_phone)},
    )


def _reset_password_step(request, user, state: dict):
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Asked before the change: afterwards the session's auth hash no longer matches.
        signed_in_as_user = request.user.is_authenticated and request.user.pk == user.pk
        try:
            password_reset_complete(
                user=user,
                token=state["token"],
                password=form.cleaned_data["new_password1"],
                request=request,
            )
        except ValidationError:
            request.session.pop(RESET_SESSION_KEY, None)
            return render(request, "accounts/password_reset/invalid.html", status=400)
        if signed_in_as_user:
            # The reset ended every session of the user, this browser's too.
            logout(request)
        else:
            request.session.pop(RESET_SESSION_KEY, None)
        # Never signed in here: the next sign-in asks for the second factor as always.
        messages.success(request, "Your password is changed. Sign in with your new password.")
        return redirect(_login_url(user))
    return render(
        request,
        "accounts/password_reset/password.html",
        {"form": form, "rules": password_checklist(user, form), "account": user},
    )
