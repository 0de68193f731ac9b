"""The console's user page: every control, its audit event, and bad input refused cleanly."""

import html
import io
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.lockout import user_lock
from accounts.models import Role, TwoFactorSetup, User, UserSession
from accounts.remote_access import remote_access_grant, remote_access_lapse_due
from practice.models import AuditEvent
from tests.factories import PASSWORD, ProviderFactory, UserFactory, starting_role
from tests.signin_helpers import sign_in

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")


def form_of(user: User, **changes) -> dict:
    """The user page's form as the browser would post it unchanged, with `changes` applied."""
    user = User.objects.get(pk=user.pk)
    data = {
        "active": "on" if user.is_active else "",
        "pm_username": user.pm_username,
        "remote_access": "on" if user.remote_access else "",
        "remote_access_until": "",
        "remote_access_reason": user.remote_access_reason,
        "locked": "on" if user.locked_at else "",
        "role": user.practice_role_id,
        "two_factor_setup": user.two_factor_setup,
        "provider": user.provider_id or "",
        "login_times_restricted": "on" if user.login_times_restricted else "",
    }
    slots: dict[str, int] = {}
    for window in user.login_windows.order_by("weekday", "start"):
        day = window.get_weekday_display().lower()
        slot = slots[day] = slots.get(day, 0) + 1
        suffix = f"_{slot}" if slot > 1 else ""
        data[f"{day}_start{suffix}"] = f"{window.start:%H:%M}"
        data[f"{day}_end{suffix}"] = f"{window.end:%H:%M}"
    if changes.get("role") in Role.values:
        # A starting role named by its kind ("user_manager"): the select posts its id.
        changes["role"] = starting_role(user.practice, changes["role"]).pk
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def save(client, user, **changes):
    return client.post(f"/console/users/{user.pk}/", form_of(user, **changes), follow=True)


def actions_about(user) -> list[str]:
    return list(
        AuditEvent.objects.filter(target=user)
        .order_by("created_at", "id")
        .values_list("action", flat=True)
    )


@pytest.fixture
def doctor(practice, admin_user):
    user = UserFactory(
        practice=practice, username="dana", first_name="Dana", last_name="Okafor", pm_username="DOK"
    )
    remote_access_grant(user=user, actor=admin_user, reason="on call")
    return user


def test_the_page_shows_the_labelled_controls(console, member):
    body = console.get(f"/console/users/{member.pk}/").content.decode()
    for label in [
        "Active",
        "Allow remote access",
        "Login locked",
        "Practice management username",
        "Temporary password",
        "Retype temporary password",
        "Restrict login times",
        "Monday start",
        "Sunday end",
        "User is this provider",
        "Second-factor setup",
        "Role",
    ]:
        assert f">{label}</label>" in body, label
    for button in ["Save", "Set temporary password", "Generate", "Reset 2FA pairing"]:
        assert f">{button}</button>" in body, button
    assert "America/New_York" in body


def test_remote_access_is_disabled_with_a_reason_until_the_pm_username_is_set(console, member):
    body = console.get(f"/console/users/{member.pk}/").content.decode()
    assert 'name="remote_access"' in body
    assert "disabled" in body.split('name="remote_access"')[1].split(">")[0]
    assert "Set the Practice management username first" in body
    # Posting it anyway (no JavaScript, or a crafted request) is refused; nothing changes.
    response = save(console, member, remote_access="on")
    assert response.status_code == 400
    member.refresh_from_db()
    assert not member.remote_access


def test_grant_remote_access_with_the_pm_username_in_the_same_save(console, member, admin_user):
    response = save(console, member, pm_username="NREYES", remote_access="on")
    assert response.status_code == 200
    assert "Saved the changes to Nina Reyes." in response.content.decode()
    member.refresh_from_db()
    assert member.remote_access and member.pm_username == "NREYES"
    event = AuditEvent.objects.get(target=member, action="remote_access.granted")
    assert event.actor == admin_user
    assert actions_about(member) == ["user.pm_username_changed", "remote_access.granted"]


