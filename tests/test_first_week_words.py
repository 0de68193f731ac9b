"""Issue 24, items 4 to 10: the rough edges a practice meets in its first week, through HTTP.

4. Pages that ask for a code that was never sent. 5. "Require two-factor authentication" reaches
open sessions. 6. Dates in the practice's zone; a last day is the day typed. 7. Messages that
contradict the state. 8. The audit log in plain words. 9. Failed actions that look failed.
10. Dead ends. (The pages themselves, in Chromium: tests/browser/test_first_week.py.)
"""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from phonecodes import senders as sms
from practice.models import AuditEvent
from tests.account_helpers import code_in, link_open
from tests.factories import PASSWORD, UserFactory
from tests.signin_helpers import sign_in

pytestmark = pytest.mark.django_db

LONG_AGO = timedelta(minutes=10)  # past the 5 minutes a typed password counts as recent


def profile_data(user, **changes):
    data = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "mobile_phone": user.mobile_phone,
        "other_phone": user.other_phone,
        "time_zone": user.time_zone,
        "npi": user.npi,
        "ada_number": user.ada_number,
        "specialties": user.specialties,
        "current_password": PASSWORD,
    }
    data.update(changes)
    return data


def text_of(response) -> str:
    """The page's text without its tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


# --- 4. "Enter the code we sent" when none was sent ----------------------------------------


def test_item4_my_account_refuses_a_number_no_code_may_go_to_and_says_why(client, member):
    sign_in(client, member)
    response = client.post("/account/", profile_data(member, mobile_phone="+447400123456"))
    assert response.status_code == 200
    page = text_of(response)
    assert "This number is not accepted: its country is United Kingdom" in page
    assert (
        "Text codes can only go to mobile numbers in these countries: United States, Canada" in page
    )
    assert "phone_change" not in str(dict(client.session))
    assert client.get("/account/phone/")["Location"] == "/account/"
    assert sms.outbox == []


def test_item4_a_second_phone_change_within_the_wait_is_not_asked_for_a_code(client, member):
    sign_in(client, member)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client.post("/account/", profile_data(member, mobile_phone="+12025550143"))
        assert ">Verification code</label>" in client.get("/account/phone/").content.decode()
        client.post("/account/phone/", {"action": "cancel"})
        traveller.shift(timedelta(seconds=10))
        client.post("/account/", profile_data(member, mobile_phone="+12025550187"))
        response = client.get("/account/phone/")
        page = text_of(response)
        assert "No code has been sent to your phone ending in 0187 yet." in page
        assert "you can ask for a code for this page in 20 seconds" in page
        assert "Enter the code" not in page
        assert ">Verification code</label>" not in response.content.decode()
        # A code typed anyway is not checked: nothing was sent to check it against.
        first_code = code_in(sms.outbox[0].body)
        client.post("/account/phone/", {"action": "verify", "code": first_code})
        member.refresh_from_db()
        assert member.mobile_phone == ""

        traveller.shift(timedelta(seconds=21))
        client.post("/account/phone/", {"action": "sms"})
        page = client.get("/account/phone/").content.decode()
        assert "We texted a code to your phone ending in 0187." in page
        assert ">Verification code</label>" in page
        assert [m.to for m in sms.outbox] == ["+12025550143", "+12025550187"]


@pytest.fixture
def phone_user(practice):
    return UserFactory(
        practice=practice,
        username="pat",
        mobile_phone="+12025550143",
        mobile_phone_verified_at=timezone.now(),
    )


def reset_link_open(client, identifier="pat"):
    client.post("/password-reset/", {"practice_code": "valley", "identifier": identifier})
    response = link_open(client, mail.outbox[-1].body)
    assert response["Location"] == "/password-reset/set-password/"
    return response["Location"]


def test_item4_the_reset_page_opened_within_the_wait_says_when_a_code_can_be_sent(
    client, phone_user
):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        # A code went to the phone a moment ago (another reset link, a sign-in).
        url = reset_link_open(client)
        client.get(url)
        assert len(sms.outbox) == 1
        traveller.shift(timedelta(seconds=5))
        url = reset_link_open(client)
        response = client.get(url)
        page = text_of(response)
        assert "No code has been sent to your phone ending in 0143 yet." in page
        assert "you can ask for a code for this page in 25 seconds" in page
        assert ">Verification code</label>" not in response.content.decode()
        # The earlier link's code does not work here, and is not even counted as wrong.
        client.post(url, {"action": "verify", "code": code_in(sms.outbox[0].body)})
        assert not AuditEvent.objects.filter(action="signin.failed", target=phone_user).exists()

        traveller.shift(timedelta(seconds=26))
        client.post(url, {"action": "sms"})
        page = client.get(url).content.decode()
        assert "We texted a code to your phone ending in 0143." in page
        assert client.post(url, {"code": code_in(sms.outbox[-1].body)}).status_code == 302
        assert ">New password</label>" in client.get(url).content.decode()


def test_item4_an_opted_out_number_is_not_asked_for_a_code(client, phone_user, fake_twilio):
    fake_twilio.answer_next((400, 21610, "Attempt to send to unsubscribed recipient"))
    url = reset_link_open(client)
    response = client.get(url)
    page = text_of(response)
    assert "No code has been sent to your phone ending in 0143 yet." in page
    assert "This number has opted out of text messages. Text START to +1 202 555 0100" in page
    assert ">Verification code</label>" not in response.content.decode()
    assert "Call me instead" in page
    # Opening the page again does not text the number again by itself.
    client.get(url)
    assert len(fake_twilio.requests) == 1


# --- 5. "Require two-factor authentication" reaches open sessions ---------------------------

SETTINGS = {
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


def require_two_factor(practice, *, office_exempt=False):
    practice.two_factor_policy = "require"
    practice.two_factor_office_exempt = office_exempt
    practice.save()


def test_item5_a_signed_in_user_without_a_second_factor_is_sent_to_set_one_up(
    client, member, practice
):
    # Signed in a while ago (the password typed then no longer counts as recent).
    sign_in(client, member, minutes_ago=10)
    assert client.get("/account/").status_code == 200
    require_two_factor(practice)

    response = client.get("/account/")
    assert response.status_code == 302
    assert response["Location"] == "/account/security/"
    page = client.get("/account/security/")
    assert page.status_code == 200
    assert "Your practice now requires two-factor authentication" in text_of(page)
    assert ">Add authenticator app</a>" in page.content.decode()
    # Every other page leads there too; the way there (the password again), the gateway's
    # answer, static files and signing out stay open.
    assert client.get("/account/password/")["Location"] == "/account/security/"
    assert client.get("/account/confirm-password/").status_code == 200
    assert client.get("/account/security/app/add/")["Location"].startswith(
        "/account/confirm-password/"
    )
    assert client.get("/auth/verify").status_code == 403
    # (No static file server under the test client: not sent to the setup page is what counts.)
    assert client.get("/static/css/app.css").status_code == 404
    assert client.post("/logout/")["Location"] == "/p/valley/login/"
    assert "/login/" in client.get("/account/")["Location"]


def test_item5_a_user_who_has_a_second_factor_or_sets_one_up_goes_on(client, member, practice):
    from tests.mfa.helpers import app_device

    sign_in(client, member)
    require_two_factor(practice)
    assert client.get("/account/").status_code == 302
    app_device(member)
    assert client.get("/account/").status_code == 200


def test_item5_the_office_exemption_still_applies(client, member, practice):
    sign_in(client, member, zone="office")
    require_two_factor(practice, office_exempt=True)
    assert client.get("/account/").status_code == 200


def test_item5_the_administrator_who_ticks_it_keeps_the_save_and_sets_one_up(
    console, practice, admin_user
):
    response = console.post(
        "/console/settings/", {**SETTINGS, "require_two_factor": "on"}, follow=True
    )
    practice.refresh_from_db()
    assert practice.two_factor_policy == "require"
    assert response.redirect_chain[-1][0] == "/account/security/"
    page = text_of(response)
    assert "Your practice now requires two-factor authentication" in page
    assert "Settings saved." in page
    # Still signed in: the setup pages open, and nothing ended the session.
    assert admin_user.sessions.filter(ended_at__isnull=True).count() == 1
    assert console.get("/console/")["Location"] == "/account/security/"


def test_item5_the_check_that_a_user_has_a_second_factor_must_be_named(settings):
    from accounts.checks import second_factor_check_check

    assert second_factor_check_check(None) == []
    settings.SECOND_FACTOR_CHECK = "mfa.selectors.no_such_function"
    assert [error.id for error in second_factor_check_check(None)] == ["accounts.E005"]


# --- 6. Dates in the practice's zone; a last day is the day typed ----------------------------

# 02:00 in London on Dec 6 is still Dec 5 (21:00) in New York, the practice's zone.
LATE_EVENING_IN_NEW_YORK = "2026-12-06T02:00:00+00:00"


def test_item6_the_security_page_says_device_dates_in_the_practice_zone(client, member):
    from tests.mfa.helpers import app_device

    with time_machine.travel(LATE_EVENING_IN_NEW_YORK, tick=False):
        app_device(member, name="Nina's phone")
        sign_in(client, member)
        page = text_of(client.get("/account/security/"))
    assert "added Dec 5, 2026" in page
    assert "Dec 6" not in page


def grant_until(member, admin_user, day):
    from datetime import datetime, time

    from accounts.remote_access import remote_access_grant

    member.pm_username = "NREYES"
    member.save()
    # As the user page stores "until Dec 20": the midnight after it, in the practice's zone.
    until = datetime.combine(day + timedelta(days=1), time.min, tzinfo=member.practice.zone)
    remote_access_grant(user=member, actor=admin_user, until=until)


def test_item6_remote_access_until_a_day_is_logged_as_that_day(client, member, admin_user):
    from datetime import date

    console = client
    with time_machine.travel("2026-12-01T15:00:00+00:00", tick=False):
        sign_in(console, admin_user)
        grant_until(member, admin_user, date(2026, 12, 20))
        page = text_of(console.get("/console/audit/"))
        assert "Remote access granted until 20 Dec" in page
        assert "21 Dec" not in page
        listed = text_of(console.get("/console/"))
        assert "remote access until Dec 20, 2026" in listed
    with time_machine.travel("2026-12-21T05:30:00+00:00", tick=False):
        from accounts.remote_access import remote_access_lapse_due

        remote_access_lapse_due()
        sign_in(console, admin_user)
        page = text_of(console.get("/console/audit/"))
    assert "Until: 20 Dec 2026" in page
    assert "21 Dec" not in page


def test_item6_the_access_review_says_the_last_day_and_its_csv_the_practice_offset(
    client, member, admin_user
):
    from datetime import date

    console = client
    with time_machine.travel(LATE_EVENING_IN_NEW_YORK, tick=False):
        sign_in(console, admin_user)
        grant_until(member, admin_user, date(2026, 12, 20))
        member.last_login = timezone.now()
        member.save()
        console.post("/console/reviews/start/")
        page = text_of(console.get("/console/reviews/"))
        assert "remote access until Dec 20, 2026" in page
        assert "2026-12-21" not in page
        review = admin_user.practice.access_reviews.get()
        data = {f"item-{item.pk}": "keep" for item in review.items.all()}
        console.post("/console/reviews/", data)
        export = console.get(f"/console/reviews/{review.pk}/export.csv")
    text = export.content.decode()
    assert "2026-12-05T21:00:00-05:00" in text  # the last sign-in, as the audit CSV says times
    assert "+00:00" not in text


def test_item6_the_audit_export_is_named_for_the_practice_time(client, admin_user):
    with time_machine.travel(LATE_EVENING_IN_NEW_YORK, tick=False):
        sign_in(client, admin_user)
        response = client.get("/console/audit/export.csv")
    assert 'filename="audit-valley-20261205-2100.csv"' in response["Content-Disposition"]


def test_item6_the_dormant_digest_names_the_day_in_the_practice_zone(practice, admin_user):
    from accounts.dormancy import dormant_digests_due
    from tests.factories import UserFactory as Users

    practice.dormant_after_days = 30
    practice.save()
    with time_machine.travel("2026-11-10T02:00:00+00:00", tick=False):
        Users(practice=practice, username="kim", last_login=timezone.now())
    # Kim reaches 30 days on Dec 10 at 02:00 UTC: Dec 9, 21:00 in New York.
    with time_machine.travel("2026-12-01T15:00:00+00:00", tick=False):
        mail.outbox.clear()
        dormant_digests_due()
    (digest,) = [m for m in mail.outbox if "unused" in m.subject]
    assert "(kim), on December 9" in digest.body


# --- 8. Words from the code in the audit log -------------------------------------------------

SOURCE_DIRS = ("accounts", "mfa", "oidc", "phonecodes", "practice")


def _details_keys_written() -> set[str]:
    """Every detail key the code writes: the string keys of each dict literal given to
    audit_record as `details`, of the dicts assigned to a `details` variable or item, and of the
    dicts returned by helpers whose name says they make details."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    keys: set[str] = set()

    def literal_keys(node):
        for inner in ast.walk(node):
            if isinstance(inner, ast.Dict):
                keys.update(k.value for k in inner.keys if isinstance(k, ast.Constant))

    for folder in SOURCE_DIRS:
        for path in (root / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", getattr(node.func, "attr", "")) == "audit_record"
                ):
                    for keyword in node.keywords:
                        if keyword.arg == "details":
                            literal_keys(keyword.value)
                elif isinstance(node, ast.Assign | ast.AugAssign):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        name = target.value if isinstance(target, ast.Subscript) else target
                        if getattr(name, "id", "") == "details":
                            literal_keys(node.value)
                            if isinstance(target, ast.Subscript) and isinstance(
                                target.slice, ast.Constant
                            ):
                                keys.add(target.slice.value)
                elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "update":
                    if getattr(node.func.value, "id", "") == "details":
                        literal_keys(node)
                elif isinstance(node, ast.FunctionDef) and node.name.endswith("details"):
                    for inner in ast.walk(node):
                        if isinstance(inner, ast.Return) and inner.value is not None:
                            literal_keys(inner.value)
    return {key for key in keys if isinstance(key, str)}


