"""The practice's settings page: labels, validation, the office-network guard, the audit event."""

import pytest

from practice.models import AuditEvent, OfficeNetwork, Practice
from tests.factories import OfficeNetworkFactory

pytestmark = pytest.mark.django_db

DEFAULTS = {
    "time_zone": "America/New_York",
    "office_networks": "",
    "lockout_threshold": "5",
    "auto_unlock_minutes": "0",
    "notify_admins_on_lock": "on",
    "idle_timeout_minutes": "30",
    "password_profile": "classic",
    "password_expiry_days": "90",
    "allow_self_pairing_reset": "on",
    "dormant_after_days": "0",
    "access_review_days": "0",
}


def post(console, **changes):
    data = {**DEFAULTS, **changes}
    return console.post("/console/settings/", {k: v for k, v in data.items() if v is not None})


def test_the_page_has_the_design_labels_and_shows_my_address(console):
    body = console.get("/console/settings/", REMOTE_ADDR="10.0.0.7").content.decode()
    for label in [
        "Time zone",
        "Office networks",
        "Require two-factor authentication",
        "Skip two-factor authentication on office networks",
        "Lockout threshold",
        "Idle sign-out (minutes)",
        "Password expiry (days)",
        "Auto-unlock (minutes)",
        "Password rules",
        "One session per user",
        "Users may reset their own 2FA pairing",
        "Email administrators when an account locks",
    ]:
        assert f">{label}</label>" in body, label
    assert ">Save settings</button>" in body
    assert "Your current address: <strong>10.0.0.7</strong>" in body


def test_saving_changes_the_policy_with_one_audit_event(console, practice, admin_user):
    response = post(
        console,
        time_zone="America/Chicago",
        office_networks="10.1.0.0/16\n\n 2001:db8::/48 \n10.1.0.0/16",
        require_two_factor="on",
        two_factor_office_exempt="on",
        lockout_threshold="3",
        auto_unlock_minutes="15",
        idle_timeout_minutes="10",
        password_profile="nist",
        password_expiry_days="0",
        one_session_per_user="on",
        allow_self_pairing_reset=None,
        notify_admins_on_lock=None,
    )
    assert response.status_code == 302
    practice = Practice.objects.get(pk=practice.pk)
    assert practice.time_zone == "America/Chicago"
    assert practice.two_factor_policy == "require" and practice.two_factor_office_exempt
    assert (practice.lockout_threshold, practice.auto_unlock_minutes) == (3, 15)
    assert practice.idle_timeout_minutes == 10
    assert (practice.password_profile, practice.password_expiry_days) == ("nist", 0)
    assert practice.one_session_per_user
    assert not practice.allow_self_pairing_reset and not practice.notify_admins_on_lock
    assert sorted(
        OfficeNetwork.objects.filter(practice=practice).values_list("cidr", flat=True)
    ) == [
        "10.1.0.0/16",
        "2001:db8::/48",
    ]
    event = AuditEvent.objects.get(action="practice.settings_changed")
    assert event.actor == admin_user and event.practice == practice
    assert event.details["before"]["lockout_threshold"] == 5
    assert event.details["after"]["lockout_threshold"] == 3
    assert event.details["after"]["office_networks"] == ["10.1.0.0/16", "2001:db8::/48"]
    assert "password_history" not in event.details["after"]


def test_prompt_without_require_means_prompt(console, practice):
    post(console, prompt_two_factor="on")
    practice.refresh_from_db()
    assert practice.two_factor_policy == "prompt"
    post(console)
    practice.refresh_from_db()
    assert practice.two_factor_policy == "none"


def test_saving_the_same_settings_writes_nothing(console):
    response = console.post("/console/settings/", DEFAULTS, follow=True)
    assert "Nothing changed." in response.content.decode()
    assert not AuditEvent.objects.filter(action="practice.settings_changed").exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"office_networks": "10.0.0.0/33"}, "is not a network"),
        ({"office_networks": "10.0.0.5/24"}, "Did you mean 10.0.0.0/24?"),
        ({"office_networks": "printer room"}, "is not a network"),
        ({"time_zone": "Mars/Olympus"}, "Select a valid choice"),
        ({"lockout_threshold": "0"}, "greater than or equal to 1"),
        ({"lockout_threshold": "many"}, "Enter a whole number"),
        ({"idle_timeout_minutes": "0"}, "greater than or equal to 1"),
        ({"password_expiry_days": "-1"}, "greater than or equal to 0"),
        ({"password_profile": "none"}, "Select a valid choice"),
        ({"office_networks": "10.0.0.0/8\n" * 2000}, "at most 10000 characters"),
    ],
)
def test_bad_settings_are_refused_and_nothing_changes(console, practice, changes, message):
    response = post(console, **{"one_session_per_user": "on", **changes})
    assert response.status_code == 400
    assert message in response.content.decode()
    practice.refresh_from_db()
    assert not practice.one_session_per_user
    assert not AuditEvent.objects.filter(action="practice.settings_changed").exists()


def test_saving_networks_that_exclude_my_address_asks_for_confirmation(console, practice):
    OfficeNetworkFactory(practice=practice, cidr="10.0.0.0/24")
    page = console.get("/console/settings/", REMOTE_ADDR="10.0.0.7").content.decode()
    assert "(inside an office network)" in page

    response = console.post(
        "/console/settings/",
        {**DEFAULTS, "office_networks": "192.168.5.0/24"},
        REMOTE_ADDR="10.0.0.7",
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Your current address, 10.0.0.7, would no longer be on an office network" in body
    assert "Save anyway" in body
    assert list(practice.office_networks.values_list("cidr", flat=True)) == ["10.0.0.0/24"]

    response = console.post(
        "/console/settings/",
        {**DEFAULTS, "office_networks": "192.168.5.0/24", "confirm_office_exclusion": "on"},
        REMOTE_ADDR="10.0.0.7",
    )
    assert response.status_code == 302
    assert list(practice.office_networks.values_list("cidr", flat=True)) == ["192.168.5.0/24"]


def test_keeping_my_network_needs_no_confirmation(console, practice):
    OfficeNetworkFactory(practice=practice, cidr="10.0.0.0/24")
    response = console.post(
        "/console/settings/",
        {**DEFAULTS, "office_networks": "10.0.0.0/24\n192.168.5.0/24"},
        REMOTE_ADDR="10.0.0.7",
    )
    assert response.status_code == 302
