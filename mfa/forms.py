"""Forms shared by the factors: a name. (The code form is accounts.forms.CodeForm.)"""

from django import forms

from mfa.devices import NAME_MAX_LENGTH


class RenameForm(forms.Form):
    name = forms.CharField(label="Name", max_length=NAME_MAX_LENGTH)
