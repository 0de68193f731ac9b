"""Adding users (and copying one), and an invited user's invitation: re-invite, correct contact."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts.invitations import invited_contact_update, user_reinvite
from accounts.users import user_add
from practice.console.access import console_view, user_for_admin
from practice.console.forms.new_user import TEMPORARY, AddUserForm, InvitedContactForm
from practice.console.selectors.user_page import user_registration
from practice.console.views.common import add_errors
from practice.vocabulary import Permission


@sensitive_post_parameters("temporary_password", "temporary_password2")
@never_cache
@console_view(get=Permission.ADD_USERS, post=Permission.ADD_USERS)
def user_new(request):
    copy_from = None
    if "copy" in request.GET:
        copy_from = user_for_admin(request, request.GET["copy"])
    initial = {"role": copy_from.practice_role_id} if copy_from else {}
    form = AddUserForm(request.POST or None, initial=initial, actor=request.user)
    if request.method == "POST" and form.is_valid():
        invite = form.cleaned_data["then"] != TEMPORARY
        try:
            result = user_add(
                practice=request.user.practice,
                actor=request.user,
                new=form.new_user(),
                invite=invite,
                temporary_password=form.cleaned_data["temporary_password"],
                copy_from=copy_from,
                request=request,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            user = result.user
            if result.invitation_sent:
                messages.success(
                    request, f"Added {user}; an invitation was emailed to {user.email}."
                )
            elif result.invitation_failed:
                messages.warning(
                    request,
                    f"Added {user}, but the invitation email could not be sent. "
                    "Use Re-invite to try again.",
                )
            else:
                messages.success(
                    request,
                    f"Added {user} with a temporary password; they change it at first sign-in.",
                )
            return redirect("console:user", user_id=user.pk)
    return render(
        request,
        "console/user_new.html",
        {"form": form, "copy_from": copy_from, "console_section": "new"},
        status=400 if form.is_bound else 200,
    )


@never_cache
@console_view(post=Permission.ADD_USERS)
def user_reinvite_view(request, user_id):
    user = user_for_admin(request, user_id)
    try:
        sent = user_reinvite(user=user, actor=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if sent:
            messages.success(
                request,
                f"A new invitation was emailed to {user.email}; the old link no longer works.",
            )
        else:
            messages.warning(
                request, "A new invitation was made but the email could not be sent. Try again."
            )
    return redirect("console:user", user_id=user.pk)


@never_cache
@console_view(get=Permission.ADD_USERS, post=Permission.ADD_USERS)
def user_invitation(request, user_id):
    """An invited user's email and phone, correctable until they register; and Re-invite."""
    user = user_for_admin(request, user_id)
    registered = user.is_registered
    form = InvitedContactForm(
        request.POST or None,
        initial={"email": user.email, "mobile_phone": user.mobile_phone},
    )
    if request.method == "POST" and not registered and form.is_valid():
        try:
            changed = invited_contact_update(
                user=user,
                actor=request.user,
                email=form.cleaned_data["email"],
                mobile_phone=form.cleaned_data["mobile_phone"],
                request=request,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            if changed:
                messages.success(
                    request,
                    f"Saved {user}'s email and phone. Use Re-invite to send the link to the "
                    "new address.",
                )
            else:
                messages.info(request, "Nothing changed.")
            return redirect("console:user_invitation", user_id=user.pk)
    return render(
        request,
        "console/user_invitation.html",
        {
            "target": user,
            "form": form,
            "registered": registered,
            "registration": user_registration(user),
            "console_section": "users",
        },
        status=400 if form.is_bound else 200,
    )
