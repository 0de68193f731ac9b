"""Issue 24, item 11, "Everyday speed at the desk", through HTTP: each section of the user page
saves on its own (its own "Save", a hidden `section`), through the same service as the whole
page, and leaves every other section as it was; a section the actor may not change is refused
with a message; the "Common actions" at the top offer Unlock, a temporary password and remote
access to whoever may do them. (In Chromium, with the Tab counts: tests/browser/test_desk_speed.py.)
"""

import re
from datetime import date, time

import pytest

from accounts.lifecycle import CHANGE_PERMISSIONS
from accounts.lockout import user_lock
from accounts.login_times import login_windows_set
from accounts.models import TwoFactorSetup, User
from accounts.remote_access import remote_access_grant
from practice.console.forms.users import USER_PAGE_SECTIONS
from practice.models import AuditEvent, PracticeRole
from practice.vocabulary import Permission
from tests.factories import ProviderFactory, UserFactory, starting_role
from tests.signin_helpers import signed_in_client

pytestmark = pytest.mark.django_db

MONDAY, FRIDAY = 0, 4


@pytest.fixture
def doctor(practice, admin_user):
    """A user with something set in every section: remote access for a locum week, Monday and
    Friday hours, a provider, an end date, emergency access; and locked out."""
    user = UserFactory(
        practice=practice,
        username="dana",
        first_name="Dana",
        last_name="Okafor",
        pm_username="DOK",
        provider=ProviderFactory(practice=practice),
        two_factor_setup=TwoFactorSetup.REQUIRE,
        access_ends_on=date(2099, 6, 1),
        emergency_access=True,
    )
    remote_access_grant(user=user, actor=admin_user, reason="Locum week")
    login_windows_set(
        user=user,
        actor=admin_user,
        restricted=True,
        windows={MONDAY: [(time(7), time(19))], FRIDAY: [(time(8), time(12))]},
    )
    user_lock(user=user, actor=admin_user)
    return User.objects.get(pk=user.pk)


def state(user) -> dict:
    """Everything the user page's sections save, as it is in the database now."""
    user = User.objects.get(pk=user.pk)
    return {
        "active": user.is_active,
        "locked": user.is_locked,
        "pm_username": user.pm_username,
        "remote_access": user.remote_access,
        "remote_access_until": user.remote_access_until,
        "remote_access_reason": user.remote_access_reason,
        "emergency_access": user.emergency_access,
        "role": user.practice_role_id,
        "two_factor_setup": user.two_factor_setup,
        "provider": user.provider_id,
        "verify_phone_at_registration": user.verify_phone_at_registration,
        "access_ends_on": user.access_ends_on,
        "login_times_restricted": user.login_times_restricted,
        "windows": sorted(user.login_windows.values_list("weekday", "start", "end")),
    }


def post_section(client, user, section, **fields):
    return client.post(f"/console/users/{user.pk}/", {"section": section, **fields})


def events_about(user) -> int:
    return AuditEvent.objects.filter(target=user).count()


def test_every_field_of_the_page_is_in_exactly_one_section():
    named = [name for names in USER_PAGE_SECTIONS.values() for name in names]
    assert sorted(named) == sorted(CHANGE_PERMISSIONS)


def test_each_section_is_a_form_of_its_own_with_its_save_after_it(console, doctor):
    page = console.get(f"/console/users/{doctor.pk}/").content.decode()
    forms = re.findall(
        r'<form method="post" action="/console/users/\d+/" novalidate>.*?</form>', page, re.S
    )
    sections = [re.search(r'name="section" value="(\w+)"', form).group(1) for form in forms]
    assert sections == list(USER_PAGE_SECTIONS)
    for form in forms:
        # The section's Save is the form's last control, right after its fields.
        after_save = form.split(">Save</button>")[1]
        assert not re.search(r"<(input|select|textarea|button)", after_save), after_save
    lockout = forms[0]
    assert 'name="locked"' in lockout and "monday_start" not in lockout


