"""Issue 17, item 4: one description of an audit event, in plain words, times in the practice's
zone; used by the audit log, the user page, My Account and the CSV."""

import pytest

from practice.audit_words import audit_describe
from practice.vocabulary import AuditAction, audit_action_area, audit_action_choices

NY = "America/New_York"


def describe(action, details=None, zone=NY):
    return audit_describe(action, details or {}, time_zone=zone)


def test_a_sign_in_says_where():
    said = describe("signin.succeeded", {"zone": "office", "second_factor": ""})
    assert said.action == "Signed in (office)"
    assert said.fields == (("Second factor", "none"),)
    said = describe("signin.succeeded", {"zone": "remote", "second_factor": "otp_totp.totpdevice"})
    assert said.action == "Signed in (remote)"
    assert said.fields == (("Second factor", "Authenticator app"),)


def test_a_refusal_says_why_in_words():
    said = describe("signin.failed", {"reason": "wrong_password"})
    assert said.action == "Sign-in refused: wrong password"
    assert said.fields == ()
    said = describe("signin.failed", {"reason": "unknown_user", "username": "bob"})
    assert said.fields == (("Username tried", "bob"),)


def test_remote_access_granted_until_a_day_in_the_practices_zone():
    # 04:30 UTC on 7 Dec is still 6 Dec in New York.
    said = describe(
        "remote_access.granted", {"until": "2026-12-07T04:30:00+00:00", "reason": "on call"}
    )
    assert said.action == "Remote access granted until 6 Dec"
    assert said.fields == (("Reason", "on call"),)
    assert describe("remote_access.granted", {"until": None}).action == "Remote access granted"


def test_times_in_details_read_in_the_practices_zone_not_iso():
    said = describe("password.temporary_set", {"expires_at": "2026-12-04T18:02:00+00:00"})
    assert said.action == "Temporary password set (expires 4 Dec 2026, 13:02)"
    assert "T18:02" not in said.text
    said = describe("user.access_end_changed", {"before": None, "after": "2026-12-31"})
    assert said.action == "Access ends on 31 Dec 2026"
    assert said.fields == (("Before", "none"),)


def test_locks_and_sessions_and_settings():
    assert (
        describe("user.locked", {"reason": "failed_attempts", "threshold": 5}).text
        == "Locked after too many failed attempts. Failed attempts allowed: 5"
    )
    assert describe("sessions.ended", {"reason": "idle", "count": 1}).action == (
        "Session ended: idle too long"
    )
    assert describe("sessions.ended", {"reason": "pairing_reset", "count": 3}).action == (
        "3 sessions ended: 2FA pairing reset"
    )
    said = describe(
        "practice.settings_changed",
        {"before": {"lockout_threshold": 5}, "after": {"lockout_threshold": 3}},
    )
    assert said.action == "Practice settings changed"
    assert said.fields == (("Lockout threshold", "5 → 3"),)


def test_codes_sent_and_devices():
    said = describe(
        "mfa.code_sent", {"channel": "sms", "number": "+1••••••0143", "purpose": "signin"}
    )
    assert said.action == "Text message with a code sent to +1••••••0143"
    assert said.fields == (("For", "sign-in"),)
    said = describe("mfa.device_added", {"kind": "key", "name": "YubiKey"})
    assert said.action == "Sign-in method added: Security key or passkey"
    assert said.fields == (("Name", "YubiKey"),)


def test_every_action_has_words_and_an_area():
    for action in AuditAction:
        assert describe(action.value).action
        assert audit_action_area(action.value) != "Other", action
    offered = [code for _, group in audit_action_choices() for code, _ in group]
    assert sorted(offered) == sorted(AuditAction.values)


@pytest.mark.parametrize("details", [None, [], "text", {"n": {"deep": [1, None, True]}}])
def test_odd_details_never_break_the_page(details):
    assert describe("user.created", details).action == "User added"


def test_an_unknown_action_shows_its_code():
    assert describe("user.renamed").action == "user.renamed"


def test_a_settings_change_of_the_office_networks():
    said = describe(
        "practice.settings_changed",
        {
            "before": {"office_networks": ["10.0.0.0/24"], "two_factor_policy": "none"},
            "after": {
                "office_networks": ["10.0.0.0/24", "10.1.0.0/24"],
                "two_factor_policy": "require",
            },
        },
    )
    assert said.fields == (
        ("Office networks", "10.0.0.0/24 → 10.0.0.0/24, 10.1.0.0/24"),
        ("Require two-factor authentication", "Not required → Require at next sign-in"),
    )


ODD_VALUES = [
    None,
    "",
    0,
    3,
    True,
    "2026-12-04T18:02:00+00:00",
    "2026-12-04",
    "x\ny",
    [1, "a"],
    {"k": None},
    ["10.0.0.0/24"],
    1.5,
]


@pytest.mark.parametrize("value", ODD_VALUES)
def test_any_detail_of_any_action_is_words(value):
    from practice.audit_words import KEY_LABELS

    keys = [*KEY_LABELS, "unheard_of", "office_networks", "lockout_threshold"]
    for action in [*AuditAction.values, "user.renamed"]:
        details = {key: value for key in keys}
        details["before"] = {key: value for key in keys}
        details["after"] = {key: value for key in keys}
        said = audit_describe(action, details, time_zone=NY)
        assert said.action and isinstance(said.text, str)
