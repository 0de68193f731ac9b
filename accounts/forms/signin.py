"""Forms of signing in: credentials, a verification code, an emergency's reason, and the page an
emailed link opens."""

from django import forms

from accounts.emailed_links import MAX_LINK_LENGTH, secret_from_link
from accounts.forms.fields import password_field
from accounts.usernames import normalize_username


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
