"""Setting a password (at sign-in, on an invitation, after a reset, in My Account) against the
practice's rules, with the live checklist of those rules."""

from django import forms

from accounts.forms.fields import password_field, passwords_match
from accounts.password_rules import (
    password_has_history,
    password_rules,
    rules_broken,
    validate_password,
)
from practice.policy import effective_policy

# The id of the live checklist of password rules beside the "New password" field.
CHECKLIST_ID = "password-rules"


class SetPasswordForm(forms.Form):
    """New password, typed twice, checked against the user's practice rules."""

    error_summary_title = "The password was not changed"  # the heading of its error summary

    new_password1 = password_field("New password", "new-password")
    new_password2 = password_field("Confirm new password", "new-password")

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        attrs = self.fields["new_password1"].widget.attrs
        attrs["aria-describedby"] = CHECKLIST_ID
        attrs["data-password-checklist"] = CHECKLIST_ID

    def clean_new_password1(self):
        password = self.cleaned_data["new_password1"]
        validate_password(password, user=self.user)
        return password

    def clean(self):
        cleaned = super().clean()
        passwords_match(self, "new_password1", "new_password2")
        return cleaned


class PasswordChangeForm(SetPasswordForm):
    """Current password, then a new one twice (My Account, and an expired one at sign-in).

    Without `ask_current` (a temporary password at sign-in: the administrator's password was
    typed a moment ago and is single use) only the new password is asked.
    """

    current_password = password_field("Current password", "current-password")
    field_order = ["current_password", "new_password1", "new_password2"]

    def __init__(self, user, *args, ask_current=True, **kwargs):
        super().__init__(user, *args, **kwargs)
        if not ask_current:
            del self.fields["current_password"]
        self.order_fields(self.field_order)

    def clean_current_password(self):
        password = self.cleaned_data["current_password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                "Your current password is not right.", code="password_incorrect"
            )
        return password

    @property
    def current_password_wrong(self) -> bool:
        return self.has_error("current_password", "password_incorrect")


def password_checklist(user, form) -> list[dict]:
    """The practice's rules for the live checklist, marked where the last attempt broke one."""
    failed = rules_broken(form.errors.as_data().get("new_password1", []))
    rules = password_rules(effective_policy(user), with_history=password_has_history(user))
    return [{**rule, "failed": rule["id"] in failed} for rule in rules]