def _samples() -> dict:
    """Values as the code writes them, for each key (typed text as people type it)."""
    from practice.vocabulary import (
        CodeRefusal,
        DeactivationReason,
        LockChange,
        Permission,
        RemoteAccessRemoval,
        ReviewDecision,
        ReviewItemKind,
        SessionEndReason,
        SignInFailure,
        Zone,
    )

    permissions = list(Permission.values)
    settings_before = {
        "two_factor_policy": "prompt",
        "two_factor_office_exempt": False,
        "password_profile": "classic",
        "time_zone": "America/New_York",
        "sms_regions": "US, CA",
        "lockout_threshold": 5,
        "office_networks": ["10.0.0.0/24"],
    }
    settings_after = {
        **settings_before,
        "two_factor_policy": "require",
        "password_profile": "nist",
        "time_zone": "America/Los_Angeles",
    }
    sides = [
        None,
        "2026-12-31",
        "NREYES",
        "Front desk",
        "Dr. Ada Park",
        "require",
        "",
        True,
        {"email": "nina@example.test", "mobile_phone": "+12025550143"},
        {"name": "Front desk", "permissions": permissions},
        settings_before,
        settings_after,
    ]
    return {
        "reason": [
            *SignInFailure.values,
            *SessionEndReason.values,
            *RemoteAccessRemoval.values,
            *LockChange.values,
            *CodeRefusal.values,
            "Covering the night shift",
        ],
        "refused": SignInFailure.values,
        "zone": Zone.values,
        "second_factor": [
            "otp_totp.totpdevice",
            "mfa.phonedevice",
            "django_otp_webauthn.webauthncredential",
            "mfa.recoverycodedevice",
            "otp_email.emaildevice",
            "",
        ],
        "emergency": ["The EHR is down and a patient is waiting"],
        "username_length": [12],
        "username_fingerprint": ["3f9a0c2d4b5e6f70"],
        "count": [1, 3],
        "until": ["2026-12-21T05:00:00+00:00", None],
        "grant_reason": ["Covering the night shift"],
        "expires_at": ["2026-12-04T18:02:00+00:00"],
        "ends_on": ["2026-12-31"],
        "before": sides,
        "after": sides,
        "before_permissions": [permissions, []],
        "after_permissions": [permissions],
        "threshold": [5],
        "role": ["Practice administrator"],
        "permissions": [permissions],
        "first_user": [True],
        "from": ["nreyes", "Nina's phone"],
        "to": ["Front desk phone"],
        "from_practice": ["valley"],
        "from_role": ["Front desk"],
        "role_id": [4],
        "days": [90],
        "why": DeactivationReason.values,
        "items": [3],
        "due_on": ["2026-12-31"],
        "kind": [*ReviewItemKind.values, "app", "text", "voice", "key", "recovery", "email"],
        "held": ["remote access until Dec 20, 2026", "Practice administrator"],
        "decision": ReviewDecision.values,
        "kept": [2],
        "removed": [1, 3],
        "lapsed": [1],
        "during": ["password_reset"],
        "fields": [["first_name", "last_name", "other_phone", "time_zone", "npi", "ada_number"]],
        "new_email": ["nina.reyes@example.test"],
        "old_email": ["nina@example.test"],
        "ending": ["0143"],
        "old": ["+12025550143"],
        "new": ["+12025550187"],
        "verified": [True, False],
        "restricted": [True],
        "windows": [{"Monday": "07:00-12:00, 13:00-19:00"}],
        "codes_left": [9],
        "replaced": [True],
        "kinds": [["app", "text", "voice", "key"]],
        "setup_required": [True],
        "name": ["Nina's phone"],
        "last": [False],
        "channel": ["sms", "voice", "email"],
        "number": ["+1••••••0143"],
        "purpose": [
            "signin",
            "signin-setup",
            "password-reset",
            "enroll",
            "registration",
            "phone-change",
        ],
        "provider_code": [21610],
        "limit": [200],
        "code": ["valley"],
        "office_networks": [["10.0.0.0/24"]],
        "roles": [{"Practice administrator": permissions, "User": []}],
        "sessions": [2],
        "remote_access": [True],
        "second_factors": [2],
        "invitations": [1],
        "reset_links": [True],
        "provider_kept": ["Dr. Ada Park"],
        "npi": ["1234567893"],
        "application": ["Charts"],
        "client_id": ["1e6hYNfWleUiCHtl50MZgAvQHy0mBGoIJgMdOSt7"],
        "redirect_uris": [["https://charts.example.test/callback"]],
        "backchannel_logout_uri": ["https://charts.example.test/logout"],
        "always_second_factor": [True],
        "attempt": [2],
    }