def test_saving_the_lockout_section_unlocks_and_keeps_every_other_section(
    console, doctor, admin_user
):
    before = state(doctor)
    events = events_about(doctor)
    response = post_section(console, doctor, "lockout")  # "Login locked" unticked
    assert response.status_code == 302
    assert response["Location"] == f"/console/users/{doctor.pk}/#lockout"
    after = state(doctor)
    assert after.pop("locked") is False
    before.pop("locked")
    assert after == before  # login times, remote access, provider, end date: all as they were
    assert after["windows"] and after["remote_access"]
    assert events_about(doctor) == events + 1
    assert AuditEvent.objects.filter(target=doctor).latest("id").action == "user.unlocked"
    assert AuditEvent.objects.filter(target=doctor).latest("id").actor == admin_user
    page = console.get(response["Location"]).content.decode()
    assert "Saved the changes to Dana Okafor." in page


def test_saving_the_login_times_section_keeps_the_lock_and_remote_access(console, doctor):
    before = state(doctor)
    response = post_section(
        console,
        doctor,
        "login_times",
        login_times_restricted="on",
        tuesday_start="09:00",
        tuesday_end="17:00",
    )
    assert response["Location"].endswith("#login_times")
    after = state(doctor)
    assert after.pop("windows") == [(1, time(9), time(17))]
    before.pop("windows")
    assert after == before  # still locked, still remote


def test_saving_the_remote_access_section_keeps_the_lock_and_login_times(console, doctor):
    before = state(doctor)
    # Remote access unticked, the username kept, emergency access unticked.
    response = post_section(console, doctor, "remote_access", pm_username="DOK")
    assert response["Location"].endswith("#remote_access")
    after = state(doctor)
    assert after["remote_access"] is False and after["emergency_access"] is False
    for name in (
        "remote_access",
        "remote_access_until",
        "remote_access_reason",
        "emergency_access",
    ):
        after.pop(name), before.pop(name)
    assert after == before


def test_fields_of_another_section_in_the_post_are_not_read(console, doctor):
    before = state(doctor)
    # A lockout save that also carries login times, a role and remote access: only the lock moves.
    post_section(
        console,
        doctor,
        "lockout",
        locked="on",
        login_times_restricted="",
        monday_start="01:00",
        monday_end="02:00",
        role=starting_role(doctor.practice, "admin").pk,
        pm_username="",
    )
    assert state(doctor) == before