def test_time_limited_remote_access_ends_at_midnight_after_the_day_and_lapses(
    console, member, admin_user
):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=NY)):
        save(
            console,
            member,
            pm_username="NREYES",
            remote_access="on",
            remote_access_until="2026-03-06",
            remote_access_reason="Locum week",
        )
        member.refresh_from_db()
        assert member.remote_access_until == datetime(2026, 3, 7, 0, 0, tzinfo=NY)
        assert member.remote_access_reason == "Locum week"
        body = console.get("/console/").content.decode()
        assert "remote access until Mar 6, 2026" in body
        page = console.get(f"/console/users/{member.pk}/").content.decode()
        assert 'value="2026-03-06"' in page
    with time_machine.travel(datetime(2026, 3, 6, 23, 59, tzinfo=NY)):
        assert remote_access_lapse_due() == 0
    with time_machine.travel(datetime(2026, 3, 7, 0, 1, tzinfo=NY)):
        out = io.StringIO()
        call_command("expire_remote_access", stdout=out)
        assert "ended for 1 user" in out.getvalue()
        assert remote_access_lapse_due() == 0  # once only
    member.refresh_from_db()
    assert not member.remote_access and member.remote_access_until is None
    lapse = AuditEvent.objects.filter(target=member, action="remote_access.removed").get()
    assert lapse.actor is None
    assert lapse.details["reason"] == "expired"
    assert lapse.details["grant_reason"] == "Locum week"


def test_a_date_in_the_past_is_refused(console, member):
    yesterday = (timezone.now().astimezone(NY) - timedelta(days=1)).date()
    response = save(
        console, member, pm_username="NR", remote_access="on", remote_access_until=str(yesterday)
    )
    assert response.status_code == 400
    assert "Choose a date from today on" in response.content.decode()
    member.refresh_from_db()
    assert not member.remote_access and member.pm_username == ""


def test_unticking_removes_remote_access(console, doctor, admin_user):
    save(console, doctor, remote_access="")
    doctor.refresh_from_db()
    assert not doctor.remote_access
    assert AuditEvent.objects.filter(
        target=doctor, action="remote_access.removed", actor=admin_user
    ).exists()


def test_deactivating_removes_remote_access_and_reactivating_does_not_restore_it(
    console, doctor, admin_user
):
    now = timezone.now()
    UserSession.objects.create(
        user=doctor, session_key="k" * 32, zone="remote", created_at=now, last_activity=now
    )
    response = save(console, doctor, active="", confirm_deactivation="yes")
    body = response.content.decode()
    assert "Remote access was removed because the user was deactivated" in body
    assert "Re-activating the user does not restore it." in body
    doctor.refresh_from_db()
    assert not doctor.is_active and not doctor.remote_access
    assert UserSession.objects.get(user=doctor).end_reason == "deactivated"
    assert {"user.deactivated", "remote_access.removed", "sessions.ended"} <= set(
        actions_about(doctor)
    )

    response = save(console, doctor, active="on")
    assert "Remote access is not restored automatically" in response.content.decode()
    doctor.refresh_from_db()
    assert doctor.is_active and not doctor.remote_access
    assert actions_about(doctor)[-1] == "user.activated"


def test_deactivating_with_the_remote_box_still_ticked_still_removes_it(console, doctor):
    save(console, doctor, active="", remote_access="on", confirm_deactivation="yes")
    doctor.refresh_from_db()
    assert not doctor.is_active and not doctor.remote_access


def test_clearing_the_pm_username_removes_remote_access_and_relinking_does_not_restore_it(
    console, doctor
):
    response = save(console, doctor, pm_username="", remote_access="on")
    body = response.content.decode()
    assert "Remote access was removed because the practice management username was cleared" in body
    doctor.refresh_from_db()
    assert doctor.pm_username == "" and not doctor.remote_access
    removed = AuditEvent.objects.get(target=doctor, action="remote_access.removed")
    assert removed.details["reason"] == "pm_username_cleared"

    save(console, doctor, pm_username="DOK")
    doctor.refresh_from_db()
    assert doctor.pm_username == "DOK" and not doctor.remote_access