EMAIL = re.compile(r"\S+@\S+")
# An address a person reads as it is (an application's redirect URI): not a code.
URL = re.compile(r"https?://\S+")
DOTTED_CODE = re.compile(r"\b[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\b")
SNAKE_CASE = re.compile(r"\b[A-Za-z]+_[A-Za-z0-9_]+\b")
BARE_ID = re.compile(r"\bids?\b", re.IGNORECASE)


def _words_from_the_code(text: str) -> list[str]:
    text = URL.sub("", EMAIL.sub("", text))
    return DOTTED_CODE.findall(text) + SNAKE_CASE.findall(text) + BARE_ID.findall(text)


def test_item8_every_detail_the_code_writes_has_a_sample_here():
    missing = _details_keys_written() - set(_samples())
    assert not missing, f"Give these detail keys sample values in _samples(): {sorted(missing)}"


def test_item8_every_action_with_every_detail_reads_in_plain_words():
    from practice.audit_words import audit_describe
    from practice.vocabulary import AuditAction

    found = set()
    for action in AuditAction.values:
        for key, values in _samples().items():
            for value in values:
                said = audit_describe(action, {key: value}, time_zone="America/New_York")
                for word in _words_from_the_code(said.text):
                    found.add(f"{action} {key}={value!r:.60}: {word!r} in {said.text!r:.200}")
    assert not found, "\n".join(sorted(found)[:200])


