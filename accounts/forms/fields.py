"""Fields every form that takes a password shares: the password box, and the same password typed
twice."""

from django import forms

from accounts.password_rules import (
    MAX_PASSWORD_LENGTH,
)


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
