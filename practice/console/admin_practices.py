"""Support staff's "Invite the first administrator" on a practice in Django admin.

A practice added in Django admin (or by `create_practice`) has nobody who can sign in. Support
invites its first administrator here, through the console's own services: `user_add` makes
the user (the practice's starting "Practice administrator" role) and `accounts.invitations`
emails the link, each audited with the staff member as the actor, in the practice's own log.
Support never sets or sees a password: the administrator chooses theirs from the link.

Only while the practice has no administrator who has registered: after that, its
administrators invite everyone else from the console. An administrator invited earlier who
has not registered yet (the link expired, or went to a wrong address) is invited again
instead, at the address given now; their old link stops working.

This module sits with the console, on top of accounts, because its action uses accounts'
services; practice.admin (the tenant core) registers the page it extends.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse

from accounts.invitations import invited_contact_update, user_reinvite
from accounts.models import Role, User
from accounts.permissions import role_managers
from accounts.roles import role_for_kind
from accounts.users import NewUser, user_add
from practice.admin import PracticeAdmin
from practice.models import Practice


class FirstAdministratorForm(forms.Form):
    username = forms.CharField(label="Username", max_length=150)
    email = forms.EmailField(
        label="Email", help_text="The invitation link goes here; it is valid for 7 days."
    )
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)

    def __init__(self, *args, invited: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if invited is not None:
            # Invited again as who they are: only the address may be corrected.
            for name in ("username", "first_name", "last_name"):
                self.fields[name].disabled = True
            self.initial.update(
                username=invited.username,
                email=invited.email,
                first_name=invited.first_name,
                last_name=invited.last_name,
            )


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _invite(request, practice: Practice, invited: User | None, data: dict) -> tuple[User, bool]:
    """Invite (or invite again) through the services; returns the user and whether the email
    went out."""
    if invited is not None:
        invited_contact_update(
            user=invited,
            actor=request.user,
            email=data["email"],
            mobile_phone=invited.mobile_phone,
            request=request,
        )
        invited.refresh_from_db()
        return invited, user_reinvite(user=invited, actor=request.user, request=request)
    new = NewUser(
        username=data["username"],
        first_name=data["first_name"],
        last_name=data["last_name"],
        email=data["email"],
        mobile_phone="",
        role=role_for_kind(practice, Role.ADMIN),
    )
    result = user_add(practice=practice, actor=request.user, new=new, invite=True, request=request)
    return result.user, result.invitation_sent


@admin.action(description="Invite the first administrator")
def invite_first_administrator(modeladmin, request, queryset):
    practices = list(queryset[:2])
    if len(practices) != 1:
        modeladmin.message_user(
            request, "Choose one practice to invite its first administrator.", messages.WARNING
        )
        return None
    practice = practices[0]
    administrators = list(role_managers(practice.pk).order_by("pk"))
    registered = [user for user in administrators if user.is_registered]
    if registered:
        names = ", ".join(user.username for user in registered)
        modeladmin.message_user(
            request,
            f"{practice.name} already has an administrator ({names}): they invite everyone "
            "else from the console.",
            messages.WARNING,
        )
        return None
    invited = administrators[0] if administrators else None
    bound = request.POST.get("confirmed") == "yes"
    form = FirstAdministratorForm(request.POST if bound else None, invited=invited)
    if bound and form.is_valid():
        try:
            user, sent = _invite(request, practice, invited, form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if sent:
                modeladmin.message_user(
                    request,
                    f"Invited {user.username} ({user.email}) as the first administrator of "
                    f"{practice.name}. They set their own password from the emailed link.",
                    messages.SUCCESS,
                )
            else:
                modeladmin.message_user(
                    request,
                    f"Added {user.username} as the first administrator of {practice.name}, "
                    "but the invitation email could not be sent: try again later.",
                    messages.ERROR,
                )
            return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": f"Invite the first administrator of {practice.name}",
        "practice": practice,
        "invited": invited,
        "form": form,
        "action": "invite_first_administrator",
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        "opts": modeladmin.model._meta,
    }
    return TemplateResponse(request, "admin/practice/practice/invite_administrator.html", context)


class SupportPracticeAdmin(PracticeAdmin):
    actions = [invite_first_administrator]


admin.site.unregister(Practice)
admin.site.register(Practice, SupportPracticeAdmin)
