"""The console's forms for users: the list's filters, the user page, temporary passwords (adding
and inviting: forms.new_user). Each declares exactly the fields it offers: nothing else in a POST
is read.

Forms validate the shape of the input (a time is HH:MM, a date is in range, the two passwords
match); the rules (who may change what, the password policy, what remote access needs) live in
the services, which the views call and whose refusals land on the matching field.
"""

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError

from accounts.forms.fields import password_field, passwords_match
from accounts.lifecycle import CHANGE_PERMISSIONS, UserChanges
from accounts.login_times import WINDOWS_PER_DAY, window_overlaps
from accounts.models import TwoFactorSetup, User, Weekday
from accounts.permissions import may_act_on, may_give_role, permissions_of
from practice.console.forms.fields import BoundedDateField
from practice.console.selectors.user_list import SORTS
from practice.days import day_end, last_day
from practice.models import PracticeRole, Provider
from practice.vocabulary import FactorKind, Permission

TIME_PATTERN = re.compile(r"^(\d{1,2}):(\d{2})$")


DAY_FIELDS = [(day, Weekday(day).label) for day in Weekday.values]


def _day_key(day: int) -> str:
    return Weekday(day).label.lower()


# A day's first window keeps the plain names ("Monday start"); a split shift's next one is
# "Monday second start" (field monday_start_2).
ORDINALS = ["", "second", "third"]


def _window_names(day: int, slot: int) -> tuple[str, str]:
    suffix = f"_{slot + 1}" if slot else ""
    key = _day_key(day)
    return f"{key}_start{suffix}", f"{key}_end{suffix}"


def _window_labels(label: str, slot: int) -> tuple[str, str]:
    ordinal = f" {ORDINALS[slot]}" if slot else ""
    return f"{label}{ordinal} start", f"{label}{ordinal} end"


def parse_hhmm(value: str) -> time:
    match = TIME_PATTERN.match(value.strip())
    if match:
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise ValidationError("Use 24-hour HH:MM, such as 07:30 or 18:00.", code="invalid_time")


class TimeText(forms.TextInput):
    """A 24-hour time typed as text: a browser's time picker would show am/pm in en-US."""

    def __init__(self):
        super().__init__(
            attrs={
                "inputmode": "numeric",
                "placeholder": "HH:MM",
                "autocomplete": "off",
                "maxlength": 5,
                "class": "input-time",
            }
        )


class UserListForm(forms.Form):
    """The list's search and filters (GET). "Active only" is on until the form is submitted."""

    q = forms.CharField(label="Search", required=False, max_length=100)
    active = forms.BooleanField(label="Active only", required=False)
    locked = forms.BooleanField(label="Locked", required=False)
    remote = forms.BooleanField(label="Remote access", required=False)
    without_2fa = forms.BooleanField(label="Without 2FA", required=False)
    sort = forms.CharField(required=False, widget=forms.HiddenInput)
    # Marks a submitted form: without it "Active only" takes its default (on).
    filtered = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, data, **kwargs):
        if not data.get("filtered"):
            data = data.copy()
            data["active"] = "on"
        super().__init__(data, **kwargs)
        self.fields["q"].widget.attrs.update({"type": "search", "autocomplete": "off"})

    def clean_sort(self):
        sort = self.cleaned_data["sort"]
        return sort if sort.lstrip("-") in SORTS else "name"


def _until_to_date(until: datetime | None, zone: ZoneInfo) -> date | None:
    """The last day of a time-limited grant (the grant ends at the midnight after it)."""
    return last_day(until, zone) if until is not None else None


def _date_to_until(day: date | None, zone: ZoneInfo) -> datetime | None:
    return day_end(day, zone) if day is not None else None


