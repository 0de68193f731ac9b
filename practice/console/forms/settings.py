"""The console's practice settings form."""

from django import forms

from practice.forms import OfficeNetworksField
from practice.models import PasswordProfile, Practice, TwoFactorPolicy
from practice.services import SETTINGS_FIELDS
from practice.time_zones import TimeZoneSelect, zone_field_choices


class SettingsForm(forms.Form):
    time_zone = forms.ChoiceField(label="Time zone", choices=(), widget=TimeZoneSelect)
    office_networks = OfficeNetworksField()
    require_two_factor = forms.BooleanField(
        label="Require two-factor authentication", required=False
    )
    prompt_two_factor = forms.BooleanField(
        label="Prompt users to set up two-factor authentication",
        required=False,
        help_text="When it is not required: users may skip the setup at sign-in.",
    )
    two_factor_office_exempt = forms.BooleanField(
        label="Skip two-factor authentication on office networks", required=False
    )
    allow_self_pairing_reset = forms.BooleanField(
        label="Users may reset their own 2FA pairing", required=False
    )
    lockout_threshold = forms.IntegerField(label="Lockout threshold", min_value=1, max_value=100)
    auto_unlock_minutes = forms.IntegerField(
        label="Auto-unlock (minutes)",
        min_value=0,
        max_value=7 * 24 * 60,
        help_text="0: only an administrator or a completed password reset unlocks.",
    )
    notify_admins_on_lock = forms.BooleanField(
        label="Email administrators when an account locks", required=False
    )
    idle_timeout_minutes = forms.IntegerField(
        label="Idle sign-out (minutes)", min_value=1, max_value=24 * 60
    )
    one_session_per_user = forms.BooleanField(label="One session per user", required=False)
    dormant_after_days = forms.IntegerField(
        label="Deactivate after days without sign-in",
        min_value=0,
        max_value=3650,
        help_text="0: never. Administrators and emergency access accounts are warned instead, "
        "unless the box below is ticked; a weekly email lists who was and who will be.",
    )
    dormant_includes_admins = forms.BooleanField(
        label="Also deactivate dormant administrators and emergency access accounts",
        required=False,
    )
    access_review_days = forms.IntegerField(
        label="Access review every (days)",
        min_value=0,
        max_value=3650,
        help_text="0: no periodic review. Remote access and elevated roles not reviewed within "
        "14 days of the due date are removed.",
    )
    password_profile = forms.ChoiceField(label="Password rules", choices=PasswordProfile.choices)
    password_expiry_days = forms.IntegerField(
        label="Password expiry (days)",
        min_value=0,
        max_value=3650,
        help_text="0: passwords never expire (NIST 800-63B never expires them either).",
    )
    confirm_wide_networks = forms.BooleanField(
        label="Save anyway: I mean these very wide networks",
        required=False,
    )
    confirm_office_exclusion = forms.BooleanField(
        label="Save anyway: my current address will no longer be on an office network",
        required=False,
    )

    def __init__(self, *args, practice: Practice, **kwargs):
        initial = {name: getattr(practice, name) for name in SETTINGS_FIELDS}
        initial["require_two_factor"] = practice.two_factor_policy == TwoFactorPolicy.REQUIRE
        initial["prompt_two_factor"] = practice.two_factor_policy == TwoFactorPolicy.PROMPT
        initial["office_networks"] = "\n".join(
            practice.office_networks.order_by("cidr").values_list("cidr", flat=True)
        )
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["time_zone"].choices = zone_field_choices(first=practice.time_zone)

    @property
    def asks_wide_confirmation(self) -> bool:
        return self.has_error("office_networks", "network_too_wide") or bool(
            self.data.get("confirm_wide_networks")
        )

    def values(self) -> dict:
        data = self.cleaned_data
        if data["require_two_factor"]:
            policy = TwoFactorPolicy.REQUIRE
        elif data["prompt_two_factor"]:
            policy = TwoFactorPolicy.PROMPT
        else:
            policy = TwoFactorPolicy.NONE
        values = {name: data[name] for name in SETTINGS_FIELDS if name != "two_factor_policy"}
        values["two_factor_policy"] = policy.value
        return values
