from django import forms

from accounts.passwords import MAX_PASSWORD_LENGTH, validate_password


class SignInForm(forms.Form):
    practice_code = forms.SlugField(label="Practice code", max_length=40)
    username = forms.CharField(label="Username", max_length=150)
    # max_length here refuses a megabyte password before anything hashes it.
    password = forms.CharField(
        label="Password",
        strip=False,
        max_length=MAX_PASSWORD_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

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


class SetPasswordForm(forms.Form):
    """New password, typed twice, checked against the user's practice rules."""

    new_password1 = forms.CharField(
        label="New password",
        strip=False,
        max_length=MAX_PASSWORD_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label="Confirm new password",
        strip=False,
        max_length=MAX_PASSWORD_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_new_password1(self):
        password = self.cleaned_data["new_password1"]
        validate_password(password, user=self.user)
        return password

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error(
                "new_password2",
                forms.ValidationError("The two passwords do not match.", code="password_mismatch"),
            )
        return cleaned


class SignInPasswordChangeForm(SetPasswordForm):
    """The required change during sign-in: a temporary or an expired password.

    "Current password" is asked only when the password is not temporary: the administrator's
    temporary password was typed a moment ago and is single use.
    """

    current_password = forms.CharField(
        label="Current password",
        strip=False,
        max_length=MAX_PASSWORD_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["current_password", "new_password1", "new_password2"]

    def __init__(self, user, *args, ask_current=True, **kwargs):
        super().__init__(user, *args, **kwargs)
        if not ask_current:
            del self.fields["current_password"]
        self.order_fields(self.field_order)
        self.fields["new_password1"].widget.attrs["data-password-checklist"] = "password-rules"
