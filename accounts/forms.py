"""Forms of signing in: credentials, a verification code, setting a password (at sign-in, on
an invitation, in My Account), and the page an emailed link opens."""

from django import forms

from accounts.emailed_links import MAX_LINK_LENGTH, secret_from_link
from accounts.password_rules import (
    MAX_PASSWORD_LENGTH,
    password_has_history,
    password_rules,
    rules_broken,
    validate_password,
)
from accounts.usernames import normalize_username
from practice.policy import effective_policy


def password_field(label: str, autocomplete: str) -> forms.CharField:
    # max_length refuses a megabyte "password" before anything hashes it.
    return forms.CharField(
        label=label,
        strip=False,
        max_length=MAX_PASSWORD_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


def passwords_match(form: forms.Form, first: str, second: str) -> bool:
    """A password typed twice: an error on the second field when the two differ."""
    one, two = form.cleaned_data.get(first), form.cleaned_data.get(second)
    if one and two and one != two:
        form.add_error(
            second,
            forms.ValidationError("The two passwords do not match.", code="password_mismatch"),
        )
        return False
    return True


class SignInForm(forms.Form):
    error_summary_title = "You are not signed in"  # the heading of its error summary

    practice_code = forms.SlugField(label="Practice code", max_length=40)
    username = forms.CharField(label="Username", max_length=150)
    password = password_field("Password", "current-password")

    def __init__(self, *args, ask_practice_code=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        )
        first_empty = "username"
        if ask_practice_code:
            self.fields["practice_code"].widget.attrs.update(
                {"autocapitalize": "none", "spellcheck": "false"}
            )
            if not self.initial.get("practice_code"):
                first_empty = "practice_code"
        else:
            # The practice comes from the URL (/p/<code>/login/), or it is support staff.
            del self.fields["practice_code"]
        self.fields[first_empty].widget.attrs["autofocus"] = True

    def clean_username(self):
        # The same text the username was stored as (full-width letters typed on a phone too).
        return normalize_username(self.cleaned_data["username"])


class CodeForm(forms.Form):
    """ "Verification code": six digits from an app, a text, a call or an email; or (not
    `numeric`) a recovery code, XXXX-XXXX-XXXX. The one code form of every page that asks."""

    error_summary_title = "The code was not accepted"  # the heading of its error summary

    code = forms.CharField(
        label="Verification code",
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "autofocus": True,
                "class": "code-input",
            }
        ),
    )

    def __init__(self, *args, numeric: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if numeric:
            self.fields["code"].widget.attrs.update({"inputmode": "numeric", "maxlength": "6"})
            self.fields["code"].help_text = "Enter the 6-digit code."
        else:
            self.fields[
                "code"
            ].help_text = (
                "Enter one of your recovery codes, such as ABCD-EFGH-JKMN. Each works once."
            )

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split())


class EmergencyForm(forms.Form):
    """Why an emergency access account must sign in now, outside its usual rules."""

    error_summary_title = "The emergency was not declared"  # the heading of its error summary

    reason = forms.CharField(
        label="Reason",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Every administrator of your practice reads this at once.",
    )

    def clean_reason(self):
        reason = " ".join(self.cleaned_data["reason"].split())
        if len(reason) < 5:
            raise forms.ValidationError(
                "Say in a few words why you need access now.", code="reason_too_short"
            )
        return reason


class EmailedLinkForm(forms.Form):
    """The secret of an emailed link: posted by the page's script from the link's `#` part, or
    the whole link pasted by hand when JavaScript is off."""

    error_summary_title = "The link was not accepted"  # the heading of its error summary

    link = forms.CharField(
        label="Link from the email",
        max_length=MAX_LINK_LENGTH,
        error_messages={"required": "Paste the whole link from the email."},
        help_text=(
            "If this page does not go on by itself, copy the whole link from the email and "
            "paste it here."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}
        ),
    )

    def clean_link(self):
        secret = secret_from_link(self.cleaned_data["link"])
        if not secret:
            raise forms.ValidationError("Paste the whole link from the email.", code="link_empty")
        return secret


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