def test_item8_support_staff_are_named_as_support_in_the_log(console, member, practice):
    from accounts.lockout import user_unlock
    from practice.vocabulary import LockChange
    from tests.factories import UserFactory as Users

    support = Users(practice=None, username="support", is_staff=True, is_superuser=True)
    member.failed_logins = 2
    member.save()
    user_unlock(user=member, actor=support, reason=LockChange.SUPPORT)
    page = text_of(console.get("/console/audit/"))
    assert "PracticeGate support (support)" in page
    assert "support: support" not in page
    user_page = text_of(console.get(f"/console/users/{member.pk}/"))
    assert "PracticeGate support (support)" in user_page
    export = b"".join(console.get("/console/audit/export.csv").streaming_content).decode()
    assert "PracticeGate support (support)" in export


# --- 7. Messages that contradict the state ---------------------------------------------------


@pytest.fixture
def office(practice):
    from tests.factories import OfficeNetworkFactory

    return OfficeNetworkFactory(practice=practice, cidr="127.0.0.0/8")


def sign_in_post(client, username, password=PASSWORD, *, follow=True):
    return client.post(
        "/p/valley/login/", {"username": username, "password": password}, follow=follow
    )


def test_item7_an_account_an_administrator_locked_is_not_told_of_failed_attempts(
    client, office, member, admin_user
):
    from accounts.lockout import user_lock

    user_lock(user=member, actor=admin_user)
    page = text_of(sign_in_post(client, "nina")).lower()
    assert "your account is locked" in page
    assert "failed" not in page
    assert "invalid username or password" not in page