# The user page's sections, in the page's order: each is a form of its own with its own "Save"
# right after it, so the keyboard reaches the Save of what was changed without passing the
# week's login-time fields, and a section's save changes only its own fields. The keys are the
# posted `section` and the sections' ids on the page; the names are UserChanges' ("windows": the
# days' fields).
USER_PAGE_SECTIONS: dict[str, tuple[str, ...]] = {
    "lockout": ("locked",),
    "remote_access": (
        "pm_username",
        "remote_access",
        "remote_access_until",
        "remote_access_reason",
        "emergency_access",
    ),
    "login_times": ("login_times_restricted", "windows"),
    "access": ("active", "access_ends_on"),
    "details": ("role", "two_factor_setup", "provider", "verify_phone_at_registration"),
}


class UserForm(forms.Form):
    """The user page's "Save": access, role, second-factor setup, provider and login times; with
    `section`, one section's "Save" (USER_PAGE_SECTIONS): its fields only, the rest unchanged."""

    active = forms.BooleanField(label="Active", required=False)
    pm_username = forms.CharField(
        label="Practice management username", required=False, max_length=150
    )
    remote_access = forms.BooleanField(label="Allow remote access", required=False)
    remote_access_until = BoundedDateField(
        label="Remote access until",
        required=False,
        help_text="Optional: the last day (a locum, an on-call week). Empty: no end date.",
    )
    remote_access_reason = forms.CharField(
        label="Reason for remote access", required=False, max_length=200
    )
    locked = forms.BooleanField(label="Login locked", required=False)
    role = forms.ModelChoiceField(
        label="Role", queryset=PracticeRole.objects.none(), empty_label=None
    )
    two_factor_setup = forms.ChoiceField(
        label="Second-factor setup", choices=TwoFactorSetup.choices, required=False
    )
    provider = forms.ModelChoiceField(
        label="User is this provider",
        queryset=Provider.objects.none(),
        required=False,
        empty_label="(not a provider)",
    )
    verify_phone_at_registration = forms.BooleanField(
        label="Two-step verification at registration", required=False
    )
    login_times_restricted = forms.BooleanField(label="Restrict login times", required=False)
    access_ends_on = BoundedDateField(
        label="Access ends on",
        required=False,
        help_text="From this day, in the practice's time zone, the user cannot sign in (a locum's "
        "last day plus one, a leaver's). Empty: no end.",
    )
    emergency_access = forms.BooleanField(
        label="Emergency access account",
        required=False,
        help_text="When login times or the remote-access rule refuse a sign-in, this user may "
        "declare an emergency and sign in for at most 4 hours (second factor still asked; "
        "every administrator is emailed).",
    )

    def __init__(self, *args, user: User, actor: User, section: str | None = None, **kwargs):
        self.user = user
        self.section = section
        self.zone = user.practice.zone
        windows: dict[int, list] = {}
        for window in sorted(user.login_windows.all(), key=lambda w: (w.weekday, w.start)):
            windows.setdefault(window.weekday, []).append(window)
        initial = {
            "active": user.is_active,
            "pm_username": user.pm_username,
            "remote_access": user.remote_access,
            "remote_access_until": _until_to_date(user.remote_access_until, self.zone),
            "remote_access_reason": user.remote_access_reason,
            "locked": user.is_locked,
            "role": user.practice_role_id,
            "two_factor_setup": user.two_factor_setup,
            "provider": user.provider_id,
            "verify_phone_at_registration": user.verify_phone_at_registration,
            "login_times_restricted": user.login_times_restricted,
            "emergency_access": user.emergency_access,
            "access_ends_on": user.access_ends_on,
        }
        for day, day_windows in windows.items():
            for slot, window in enumerate(day_windows[:WINDOWS_PER_DAY]):
                start_name, end_name = _window_names(day, slot)
                initial[start_name] = f"{window.start:%H:%M}"
                initial[end_name] = f"{window.end:%H:%M}"
        super().__init__(*args, initial=initial, **kwargs)
        self.window_fields = []
        for day, label in DAY_FIELDS:
            for slot in range(WINDOWS_PER_DAY):
                names, labels = _window_names(day, slot), _window_labels(label, slot)
                for name, field_label in zip(names, labels, strict=True):
                    self.fields[name] = forms.CharField(
                        label=field_label, required=False, max_length=5, widget=TimeText()
                    )
                self.window_fields.extend(names)
        self.fields["provider"].queryset = Provider.objects.filter(practice_id=user.practice_id)
        # Offered: the roles the actor may give (and the user's own, which they keep).
        roles = PracticeRole.objects.filter(practice_id=user.practice_id)
        self.fields["role"].queryset = roles.filter(
            pk__in=[
                role.pk
                for role in roles
                if role.pk == user.practice_role_id or may_give_role(actor, role)
            ]
        )
        self.fields["pm_username"].widget.attrs.update(
            {"autocomplete": "off", "data-pm-username": ""}
        )
        linked = (
            self.data.get("pm_username", user.pm_username) if self.is_bound else user.pm_username
        )
        self.remote_needs_link = not str(linked).strip()
        remote = self.fields["remote_access"]
        remote.widget.attrs.update(
            {"aria-describedby": "remote-access-note", "data-remote-access": ""}
        )
        if self.remote_needs_link:
            # Only the control is disabled (console.js enables it as a username is typed); the
            # field itself stays live, and clean() refuses remote access without a username.
            remote.widget.attrs["disabled"] = True
        if user.pk == actor.pk:
            # Administrators do not lock, deactivate, demote or time themselves out here.
            own = ["active", "locked", "role", "login_times_restricted", "access_ends_on"]
            own += self.window_fields
            for name in own:
                self.fields[name].disabled = True
        # Each part of the page is offered only to whom may change it, and nothing of a user who
        # holds more than the actor (the authority rule); what is not offered keeps its value
        # (changes() below), and the services refuse it anyway. A section's save reads its own
        # fields only (an unknown section's, none): the others keep their values the same way.
        held = permissions_of(actor) if may_act_on(actor, user) else frozenset()
        read = USER_PAGE_SECTIONS.get(section, ()) if section is not None else None
        for name in list(self.fields):
            elsewhere = read is not None and change_name(name) not in read
            if elsewhere or field_permission(name) not in held:
                del self.fields[name]

    @property
    def offers_login_times(self) -> bool:
        return "login_times_restricted" in self.fields

    @property
    def sections_offered(self) -> dict[str, bool]:
        """Which sections have a field here (the page shows a section's Save only then)."""
        offered = {change_name(name) for name in self.fields}
        return {key: not offered.isdisjoint(names) for key, names in USER_PAGE_SECTIONS.items()}

    def day_rows(self):
        """(label, [(start field, end field) per window]) per day, Monday first."""
        if not self.offers_login_times:
            return []
        return [
            (
                label,
                [
                    tuple(self[name] for name in _window_names(day, slot))
                    for slot in range(WINDOWS_PER_DAY)
                ],
            )
            for day, label in DAY_FIELDS
        ]

    def clean(self):
        cleaned = super().clean()
        if not self.offers_login_times:
            return cleaned
        windows: dict[int, list[tuple[time, time]]] = {}
        # Where an overlap is reported: the start field of the window named second.
        start_fields: dict[tuple[int, time, time], str] = {}
        for day, label in DAY_FIELDS:
            windows[day] = []
            for slot in range(WINDOWS_PER_DAY):
                pair = self._clean_window(cleaned, day, label, slot)
                if pair is not None:
                    windows[day].append(pair)
                    start_fields[(day, *pair)] = _window_names(day, slot)[0]
        if not self.errors:
            for later, error in window_overlaps(windows):
                self.add_error(start_fields[later], error)
        cleaned["windows"] = {day: pairs or None for day, pairs in windows.items()}
        return cleaned

    def _clean_window(self, cleaned, day: int, label: str, slot: int):
        """One window's (start, end), or None: empty, or an error added to its field."""
        start_name, end_name = _window_names(day, slot)
        raw_start = (cleaned.get(start_name) or "").strip()
        raw_end = (cleaned.get(end_name) or "").strip()
        if not raw_start and not raw_end:
            return None
        if not raw_start or not raw_end:
            self.add_error(
                start_name if not raw_start else end_name,
                ValidationError(
                    "%(day)s: give both a start and an end, or leave both empty for no "
                    "sign-in in that window.",
                    code="login_window_half",
                    params={"day": label},
                ),
            )
            return None
        pair = []
        for name, raw in ((start_name, raw_start), (end_name, raw_end)):
            try:
                pair.append(parse_hhmm(raw))
            except ValidationError as exc:
                self.add_error(name, exc)
        if len(pair) != 2:
            return None
        if pair[0] == pair[1]:
            self.add_error(
                end_name,
                ValidationError(
                    "%(day)s: the start and end are the same; leave both empty for no "
                    "sign-in in that window.",
                    code="login_window_empty",
                    params={"day": label},
                ),
            )
            return None
        return (pair[0], pair[1])

    def changes(self) -> UserChanges:
        user = self.user
        data = self.cleaned_data
        if "remote_access" in data:
            remote = data["remote_access"]
            until = _date_to_until(data["remote_access_until"], self.zone) if remote else None
            reason = data["remote_access_reason"].strip() if remote else ""
        else:
            remote, until, reason = (
                user.remote_access,
                user.remote_access_until,
                user.remote_access_reason,
            )
        if "windows" in data:
            restricted, windows = data["login_times_restricted"], data["windows"]
        else:
            restricted = user.login_times_restricted
            windows: dict[int, list[tuple[time, time]]] = {}
            for window in user.login_windows.all():
                windows.setdefault(window.weekday, []).append((window.start, window.end))
        return UserChanges(
            active=data.get("active", user.is_active),
            pm_username=data.get("pm_username", user.pm_username),
            remote_access=remote,
            remote_access_until=until,
            remote_access_reason=reason,
            locked=data.get("locked", user.is_locked),
            role=data.get("role", user.practice_role),
            two_factor_setup=(data.get("two_factor_setup", user.two_factor_setup) or ""),
            provider=data.get("provider", user.provider),
            verify_phone_at_registration=data.get(
                "verify_phone_at_registration", user.verify_phone_at_registration
            ),
            login_times_restricted=restricted,
            windows=windows,
            emergency_access=data.get("emergency_access", user.emergency_access),
            access_ends_on=data.get("access_ends_on", user.access_ends_on),
        )


