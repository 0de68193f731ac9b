"""Forms shared by the factors: a code, a name."""

from django import forms

from mfa.devices import NAME_MAX_LENGTH


class CodeForm(forms.Form):
    """ "Verification code": six digits from an app, a text, a call or an email; or a
    recovery code (XXXX-XXXX-XXXX)."""

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


class RenameForm(forms.Form):
    name = forms.CharField(label="Name", max_length=NAME_MAX_LENGTH)