def test_item7_the_attempt_that_locks_says_why(client, office, member):
    for _ in range(4):
        assert "invalid username or password" in text_of(sign_in_post(client, "nina", "x")).lower()
    page = text_of(sign_in_post(client, "nina", "x")).lower()
    assert "now locked after too many failed sign-in attempts" in page
    assert "invalid username or password" not in page
    # And a name that matches nobody says the same at the same attempt.
    for _ in range(4):
        sign_in_post(client, "nobody", "x")
    assert (
        "now locked after too many failed" in text_of(sign_in_post(client, "nobody", "x")).lower()
    )


def test_item7_a_locked_user_manager_is_not_asked_to_unlock_themselves(
    client, office, practice, admin_user
):
    from accounts.models import Role

    manager = UserFactory(practice=practice, username="mo", role=Role.USER_MANAGER)
    for _ in range(5):
        sign_in_post(client, "mo", "x")
    manager.refresh_from_db()
    assert manager.locked_at is not None
    told = [message.to for message in mail.outbox if "is locked" in message.subject]
    assert told == [[admin_user.email]]


def test_item7_an_offboarded_account_is_listed_as_offboarded(console, member, admin_user):
    from accounts.access_end import access_end_set
    from mfa.offboarding import user_offboard

    access_end_set(
        user=member,
        actor=admin_user,
        ends_on=member.practice.today() + timedelta(days=5),
    )
    assert "ends in 5 days" in text_of(console.get("/console/"))
    user_offboard(user=member, actor=admin_user)
    row = text_of(console.get("/console/?filtered=1")).split("Nina Reyes", 1)[1][:200]
    assert "offboarded" in row
    assert "ends in 5 days" not in row
    assert "invitation expired" not in row


