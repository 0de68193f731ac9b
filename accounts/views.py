"""HTTP glue for signing in and registering. The rules live in the service modules."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from accounts.forms import SetPasswordForm, SignInForm
from accounts.invitations import invitation_accept, invitation_for_token
from practice.models import Practice

INVITATION_SESSION_KEY = "_invitation_token"
# The path segment that replaces the token once it is in the session; not a secret.
TOKEN_IN_SESSION = "set"  # noqa: S105


def home(request):
    if request.user.is_authenticated:
        return redirect("accounts:login")
    return redirect("accounts:login")


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request, code=None):
    practice = None
    if code is not None:
        practice = get_object_or_404(Practice, code=code.lower())
        request.practice = practice
    form = SignInForm(
        request.POST or None,
        practice=practice,
        initial={"practice_code": request.COOKIES.get("practice_code", "")},
    )
    return render(request, "accounts/login.html", {"form": form, "practice": practice})


@sensitive_post_parameters("new_password1", "new_password2")
@csrf_protect
@never_cache
def invitation_view(request, token):
    # The token leaves the URL before the form renders (as Django's reset view does), so it
    # does not linger in history or leak through the Referer header.
    if token != TOKEN_IN_SESSION:
        request.session[INVITATION_SESSION_KEY] = token
        return redirect("accounts:invitation", token=TOKEN_IN_SESSION)
    invitation = invitation_for_token(request.session.get(INVITATION_SESSION_KEY, ""))
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=400)
    user = invitation.user
    request.practice = user.practice
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation_accept(
                invitation=invitation, password=form.cleaned_data["new_password1"], request=request
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            del request.session[INVITATION_SESSION_KEY]
            messages.success(request, "Your password is set. Sign in to continue.")
            return redirect("accounts:practice_login", code=user.practice.code)
    return render(request, "accounts/invitation.html", {"form": form, "invited": user})