def test_a_failed_section_save_is_summarised_and_changes_nothing(console, doctor):
    before = state(doctor)
    response = post_section(
        console,
        doctor,
        "login_times",
        login_times_restricted="on",
        monday_start="25:00",
        monday_end="17:00",
        tuesday_start="nine",
        tuesday_end="17:00",
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "The changes were not saved: 2 problems" in page
    assert 'href="#id_monday_start"' in page
    # The other sections show the user as they are.
    assert 'name="pm_username" value="DOK"' in page
    assert state(doctor) == before


def test_the_unlock_of_common_actions_unlocks(console, doctor):
    page = console.get(f"/console/users/{doctor.pk}/").content.decode()
    strip = page.split('id="common-actions-title"')[1].split("</section>")[0]
    assert 'name="section" value="lockout"' in strip and ">Unlock</button>" in strip
    assert 'href="#temporary-password">Set temporary password</a>' in strip
    assert 'href="#remote_access">Remote access</a>' in strip
    # The strip comes before the long sections.
    assert page.index(">Unlock</button>") < page.index('id="lockout-title"')
    before = state(doctor)
    response = post_section(console, doctor, "lockout")  # what the Unlock button posts
    assert response.status_code == 302
    assert state(doctor) == {**before, "locked": False}
    page = console.get(f"/console/users/{doctor.pk}/").content.decode()
    assert ">Unlock</button>" not in page  # nothing to unlock any more


def test_common_actions_offer_only_what_the_actor_may_do(practice, console, admin_user):
    desk_role = PracticeRole.objects.create(
        practice=practice,
        name="Front desk",
        permissions=[Permission.VIEW_USERS, Permission.UNLOCK, Permission.TEMPORARY_PASSWORD],
    )
    desk = UserFactory(practice=practice, username="fran", practice_role=desk_role)
    plain = UserFactory(practice=practice, username="plain", pm_username="PLN")
    user_lock(user=plain, actor=admin_user)
    page = signed_in_client(desk).get(f"/console/users/{plain.pk}/").content.decode()
    assert ">Unlock</button>" in page and "Set temporary password</a>" in page
    assert 'href="#remote_access"' not in page
    # One's own account: nothing to unlock or set from here.
    own = console.get(f"/console/users/{admin_user.pk}/").content.decode()
    assert ">Unlock</button>" not in own and "Set temporary password</a>" not in own
    # Someone who holds more than the desk: no strip at all, and the note says why.
    page = signed_in_client(desk).get(f"/console/users/{admin_user.pk}/").content.decode()
    assert 'id="outside-authority"' in page
    assert "Common actions" not in page and ">Save</button>" not in page


def test_a_section_the_actor_may_not_change_is_refused_with_a_message(practice, doctor):
    desk_role = PracticeRole.objects.create(
        practice=practice,
        name="Front desk",
        permissions=[Permission.VIEW_USERS, Permission.UNLOCK, Permission.TEMPORARY_PASSWORD],
    )
    desk = signed_in_client(
        UserFactory(practice=practice, username="fran", practice_role=desk_role)
    )
    before = state(doctor)
    events = events_about(doctor)
    for section, fields in [
        ("login_times", {"login_times_restricted": "", "monday_start": "", "monday_end": ""}),
        ("remote_access", {"pm_username": "DOK"}),
        ("access", {"access_ends_on": ""}),
        ("details", {"role": starting_role(practice, "admin").pk}),
    ]:
        response = post_section(desk, doctor, section, **fields)
        assert response.status_code == 403, section
        page = response.content.decode()
        assert "The changes were not saved: 1 problem" in page
        assert "your role does not let you change this part of Dana Okafor" in page
        assert state(doctor) == before, section
    assert events_about(doctor) == events
    # What the desk holds, it saves.
    assert post_section(desk, doctor, "lockout").status_code == 302
    assert state(doctor)["locked"] is False


def test_a_section_of_someone_who_holds_more_is_refused_naming_the_rule(practice, admin_user):
    manager = UserFactory(
        practice=practice, username="morgan", practice_role=starting_role(practice, "user_manager")
    )
    user_lock(user=admin_user, actor=None)
    before = state(admin_user)
    response = post_section(signed_in_client(manager), admin_user, "lockout")
    assert response.status_code == 403
    assert "holds permissions you do not have" in response.content.decode()
    assert state(admin_user) == before


def test_an_unknown_section_is_refused_without_a_change(console, doctor):
    before = state(doctor)
    response = post_section(console, doctor, "everything", locked="")
    assert response.status_code == 400
    assert "Reload the page and try again" in response.content.decode()
    assert state(doctor) == before


def test_a_save_without_a_section_still_saves_the_whole_page(console, doctor):
    """An older page (or a script) posting every field: the one form it was, unchanged."""
    response = console.post(
        f"/console/users/{doctor.pk}/", {"active": "on", "role": doctor.practice_role_id}
    )
    assert response["Location"].endswith("#access")
    after = state(doctor)
    assert not after["locked"] and not after["remote_access"] and not after["windows"]


def test_unticking_active_in_the_access_section_asks_first_and_keeps_the_rest(console, doctor):
    before = state(doctor)
    response = post_section(console, doctor, "access", access_ends_on="2099-06-01")
    page = response.content.decode()
    assert "Confirm deactivation" in page
    assert 'name="section" value="access"' in page  # carried to the confirmation
    assert state(doctor) == before
    response = post_section(
        console, doctor, "access", access_ends_on="2099-06-01", confirm_deactivation="yes"
    )
    assert response["Location"].endswith("#access")
    after = state(doctor)
    assert after["active"] is False
    # Deactivating removes remote access (the service's rule); nothing else moves.
    for name in ("active", "remote_access", "remote_access_until", "remote_access_reason"):
        after.pop(name), before.pop(name)
    assert after == before
