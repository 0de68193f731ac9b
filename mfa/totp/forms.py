from django import forms

from accounts.forms.signin import CodeForm
from mfa.devices import NAME_MAX_LENGTH


class TitleForm(forms.Form):
    error_summary_title = "The authenticator app was not added"  # the heading of its error summary

    title = forms.CharField(
        label="Title for authenticator",
        max_length=NAME_MAX_LENGTH,
        help_text="Shown in your authenticator app next to the codes for this account.",
    )


class AppSetupForm(TitleForm, CodeForm):
    """The title (which the QR code carries) and the first code the app shows."""

    field_order = ["title", "code"]
