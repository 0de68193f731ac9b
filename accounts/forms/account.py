"""Forms of My Account and of the forgotten-password pages. They validate; services change."""

from django import forms

from accounts.forms.fields import password_field
from accounts.models import User
from accounts.password_rules import MAX_PASSWORD_LENGTH
from accounts.profile import PROFILE_FIELDS
from phonecodes.codes import PhoneCodeError, number_check, phone_codes_available
from phonecodes.models import PhoneChannel
from phonecodes.numbers import normalize_phone
from practice.time_zones import TimeZoneSelect, zone_field_choices
from practice.validators import validate_npi

# The id of the live checklist beside the new-password field (see password_checklist.js).


class ProfileForm(forms.Form):
    """The user's own details. Email and mobile phone changes are confirmed before they apply,
    and need the current password (unless it was confirmed in the last few minutes)."""

    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    email = forms.EmailField(label="Email", max_length=254)
    mobile_phone = forms.CharField(
        label="Mobile phone",
        max_length=30,
        required=False,
        help_text="Receives verification codes. A new number is confirmed with a code first.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    other_phone = forms.CharField(
        label="Other phone",
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    time_zone = forms.ChoiceField(
        label="Time zone", required=False, choices=(), widget=TimeZoneSelect
    )
    npi = forms.CharField(label="NPI", max_length=10, required=False)
    ada_number = forms.CharField(label="ADA number", max_length=20, required=False)
    specialties = forms.CharField(label="Specialties", max_length=200, required=False)
    current_password = forms.CharField(
        label="Current password",
        strip=False,
        required=False,
        max_length=MAX_PASSWORD_LENGTH,
        help_text="Needed only to change your email or mobile phone.",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user: User, *args, **kwargs):
        initial = {name: getattr(user, name) for name in (*PROFILE_FIELDS, "email", "mobile_phone")}
        super().__init__(*args, initial=initial, **kwargs)
        self.user = user
        practice_zone = user.practice.time_zone if user.practice_id else ""
        self.fields["time_zone"].choices = zone_field_choices(
            first=practice_zone, empty_label="The practice's time zone"
        )

    def clean_mobile_phone(self):
        number = normalize_phone(self.cleaned_data["mobile_phone"])
        if number and number != self.user.mobile_phone and phone_codes_available():
            # A number no code may go to (a country the practice does not allow, a premium-rate
            # line) is refused here, with the reason, rather than on a page asking for a code
            # that could never be sent.
            try:
                number_check(user=self.user, number=number, channel=PhoneChannel.SMS)
            except PhoneCodeError as exc:
                raise forms.ValidationError(exc.message, code=exc.code) from None
        return number

    def clean_other_phone(self):
        return normalize_phone(self.cleaned_data["other_phone"])

    def clean_npi(self):
        npi = self.cleaned_data["npi"].strip()
        if npi:
            validate_npi(npi)
        return npi

    @property
    def email_changed(self) -> bool:
        return self.cleaned_data["email"].lower() != self.user.email.lower()

    @property
    def mobile_phone_changed(self) -> bool:
        return self.cleaned_data["mobile_phone"] != self.user.mobile_phone

    def profile_changes(self) -> dict:
        """The plain details, for accounts.profile.profile_update."""
        return {name: self.cleaned_data[name] for name in PROFILE_FIELDS}


class CurrentPasswordForm(forms.Form):
    """The confirm-password page (re-authentication before a dangerous change)."""

    error_summary_title = "Your password was not confirmed"  # the heading of its error summary

    password = password_field("Password", "current-password")


class PasswordResetRequestForm(forms.Form):
    error_summary_title = "No reset link was sent"  # the heading of its error summary

    practice_code = forms.CharField(label="Practice code", max_length=40)
    identifier = forms.CharField(label="Username or email", max_length=254)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practice_code"].widget.attrs.update(
            {"autocapitalize": "none", "autocomplete": "organization"}
        )
        self.fields["identifier"].widget.attrs.update(
            {"autocapitalize": "none", "autocomplete": "username"}
        )
