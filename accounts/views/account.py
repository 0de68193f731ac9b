"""HTTP glue for My Account (/account/...): profile, email and phone changes, password,
re-authentication, sessions.

The rules live in the service modules (profile, passwords, sessions); these views check who is
asking, validate a form, call a service and redirect with a message.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.emailed_links import EMAIL_CHANGE, link_forget, link_secret
from accounts.forms.account import CurrentPasswordForm, ProfileForm
from accounts.forms.passwords import CHECKLIST_ID, PasswordChangeForm, password_checklist
from accounts.forms.signin import CodeForm
from accounts.lockout import failure_record
from accounts.passwords import password_change, password_expires_at, password_is_expired
from accounts.profile import (
    email_change_confirm,
    email_change_request,
    phone_change_confirm,
    phone_change_purpose,
    phone_remove,
    phone_set_unverified,
    profile_update,
)
from accounts.reauth import locked_out, password_again_checked, reauth_is_recent
from accounts.redirects import login_path_for, safe_next
from accounts.selectors import sessions_active, signin_activity
from accounts.sessions import sessions_end
from accounts.tokens import email_change_read
from phonecodes.codes import phone_codes_available
from phonecodes.models import PhoneChannel
from phonecodes.steps import code_step, code_step_send, code_step_tried
from practice.vocabulary import SessionEndReason, SignInFailure

# The session key of the phone change's steps.
PHONE_CHANGE_SESSION_KEY = "_pg_phone_change"


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
            else:
                checked = password_again_checked(
                    request,
                    form,
                    field="current_password",
                    wrong="Your current password is not right.",
                )
                if isinstance(checked, HttpResponse):
                    return checked
        if not form.errors:
            return _profile_save(request, form)
    sessions = sessions_active(user, current_key=request.session.session_key)
    expires_at = password_expires_at(user)
    return render(
        request,
        "accounts/account/account.html",
        {
            "form": form,
            "sessions": sessions,
            "other_sessions": sum(not session.is_current for session in sessions),
            "signins": signin_activity(user),
            "password_expires_at": expires_at,
            "password_expired": password_is_expired(user),
            "display_time_zone": user.reading_time_zone,
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
            }
            return redirect("accounts:account_phone")
    return redirect("accounts:account")


def _phone_change_send(request, pending: dict, channel: str) -> None:
    code_step_send(
        request,
        pending,
        user=request.user,
        number=pending["number"],
        channel=channel,
        purpose=pending["purpose"],
    )
    request.session[PHONE_CHANGE_SESSION_KEY] = pending


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@login_required
def account_phone_view(request):
    """Confirm a new mobile number with a code sent to it (sent as the page opens). The page
    asks for a code only once one was sent; otherwise it says why not, and when one can be."""
    pending = request.session.get(PHONE_CHANGE_SESSION_KEY)
    if not pending:
        return redirect("accounts:account")
    action = request.POST.get("action", "verify")
    if request.method == "POST" and action == "cancel":
        del request.session[PHONE_CHANGE_SESSION_KEY]
        messages.info(request, "Your mobile phone number was not changed.")
        return redirect("accounts:account")
    if request.method == "POST" and action in PhoneChannel.values:
        _phone_change_send(request, pending, action)
        return redirect("accounts:account_phone")
    if request.method == "GET" and not code_step_tried(pending):
        _phone_change_send(request, pending, PhoneChannel.SMS)
    step = code_step(pending, pending["number"])
    form = CodeForm(request.POST if request.method == "POST" and step.sent else None)
    if form.is_bound and form.is_valid():
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
        {"form": form, "number": pending["number"], "step": step},
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
            user=user, request=request, reason=SignInFailure.CURRENT_PASSWORD
        ):
            return locked_out(request)
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
    next_url = safe_next(request) or reverse("accounts:account")
    form = CurrentPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        checked = password_again_checked(request, form)
        if isinstance(checked, HttpResponse):
            return checked
        if checked:
            return redirect(next_url)
    return render(request, "accounts/account/reauth.html", {"form": form, "next": next_url})


def password_again(purpose: str):
    """Ending sessions asks for the password again unless it was typed in the last 5 minutes
    (ASVS V7.5.2: a stolen session cannot sign its owner out).

    The "Confirm your password" page answers in place of the action, and its form posts back
    to the same address: the right password carries the action out in that request, so the
    user presses the button once and types the password once.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if reauth_is_recent(request):
                return view(request, *args, **kwargs)
            form = CurrentPasswordForm(request.POST if "password" in request.POST else None)
            if form.is_bound and form.is_valid():
                checked = password_again_checked(request, form)
                if isinstance(checked, HttpResponse):
                    return checked
                if checked:
                    return view(request, *args, **kwargs)
            context = {"form": form, "purpose": purpose}
            return render(request, "accounts/account/reauth.html", context)

        return wrapper

    return decorator


@sensitive_post_parameters("password")
@require_POST
@csrf_protect
@login_required
@password_again("Type your password again to sign out that session.")
def account_session_end_view(request, session_id: int):
    # sessions_end only ever looks at the signed-in user's own sessions; this one is kept.
    ended = sessions_end(
        user=request.user,
        reason=SessionEndReason.SIGNED_OUT_REMOTELY,
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


@sensitive_post_parameters("password")
@require_POST
@csrf_protect
@login_required
@password_again("Type your password again to sign out your other sessions.")
def account_sessions_end_others_view(request):
    ended = sessions_end(
        user=request.user,
        reason=SessionEndReason.SIGNED_OUT_REMOTELY,
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
def email_confirm_view(request):
    """The new mailbox's link, its token put into the session by the link's page
    (accounts.emailed_links). Confirming takes a button press: mail scanners that open links
    must not spend it."""
    token = link_secret(request, EMAIL_CHANGE)
    found = email_change_read(token)
    if found is None:
        link_forget(request, EMAIL_CHANGE)
        return render(request, "accounts/account/email_invalid.html", status=400)
    user, new_email = found
    request.practice = user.practice
    if request.method == "POST":
        try:
            email_change_confirm(token=token, request=request)
        except ValidationError:
            link_forget(request, EMAIL_CHANGE)
            return render(request, "accounts/account/email_invalid.html", status=400)
        link_forget(request, EMAIL_CHANGE)
        messages.success(request, f"Your email address is now {new_email}.")
        if request.user.is_authenticated and request.user.pk == user.pk:
            return redirect("accounts:account")
        return redirect(login_path_for(user))
    return render(
        request,
        "accounts/account/email_confirm.html",
        {"account": user, "new_email": new_email},
    )