def test_an_inactive_user_cannot_be_given_remote_access(console, practice):
    gone = UserFactory(practice=practice, pm_username="GONE", is_active=False)
    response = save(console, gone, remote_access="on")
    assert response.status_code == 400
    gone.refresh_from_db()
    assert not gone.remote_access


def test_login_locked_shows_the_lock_and_unticking_unlocks(console, member, admin_user):
    user_lock(user=member, actor=None, reason="failed_attempts")
    User.objects.filter(pk=member.pk).update(failed_logins=5)
    body = console.get(f"/console/users/{member.pk}/").content.decode()
    assert "Locked since" in body and "after 5 failed attempts" in body
    save(console, member, locked="")
    member.refresh_from_db()
    assert member.locked_at is None and member.failed_logins == 0
    unlocked = AuditEvent.objects.get(target=member, action="user.unlocked")
    assert unlocked.actor == admin_user


def test_ticking_login_locked_locks(console, member, admin_user):
    save(console, member, locked="on")
    member.refresh_from_db()
    assert member.locked_at is not None
    assert AuditEvent.objects.get(target=member, action="user.locked").actor == admin_user


def test_role_two_factor_setup_provider_and_registration_verification(console, member, practice):
    provider = ProviderFactory(practice=practice, name="Dr. Ada Park")
    save(
        console,
        member,
        role="user_manager",
        two_factor_setup=TwoFactorSetup.REQUIRE,
        provider=provider.pk,
        verify_phone_at_registration="on",
    )
    member.refresh_from_db()
    assert member.role == "user_manager"
    assert member.two_factor_setup == "require"
    assert member.provider == provider
    assert member.verify_phone_at_registration
    role = AuditEvent.objects.get(target=member, action="user.role_changed")
    assert (role.details["before"], role.details["after"]) == ("User", "User manager")
    assert "users.unlock" in role.details["after_permissions"]
    provider_event = AuditEvent.objects.get(target=member, action="user.provider_changed")
    assert provider_event.details == {"before": None, "after": "Dr. Ada Park"}
    assert AuditEvent.objects.filter(target=member, action="user.two_factor_setup_changed").exists()


def test_saving_without_changes_writes_no_audit_event(console, member):
    save(console, member)
    assert actions_about(member) == []


def test_an_administrator_cannot_lock_deactivate_or_demote_themselves(console, admin_user):
    response = save(console, admin_user, active="", locked="on", role="user")
    assert response.status_code == 200
    admin_user.refresh_from_db()
    assert admin_user.is_active and not admin_user.is_locked and admin_user.role == "admin"


def test_login_times_are_saved_and_drawn(console, member, admin_user):
    response = save(
        console,
        member,
        login_times_restricted="on",
        monday_start="07:00",
        monday_end="19:00",
        friday_start="22:00",
        friday_end="6:30",
    )
    body = response.content.decode()
    member = User.objects.get(pk=member.pk)
    assert member.login_times_restricted
    assert {(w.weekday, w.start, w.end) for w in member.login_windows.all()} == {
        (0, time(7), time(19)),
        (4, time(22), time(6, 30)),
    }
    event = AuditEvent.objects.get(target=member, action="login_times.changed")
    assert event.actor == admin_user
    assert event.details["windows"] == {"Monday": "07:00-19:00", "Friday": "22:00-06:30"}
    assert 'class="week__svg"' in body
    assert 'data-day="Saturday"' in body and "week__bar--overnight" in body
    assert "Friday 22:00–06:30 (ends next day)" in body
    assert "style=" not in body


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"monday_start": "25:00", "monday_end": "26:00"}, "Use 24-hour HH:MM"),
        ({"monday_start": "7am", "monday_end": "19:00"}, "Use 24-hour HH:MM"),
        ({"monday_start": "07:00"}, "give both a start and an end"),
        ({"monday_start": "08:00", "monday_end": "08:00"}, "the start and end are the same"),
    ],
)
def test_bad_login_times_are_refused_and_nothing_changes(console, member, changes, message):
    response = save(console, member, login_times_restricted="on", locked="on", **changes)
    assert response.status_code == 400
    assert message in response.content.decode()
    member.refresh_from_db()
    assert not member.login_times_restricted and not member.is_locked
    assert actions_about(member) == []


