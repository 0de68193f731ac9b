"""HTTP glue for a forgotten password (/password-reset/...): the request, the emailed link, the
phone code when the user has a verified phone, and the new password."""

from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from accounts.emailed_links import PASSWORD_RESET, link_forget, link_state, link_state_save
from accounts.forms.account import PasswordResetRequestForm
from accounts.forms.passwords import SetPasswordForm, password_checklist
from accounts.forms.signin import CodeForm
from accounts.password_reset import (
    password_reset_complete,
    password_reset_request,
    reset_code_purpose,
    reset_code_verify,
    reset_needs_phone_code,
    reset_secret_read,
    reset_token_valid,
)
from accounts.redirects import login_path_for
from phonecodes.models import PhoneChannel
from phonecodes.steps import code_step, code_step_send, code_step_tried
from practice.models import Practice

INVALID_CODE_MESSAGE = "Invalid code. Enter the latest code we sent, or send a new one."


def _from_practice(request) -> Practice | None:
    """The practice whose sign-in page linked here (`?practice=`), to name it and go back to.

    Only the page's own link sets it, never the code typed in the form: the next page must not
    tell whether a typed practice code (or account) exists.
    """
    practice = Practice.objects.by_code(request.GET.get("practice", ""))
    request.practice = practice
    return practice


def _back_to_sign_in(practice: Practice | None) -> str:
    if practice is None:
        return reverse("accounts:login")
    return reverse("accounts:practice_login", kwargs={"code": practice.code})


@csrf_protect
@never_cache
def password_reset_view(request):
    practice = _from_practice(request)
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
            sent = reverse("accounts:password_reset_sent")
            return redirect(f"{sent}?practice={practice.code}" if practice else sent)
    context = {"form": form, "practice": practice, "back_url": _back_to_sign_in(practice)}
    return render(request, "accounts/password_reset/request.html", context)


@never_cache
def password_reset_sent_view(request):
    # The same page for every request: it must not tell whether the account exists.
    practice = _from_practice(request)
    context = {"practice": practice, "back_url": _back_to_sign_in(practice)}
    return render(request, "accounts/password_reset/sent.html", context)


@sensitive_post_parameters("code", "new_password1", "new_password2")
@csrf_protect
@never_cache
def password_reset_confirm_view(request):
    """The emailed link's steps. The link's page (accounts.emailed_links) put the user id and
    token into the session; they never come in a URL."""
    state = link_state(request, PASSWORD_RESET)
    user, token = reset_secret_read(state.get("secret", ""))
    if user is None or not reset_token_valid(user, token):
        link_forget(request, PASSWORD_RESET)
        return render(request, "accounts/password_reset/invalid.html", status=400)
    request.practice = user.practice
    if "purpose" not in state:
        # A fresh purpose for this opening of the link: its phone codes verify for it only.
        state.update(purpose=reset_code_purpose(), phone_ok=False)
        link_state_save(request, PASSWORD_RESET, state)
    # SECURITY: the phone step is passed for this user only, in this browser, for this link.
    if reset_needs_phone_code(user) and not state.get("phone_ok"):
        return _reset_phone_step(request, user, state)
    return _reset_password_step(request, user, token)


def _reset_code_send(request, user, state: dict, channel: str) -> None:
    number, purpose = user.mobile_phone, state["purpose"]
    code_step_send(request, state, user=user, number=number, channel=channel, purpose=purpose)
    link_state_save(request, PASSWORD_RESET, state)


def _reset_phone_step(request, user, state: dict):
    action = request.POST.get("action", "verify")
    if request.method == "POST" and action in PhoneChannel.values:
        _reset_code_send(request, user, state, action)
        return redirect(request.path)
    if request.method == "GET" and not code_step_tried(state):
        # The code is sent as the step opens (by text; the page offers a call instead).
        _reset_code_send(request, user, state, PhoneChannel.SMS)
    step = code_step(state, user.mobile_phone)
    # No code was sent for this step: there is nothing to check (and no failure to count).
    form = CodeForm(request.POST if request.method == "POST" and step.sent else None)
    if form.is_bound and form.is_valid():
        try:
            verified = reset_code_verify(
                user=user, purpose=state["purpose"], code=form.cleaned_data["code"], request=request
            )
        except ValidationError as exc:
            link_forget(request, PASSWORD_RESET)
            messages.error(request, exc.messages[0])
            return redirect("accounts:password_reset")
        if verified:
            state["phone_ok"] = True
            link_state_save(request, PASSWORD_RESET, state)
            return redirect(request.path)
        form.add_error("code", INVALID_CODE_MESSAGE)
    return render(request, "accounts/password_reset/phone.html", {"form": form, "step": step})


def _reset_password_step(request, user, token: str):
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Asked before the change: afterwards the session's auth hash no longer matches.
        signed_in_as_user = request.user.is_authenticated and request.user.pk == user.pk
        try:
            password_reset_complete(
                user=user,
                token=token,
                password=form.cleaned_data["new_password1"],
                request=request,
            )
        except ValidationError:
            link_forget(request, PASSWORD_RESET)
            return render(request, "accounts/password_reset/invalid.html", status=400)
        if signed_in_as_user:
            # The reset ended every session of the user, this browser's too.
            logout(request)
        else:
            link_forget(request, PASSWORD_RESET)
        # Never signed in here: the next sign-in asks for the second factor as always.
        messages.success(request, "Your password is changed. Sign in with your new password.")
        return redirect(login_path_for(user))
    return render(
        request,
        "accounts/password_reset/password.html",
        {"form": form, "rules": password_checklist(user, form), "account": user},
    )