# A login window's field: "monday_start", "monday_end"; a second window "monday_start_2".
_WINDOW_FIELD = re.compile(r"[a-z]+_(start|end)(_\d+)?")


def change_name(name: str) -> str:
    """A field's name among UserChanges' ("windows" for every day's fields)."""
    return "windows" if _WINDOW_FIELD.fullmatch(name) else name


def field_permission(name: str) -> Permission:
    """The permission that offers a field of the user page (accounts.lifecycle's one map)."""
    return CHANGE_PERMISSIONS[change_name(name)]


class TemporaryPasswordForm(forms.Form):
    error_summary_title = "The temporary password was not set"  # the heading of its error summary

    temporary_password = password_field("Temporary password", "new-password")
    temporary_password2 = password_field("Retype temporary password", "new-password")

    def clean(self):
        cleaned = super().clean()
        passwords_match(self, "temporary_password", "temporary_password2")
        return cleaned


class ConfirmPasswordForm(forms.Form):
    """The administrator's own password, typed again before a dangerous change."""

    error_summary_title = "The two-factor pairing was not reset"  # the heading of its error summary

    password = password_field("Password", "current-password")


# The two kinds a user can set up at the desk.
IN_PERSON_APP = FactorKind.APP.value
IN_PERSON_TEXT = FactorKind.TEXT.value


class InPersonSetupForm(ConfirmPasswordForm):
    """ "Set up two-factor now": how the user at the desk sets up, and the administrator's own
    password. A text is offered only to a verified mobile (`text_to`, masked; "" for none)."""

    method = forms.ChoiceField(
        label="How will they set it up?", widget=forms.RadioSelect, initial=IN_PERSON_APP
    )

    field_order = ["method", "password"]

    def __init__(self, *args, text_to: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(IN_PERSON_APP, "Authenticator app on their phone: they scan a QR code")]
        if text_to:
            choices.append((IN_PERSON_TEXT, f"Text message to their mobile, {text_to}"))
        self.fields["method"].choices = choices
