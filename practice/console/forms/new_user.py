"""The console's forms for adding a user (and copying one) and for an invited user's contact.

Each declares exactly the fields it offers; the rules live in the services (accounts.users).
"""

from django import forms

from accounts.forms.fields import password_field, passwords_match
from accounts.models import Role, User
from accounts.permissions import may_give_role
from accounts.users import NewUser
from practice.models import PracticeRole

INVITE = "invite"
TEMPORARY = "temporary"


class AddUserForm(forms.Form):
    error_summary_title = "The user was not added"  # the heading of its error summary

    username = forms.CharField(label="Username", max_length=150)
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    email = forms.EmailField(label="Email", required=False)
    mobile_phone = forms.CharField(label="Mobile phone", max_length=32, required=False)
    role = forms.ModelChoiceField(
        label="Role", queryset=PracticeRole.objects.none(), empty_label=None
    )
    verify_phone_at_registration = forms.BooleanField(
        label="Two-step verification at registration", required=False
    )
    then = forms.ChoiceField(
        label="Then",
        choices=[(INVITE, "Send an invitation by email"), (TEMPORARY, "Set a temporary password")],
        widget=forms.RadioSelect,
        initial=INVITE,
    )
    temporary_password = password_field("Temporary password", "new-password")
    temporary_password2 = password_field("Retype temporary password", "new-password")

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        # Offered: the roles that give no more than the actor may do (the service checks too).
        roles = PracticeRole.objects.filter(practice_id=actor.practice_id)
        offered = [role.pk for role in roles if may_give_role(actor, role)]
        self.fields["role"].queryset = roles.filter(pk__in=offered)
        if not self.is_bound and "role" not in self.initial:
            self.initial["role"] = (
                roles.filter(seeded_as=Role.USER).values_list("pk", flat=True).first()
            )
        self.fields["temporary_password"].required = False
        self.fields["temporary_password2"].required = False
        self.fields["username"].widget.attrs.update({"autocomplete": "off"})
        self.fields["mobile_phone"].widget.attrs.update({"type": "tel"})

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("then") == INVITE and "email" in cleaned and not cleaned["email"]:
            self.add_error("email", "An invitation is sent by email: give an email address.")
        if cleaned.get("then") == TEMPORARY:
            if not cleaned.get("temporary_password"):
                self.add_error("temporary_password", "Type the temporary password.")
            else:
                passwords_match(self, "temporary_password", "temporary_password2")
        return cleaned

    def new_user(self) -> NewUser:
        data = self.cleaned_data
        return NewUser(
            username=data["username"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            mobile_phone=data["mobile_phone"],
            role=data["role"],
            verify_phone_at_registration=data["verify_phone_at_registration"],
        )


class InvitedContactForm(forms.Form):
    email = forms.EmailField(label="Email")
    mobile_phone = forms.CharField(label="Mobile phone", max_length=32, required=False)