def test_item7_an_emergency_account_without_login_times_is_told_so(client, office, member):
    member.emergency_access = True
    member.login_times_restricted = True
    member.save()
    page = text_of(sign_in_post(client, "nina"))
    assert "Declare an emergency" in page
    assert "not allowed at this time" in page
    assert "no times are set" in page
    assert "never" not in page


def _at_the_code_step(client, member):
    from tests.mfa.helpers import app_device

    device = app_device(member)
    response = sign_in_post(client, "nina", follow=False)
    assert response["Location"] == "/login/verify/"
    return device


def test_item7_one_wrong_code_is_not_too_many(client, office, member):
    from tests.mfa.helpers import app_code

    device = _at_the_code_step(client, member)
    with time_machine.travel(timezone.now(), tick=False):
        client.post("/login/verify/", {"code": "000000" if app_code(device) != "000000" else "1"})
        page = text_of(client.post("/login/verify/", {"code": app_code(device)}))
    assert "Too many wrong codes" not in page
    assert "Wait 1 second before you enter a code again" in page


def test_item7_a_code_used_already_says_so(client, office, member):
    from tests.mfa.helpers import app_code

    device = _at_the_code_step(client, member)
    code = app_code(device)
    assert client.post("/login/verify/", {"code": code})["Location"] == "/account/"
    client.post("/logout/")
    sign_in_post(client, "nina", follow=False)
    page = text_of(client.post("/login/verify/", {"code": code}))
    assert "Invalid code: that code was already used. Wait for the next code in your app." in page


def test_item7_an_expired_password_is_said_in_the_past(client, member):
    member.password_changed_at = timezone.now() - timedelta(days=100)
    member.save()
    sign_in(client, member)
    page = text_of(client.get("/account/"))
    assert "Your password has expired." in page
    assert "Your password expired on" in page
    assert "Your password expires on" not in page


def test_item7_a_wrong_current_password_is_not_logged_as_a_sign_in(client, member, console):
    member_client = client.__class__()
    sign_in(member_client, member)
    member_client.post(
        "/account/password/",
        {"current_password": "wrong", "new_password1": "x", "new_password2": "x"},
    )
    page = text_of(console.get("/console/audit/"))
    assert "Password change refused: wrong current password" in page
    assert "Sign-in refused: wrong current password" not in page