def test_a_split_shift_is_two_windows_a_day_in_the_form_the_week_and_the_copy(
    console, member, admin_user
):
    response = save(
        console,
        member,
        login_times_restricted="on",
        monday_start="07:00",
        monday_end="12:00",
        monday_start_2="13:00",
        monday_end_2="19:00",
        tuesday_start_2="13:00",
        tuesday_end_2="19:00",
    )
    assert response.status_code == 200
    body = response.content.decode()
    member = User.objects.get(pk=member.pk)
    assert [(w.weekday, w.start, w.end) for w in member.login_windows.all()] == [
        (0, time(7), time(12)),
        (0, time(13), time(19)),
        (1, time(13), time(19)),
    ]
    # The request path's copy holds every window.
    assert member.login_week == [
        [0, "07:00", "12:00"],
        [0, "13:00", "19:00"],
        [1, "13:00", "19:00"],
    ]
    event = AuditEvent.objects.get(target=member, action="login_times.changed")
    assert event.details["windows"] == {
        "Monday": "07:00-12:00, 13:00-19:00",
        "Tuesday": "13:00-19:00",
    }
    # The form shows them again, each in its own field, and the week draws two bars on Monday.
    assert 'name="monday_start_2"' in body and 'value="13:00"' in body
    assert "Monday 07:00–12:00 and 13:00–19:00" in body
    assert "Monday second start" in body
    monday = body.split('data-day="Monday"')[1].split("</g>")[0]
    assert monday.count('class="week__bar"') == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"monday_start_2": "11:00", "monday_end_2": "19:00"},
            "Monday 07:00–12:00 and Monday 11:00–19:00 overlap",
        ),
        # Friday night's shift runs into Saturday morning's window.
        (
            {
                "friday_start_2": "22:00",
                "friday_end_2": "06:00",
                "saturday_start": "05:00",
                "saturday_end": "09:00",
            },
            "Friday 22:00–06:00 and Saturday 05:00–09:00 overlap",
        ),
        ({"monday_start_2": "13:00"}, "give both a start and an end"),
    ],
)
def test_overlapping_windows_are_refused_and_nothing_changes(console, member, changes, message):
    response = save(
        console,
        member,
        login_times_restricted="on",
        locked="on",
        monday_start="07:00",
        monday_end="12:00",
        friday_start="07:00",
        friday_end="12:00",
        **changes,
    )
    assert response.status_code == 400
    assert html.unescape(response.content.decode()).count(message) >= 1
    member = User.objects.get(pk=member.pk)
    assert not member.login_times_restricted and not member.is_locked
    assert not member.login_windows.exists() and member.login_week == []
    assert actions_about(member) == []


@pytest.mark.parametrize(
    "garbage",
    [
        {"role": "superuser"},
        {"two_factor_setup": "always"},
        {"provider": "not-a-number"},
        {"provider": "999999"},
        {"remote_access_until": "next tuesday", "remote_access": "on", "pm_username": "X"},
        {"pm_username": "x" * 5000},
        {"remote_access_reason": "r" * 5000, "remote_access": "on", "pm_username": "X"},
        {"monday_start": "\x00", "monday_end": "12:00"},
    ],
)
def test_bad_input_is_a_clear_400_never_a_500(console, member, garbage):
    response = save(console, member, locked="on", **garbage)
    assert response.status_code == 400
    assert 'class="field__errors"' in response.content.decode()
    member.refresh_from_db()
    assert not member.is_locked


