"""HTTP glue for an invited user choosing their first password (accounts.invitations)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from accounts.emailed_links import INVITATION, link_forget, link_secret
from accounts.forms.passwords import SetPasswordForm, password_checklist
from accounts.invitations import invitation_accept, invitation_for_token


@sensitive_post_parameters("new_password1", "new_password2")
@csrf_protect
@never_cache
def invitation_view(request):
    # The link's page (accounts.emailed_links) put the token into the session: never in a URL.
    invitation = invitation_for_token(link_secret(request, INVITATION))
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
            link_forget(request, INVITATION)
            messages.success(request, "Your password is set. Sign in to continue.")
            return redirect("accounts:practice_login", code=user.practice.code)
    context = {"form": form, "invited": user, "rules": password_checklist(user, form)}
    return render(request, "accounts/invitation.html", context)