def test_item7_the_refusal_page_opens_its_sentences_with_a_capital(client):
    page = text_of(client.get("/auth/refused?reason=whatever"))
    assert "Your practice did not let this request through." in page
    assert " your practice did not" not in page


def test_item7_django_admin_counts_users_in_words(client, member):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.lockout import user_lock
    from tests.factories import StaffFactory

    staff = StaffFactory(username="support")
    sign_in(client, staff, device=TOTPDevice.objects.create(user=staff, name="Key", confirmed=True))
    user_lock(user=member, actor=None)
    response = client.post(
        "/admin/accounts/user/",
        {"action": "unlock_users", "_selected_action": [member.pk], "confirmed": "yes"},
        follow=True,
    )
    assert "Unlocked 1 user." in text_of(response)
    assert "(s)" not in text_of(response)


# --- 9. Failed actions that do not look failed -----------------------------------------------


def _open_review(console, member, admin_user):
    from datetime import date

    grant_until(member, admin_user, date(2030, 1, 31))
    console.post("/console/reviews/start/")
    return admin_user.practice.access_reviews.get(finished_at__isnull=True)


def test_item9_a_review_finished_with_unmarked_lines_says_so_at_the_top_and_marks_them(
    console, member, admin_user
):
    review = _open_review(console, member, admin_user)
    items = list(review.items.order_by("kind", "id"))
    assert len(items) == 2  # Nina's remote access, Avery's administrator role
    marked, unmarked = items
    response = console.post("/console/reviews/", {f"item-{marked.pk}": "keep"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'role="alert"' in page and "data-error-summary" in page
    assert "The review was not finished: 1 problem" in text_of(response)
    assert f'href="#item-{unmarked.pk}-keep"' in page
    assert f'id="item-{unmarked.pk}-keep"' in page
    assert f'aria-describedby="item-{unmarked.pk}-error"' in page
    assert "Not marked: choose Keep or Remove." in page
    # The line marked stays marked, and is not called unmarked.
    assert f'id="item-{marked.pk}-keep" name="item-{marked.pk}" value="keep" checked' in page
    assert f'id="item-{marked.pk}-error"' not in page
    review.refresh_from_db()
    assert review.finished_at is None


def test_item9_the_audit_filters_say_at_the_top_that_nothing_was_filtered(console):
    response = console.get("/console/audit/?date_from=2026-12-10&date_to=2026-12-01")
    assert response.status_code == 400
    page = response.content.decode()
    assert "data-error-summary" in page
    assert "The log was not filtered: 1 problem" in text_of(response)
    assert 'href="#id_date_to"' in page
    assert "No events are shown until the filters above are fixed." in page


# --- 10. Dead ends ---------------------------------------------------------------------------


def test_item10_the_forced_second_factor_setup_has_a_way_out(client, office, member, practice):
    require_two_factor(practice)
    response = sign_in_post(client, "nina", follow=False)
    assert response["Location"] == "/login/setup/"
    page = client.get("/login/setup/").content.decode()
    assert "Not now" not in page
    assert 'action="/logout/"' in page and ">Sign out</button>" in page
    left = client.post("/logout/", follow=True)
    assert left.redirect_chain[-1][0] == "/p/valley/login/"
    assert "You are signed out." in text_of(left)
    # The pending sign-in is gone: its step page does not open any more.
    assert client.get("/login/setup/")["Location"] == "/login/"


def test_item10_right_after_signing_in_adding_a_second_factor_needs_no_password_again(
    client, office, member
):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        assert sign_in_post(client, "nina", follow=False)["Location"] == "/account/"
        page = client.get("/account/security/app/add/")
        assert page.status_code == 200
        assert ">Title for authenticator</label>" in page.content.decode()
        # Minutes later the password counts as typed long ago: asked again.
        traveller.shift(timedelta(minutes=6))
        again = client.get("/account/security/app/add/")
        assert again["Location"].startswith("/account/confirm-password/")


def test_item10_without_self_reset_the_security_page_says_whom_to_ask(client, member, practice):
    from tests.mfa.helpers import app_device

    practice.allow_self_pairing_reset = False
    practice.save()
    app_device(member)
    sign_in(client, member)
    page = text_of(client.get("/account/security/"))
    assert "Reset my 2FA pairing" not in page
    assert "ask your practice administrator to reset your two-factor authentication" in page