def test_temporary_password_typed_twice(console, member, admin_user):
    url = f"/console/users/{member.pk}/temporary-password/"
    response = console.post(
        url, {"temporary_password": "Blue-Canoe-Paddle-8", "temporary_password2": "Blue-Canoe-8"}
    )
    assert response.status_code == 400
    assert "The two passwords do not match." in response.content.decode()
    response = console.post(url, {"temporary_password": "short", "temporary_password2": "short"})
    assert response.status_code == 400
    assert "Use at least 8 characters" in response.content.decode()
    member.refresh_from_db()
    assert member.check_password(PASSWORD) and not member.must_change_password

    response = console.post(
        url,
        {"temporary_password": "Blue-Canoe-Paddle-8", "temporary_password2": "Blue-Canoe-Paddle-8"},
        follow=True,
    )
    assert "Temporary password set for Nina Reyes." in response.content.decode()
    member.refresh_from_db()
    assert member.check_password("Blue-Canoe-Paddle-8") and member.must_change_password
    assert member.temporary_password_expires_at - timezone.now() > timedelta(hours=71)
    event = AuditEvent.objects.get(target=member, action="password.temporary_set")
    assert event.actor == admin_user
    assert "Blue-Canoe" not in str(event.details)


def test_generate_shows_a_password_that_meets_the_rules_once(console, member, practice):
    practice.password_profile = "nist"
    practice.save()
    response = console.post(f"/console/users/{member.pk}/temporary-password/", {"generate": "1"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    password = html.unescape(
        body.split('aria-label="Generated temporary password">')[1].split("<")[0]
    )
    member.refresh_from_db()
    assert len(password) >= 16 and member.check_password(password)
    assert member.must_change_password
    assert password not in console.get(f"/console/users/{member.pk}/").content.decode()
    assert password not in str(list(AuditEvent.objects.values_list("details", flat=True)))


def test_an_administrator_sets_no_temporary_password_for_themselves(console, admin_user):
    response = console.post(
        f"/console/users/{admin_user.pk}/temporary-password/", {"generate": "1"}, follow=True
    )
    assert "You cannot set a temporary password for your own account here." in (
        response.content.decode()
    )
    admin_user.refresh_from_db()
    assert not admin_user.must_change_password


# --- Reset 2FA pairing ---------------------------------------------------------------------


@pytest.fixture
def paired(member):
    TOTPDevice.objects.create(user=member, name="Old phone", confirmed=True)
    return member


def test_reset_pairing_asks_to_confirm_the_callers_identity_and_the_password(
    verified_console, paired, admin_user, mailoutbox, django_capture_on_commit_callbacks
):
    url = f"/console/users/{paired.pk}/reset-2fa/"
    page = verified_console.get(url).content.decode()
    assert "Confirm the caller's identity first." in page
    assert ">Password</label>" in page and ">Confirm reset</button>" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = verified_console.post(url, {"password": PASSWORD}, follow=True)
    assert "Two-factor pairing of Nina Reyes reset" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=paired).exists()
    event = AuditEvent.objects.get(target=paired, action="mfa.pairing_reset")
    assert event.actor == admin_user and event.details["removed"] == 1
    assert mailoutbox[-1].to == [paired.email]
    assert "Avery Admin (Practice administrator) reset your two-factor" in mailoutbox[-1].subject


def test_reset_pairing_needs_the_administrators_own_second_factor(console, paired):
    url = f"/console/users/{paired.pk}/reset-2fa/"
    response = console.get(url)
    assert response.status_code == 403
    assert "signed in with your own second factor" in response.content.decode()
    assert console.post(url, {"password": PASSWORD}).status_code == 403
    assert TOTPDevice.objects.filter(user=paired).count() == 1


def test_a_wrong_password_counts_towards_the_administrators_lockout(
    verified_console, paired, admin_user, practice
):
    url = f"/console/users/{paired.pk}/reset-2fa/"
    response = verified_console.post(url, {"password": "wrong"})
    assert response.status_code == 400
    assert "The password is not correct." in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.failed_logins == 1
    assert TOTPDevice.objects.filter(user=paired).count() == 1

    practice.lockout_threshold = 2
    practice.save()
    response = verified_console.post(url, {"password": "wrong again"})
    assert response.status_code == 302
    admin_user.refresh_from_db()
    assert admin_user.is_locked
    assert verified_console.get("/console/").status_code == 302  # signed out
    assert TOTPDevice.objects.filter(user=paired).count() == 1


def test_an_administrator_cannot_reset_their_own_pairing_here(verified_console, admin_user):
    response = verified_console.post(
        f"/console/users/{admin_user.pk}/reset-2fa/", {"password": PASSWORD}, follow=True
    )
    assert "Reset your own two-factor pairing from My Account" in response.content.decode()
    assert TOTPDevice.objects.filter(user=admin_user).count() == 1


# --- Sessions and recent activity ----------------------------------------------------------


def test_sessions_are_listed_and_signed_out_one_by_one(console, member, admin_user):
    nina = Client()
    sign_in(nina, member)
    page = console.get(f"/console/users/{member.pk}/").content.decode()
    session = UserSession.objects.get(user=member)
    assert f"/sessions/{session.pk}/end/" in page
    response = console.post(f"/console/users/{member.pk}/sessions/{session.pk}/end/", follow=True)
    assert "Signed Nina Reyes out of that session." in response.content.decode()
    session.refresh_from_db()
    assert session.ended_at is not None and session.end_reason == "administrator"
    ended = AuditEvent.objects.get(target=member, action="sessions.ended")
    assert ended.actor == admin_user
    # The session is gone from the store: Nina's next request is signed out.
    assert nina.get("/console/").status_code == 302
    # Ending it again is a 404, not a second event.
    assert console.post(f"/console/users/{member.pk}/sessions/{session.pk}/end/").status_code == 404


def test_recent_activity_lists_the_users_events(console, member, admin_user):
    user_lock(user=member, actor=admin_user)
    body = console.get(f"/console/users/{member.pk}/").content.decode()
    assert "Locked by an administrator" in body and "user.locked" not in body
    assert f"/console/audit/?user={member.pk}" in body


def test_every_change_is_one_transaction(console, member, monkeypatch):
    """A failure late in the save (here, the login windows) undoes the earlier changes too."""

    def explode(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("accounts.lifecycle.login_windows_set", explode)
    with pytest.raises(RuntimeError):
        save(console, member, locked="on", pm_username="NR", remote_access="on", role="admin")
    member.refresh_from_db()
    assert not member.is_locked and member.pm_username == "" and member.role == "user"
    assert actions_about(member) == []


def test_dates_are_shown_in_the_practice_time_zone(console, member, practice):
    practice.time_zone = "America/Los_Angeles"
    practice.save()
    with time_machine.travel(datetime(2026, 7, 1, 12, 0, tzinfo=ZoneInfo("UTC"))):
        user_lock(user=member, actor=None)
    body = console.get(f"/console/users/{member.pk}/").content.decode()
    assert "Locked since Jul 1, 2026 05:00" in body


def test_an_administrator_cannot_restrict_their_own_login_times(console, admin_user):
    # It would sign them out on the spot; another administrator can.
    page = console.get(f"/console/users/{admin_user.pk}/").content.decode()
    assert 'name="login_times_restricted"' in page and "disabled" in page
    response = save(
        console, admin_user, login_times_restricted="on", monday_start="07:00", monday_end="08:00"
    )
    assert response.status_code == 200
    admin_user.refresh_from_db()
    assert not admin_user.login_times_restricted
    assert console.get("/console/").status_code == 200
