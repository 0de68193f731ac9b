"""Every form, fuzzed: no input is a server error, and a refused request changes nothing.

Each test drives one page through its URL and its field names, as a browser or a script would,
with generated input (tests/security/fuzzing.py): arbitrary text, control characters and NUL,
strings up to a megabyte, several values where one is expected, missing and unknown fields,
numbers out of range, the dates 0001-01-01 and 9999-12-31, and look-alike characters. For every
request:

- the answer is never a 5xx (the client returns a server error as a 500 response; a streamed
  body is read to its end, since an error while streaming cuts a 200 short);
- a refused request (a 4xx, or the form shown again with its errors) leaves every row as it
  was: users, practices, office networks, providers, login windows, invitations, password
  history, sessions and the audit log. Each test's docstring says what a refusal may still
  change (a wrong password or code counts towards lockout, as it must);
- an accepted request changes only what it may, and the pages that show the result still open.

Examples are derandomized, so every run sends the same inputs. The bugs found are pinned by the
xfail(strict=True) tests at the end of the module; where a fuzz test leaves an input out, a
comment names the test that covers it.
"""

import zoneinfo
from datetime import timedelta
from urllib.parse import quote, urlsplit

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from accounts.models import User
from mfa.models import AuthenticatorApp
from practice.models import AuditEvent, Practice
from tests.account_helpers import link_open
from tests.factories import (
    PASSWORD,
    PracticeFactory,
    ProviderFactory,
    StaffFactory,
    UserFactory,
    starting_role,
)
from tests.mfa.helpers import app_code, app_device
from tests.security.fuzzing import (
    DATES,
    FUZZ,
    JUNK,
    LOCKOUT,
    LOOKALIKES,
    MEGABYTE,
    NOTHING,
    Allowed,
    assert_unchanged,
    db_state,
    differences,
    form_posts,
    last,
    send,
    server_error,
    utf8_text,
    visitor,
)
from tests.signin_helpers import sign_in

pytestmark = pytest.mark.django_db

STRONG = "Granite-River-42"
# The place of "the same value as new_password1" in a generated form (see `same_as`).
SAME = "<same as the first>"
BIG = "x" * MEGABYTE
# How a refusal answers: the form again (200; also an empty POST, which is no form at all), a
# 400 (the form with its errors, or a body too large to read), a 403 or a 404.
REFUSED = (200, 400, 403, 404)


def resolve(data: dict, names: dict) -> dict:
    """Replace the placeholders a strategy drew ("<member>") with this test's real values."""

    def one(raw):
        if isinstance(raw, list):
            return [one(item) for item in raw]
        return str(names[raw]) if isinstance(raw, str) and raw in names else raw

    return {key: one(raw) for key, raw in data.items()}


def same_as(data: dict, first: str, second: str) -> dict:
    """A retyped password field that drew SAME gets the first field's value."""
    if data.get(second) == SAME:
        data = {**data, second: data.get(first, "")}
    if isinstance(data.get(second), list):
        data = {
            **data,
            second: [
                last(data.get(first)) or "" if item == SAME else item for item in data[second]
            ],
        }
    return data


def fresh_attempts(*users) -> None:
    """Each example starts unlocked, so a lock from the one before does not hide anything."""
    User.objects.filter(pk__in=[user.pk for user in users]).update(failed_logins=0, locked_at=None)
    cache.clear()
    mail.outbox = []


def assert_on_our_site(location: str) -> None:
    parts = urlsplit(location)
    assert parts.scheme in ("", "http") and parts.netloc in ("", "testserver"), location
    assert parts.path.startswith("/") and not parts.path.startswith(("//", "/\\")), location


def assert_no_escalation(before: dict, *, may_change_password: bool = False) -> None:
    """An accepted form never makes anyone support staff, moves them, or (unless it is a
    password form) touches a password: unknown fields in a POST are never read."""
    after = db_state()
    for pk, old in before["users"].items():
        new = after["users"].get(pk)
        if new is None:
            continue
        for name in ("is_staff", "is_superuser", "practice_id", "username"):
            assert old[name] == new[name], (pk, name, old[name], new[name])
        if not may_change_password:
            assert old["password"] == new["password"], pk
    for pk, row in after["users"].items():
        if pk not in before["users"]:
            assert not row["is_staff"] and not row["is_superuser"], row
            assert row["practice_id"] is not None, row


def valid_zone(name: str) -> bool:
    return name == "" or name in zoneinfo.available_timezones()


@pytest.fixture
def staff(db):
    staff = StaffFactory(username="support")
    return staff, TOTPDevice.objects.create(user=staff, name="Support phone", confirmed=True)


def staff_visitor(staff):
    user, device = staff
    client = visitor()
    sign_in(client, user, zone="remote", device=device)
    return client


def signed_in(user):
    client = visitor()
    sign_in(client, user)
    return client


# --- Sign-in ---------------------------------------------------------------------------------

SIGNIN_FIELDS = {
    "practice_code": ["valley", "VALLEY", " valley ", "nowhere", "hillside", "v\u0430lley"],
    "username": ["nina", "NINA", " nina ", "avery", "nobody", "support", *LOOKALIKES[:5]],
    "password": [PASSWORD, PASSWORD.upper(), PASSWORD + " ", " " + PASSWORD, "wrong", "\x00"],
    "next": [
        "/account/",
        "/console/",
        "//evil.example/",
        "https://evil.example/",
        "javascript:alert(1)",
        "/\\evil.example",
        "http://testserver/account/",
    ],
}
STEP_PAGES = ("/login/verify/", "/login/setup/", "/login/password/", "/login/phone/")


def without_bare_word_next(data: dict) -> dict:
    """`next` that is a bare word ("0", "home") is left out: after a good password it makes the
    sign-in answer 500. test_next_that_is_a_bare_word_is_not_a_server_error pins it."""
    target = last(data.get("next"))
    if isinstance(target, str) and target.strip() and "/" not in target and "." not in target:
        return {**data, "next": "/account/"}
    return data


def check_sign_in(client, response, data: dict, before: dict) -> None:
    """Signed in (or sent on to a step page) only with the right password, and only to a page
    of our own site; anything else is a refusal that changed nothing but lockout bookkeeping."""
    location = response.get("Location", "") if response.status_code == 302 else ""
    if SESSION_KEY in client.session or location in STEP_PAGES:
        assert last(data.get("password")) == PASSWORD, data.get("password")
        assert_on_our_site(location)
        return
    assert response.status_code in REFUSED, response.status_code
    assert_unchanged(before, LOCKOUT, what="sign-in")


@FUZZ
@given(data=form_posts(SIGNIN_FIELDS))
@example(data={"practice_code": "valley", "username": "nina", "password": BIG})
@example(data={"practice_code": BIG, "username": BIG, "password": PASSWORD, "next": BIG})
@example(data={"practice_code": "valley", "username": "nina\x00", "password": PASSWORD})
def test_sign_in_page(office, member, admin_user, data):
    """/login/ (the practice code typed). A refusal may count a wrong password on the user's
    lockout counter, lock the account and audit "signin.failed" / "user.locked"; nothing else."""
    fresh_attempts(member, admin_user)
    data = without_bare_word_next(data)
    client = visitor()
    before = db_state()
    response = send(client, "post", "/login/", data)
    event(f"answered {response.status_code}")
    check_sign_in(client, response, data, before)


@FUZZ
@given(
    path=st.one_of(
        st.sampled_from(["/p/valley/login/", "/p/VALLEY/login/", "/p/nowhere/login/"]),
        st.just("/admin/login/"),
        utf8_text(min_size=1).map(lambda code: f"/p/{quote(code, safe='')}/login/"),
    ),
    data=form_posts({name: SIGNIN_FIELDS[name] for name in ("username", "password", "next")}),
)
@example(path="/p/valley/login/", data={"username": "nina", "password": BIG})
@example(path="/admin/login/", data={"username": "support", "password": BIG})
def test_practice_and_staff_sign_in_pages(office, member, admin_user, staff, path, data):
    """/p/<code>/login/ and support staff's /admin/login/: as /login/ (an unknown code is a 404)."""
    fresh_attempts(member, admin_user, staff[0])
    data = without_bare_word_next(data)
    client = visitor()
    before = db_state()
    response = send(client, "post", path, data)
    event(f"answered {response.status_code}")
    check_sign_in(client, response, data, before)


VERIFY_FIELDS = {
    "action": ["verify", "switch", "resend", "", "VERIFY"],
    "method": ["email", "recovery", "key", "<own app>", "<their app>", ""],
    "code": ["000000", "123456", " 12 34 56 ", "ABCD-EFGH-JKMN", "\uff11" * 6, "1" * 21],
}


@FUZZ
@given(data=form_posts(VERIFY_FIELDS))
@example(data={"action": "verify", "code": BIG})
@example(data={"action": ["switch", "verify"], "method": "email", "code": "\x00" * 6})
def test_second_factor_page(office, practice, member, data):
    """/login/verify/ after the right password. A code that is not the one the app shows never
    signs in; a refusal may count towards lockout and audit it (as a wrong password does), and
    "switch" may email a code; no row of ours changes otherwise."""
    victor = User.objects.filter(username="victor").first()
    if victor is None:
        victor = UserFactory(practice=practice, username="victor")
        app_device(victor)
        app_device(member)
    names = {
        "<own app>": AuthenticatorApp.objects.get(user=victor).persistent_id,
        "<their app>": AuthenticatorApp.objects.get(user=member).persistent_id,
    }
    fresh_attempts(victor)
    # django-otp slows down a device after a wrong code; each example starts without that.
    for model in (AuthenticatorApp, EmailDevice):
        model.objects.filter(user=victor).update(
            throttling_failure_count=0, throttling_failure_timestamp=None
        )
    client = visitor()
    start = send(client, "post", "/p/valley/login/", {"username": "victor", "password": PASSWORD})
    assert start["Location"] == "/login/verify/"
    data = resolve(data, names)
    right = {app_code(AuthenticatorApp.objects.get(user=victor), steps=n) for n in (-1, 0, 1)}
    if "".join(str(last(data.get("code")) or "").split()) in right:
        data["code"] = "not the code"  # a drawn code that happens to be right is no finding
    before = db_state()
    response = send(client, "post", "/login/verify/", data)
    event(f"answered {response.status_code}")
    assert SESSION_KEY not in client.session
    assert_unchanged(before, LOCKOUT, what="second factor")


# --- Forgotten password ----------------------------------------------------------------------

RESET_REQUEST_FIELDS = {
    "practice_code": ["valley", "VALLEY", " valley ", "nowhere", "v\u0430lley"],
    "identifier": [
        "nina",
        "NINA",
        " nina ",
        "nina@example.test",
        "NINA@EXAMPLE.TEST",
        "nobody",
        "attacker@evil.example",
        "nina@example.test\r\nBcc: attacker@evil.example",
        *LOOKALIKES[:4],
    ],
}


@FUZZ
@given(data=form_posts(RESET_REQUEST_FIELDS), practice_param=JUNK)
@example(data={"practice_code": "valley", "identifier": BIG}, practice_param=BIG)
def test_password_reset_request(member, data, practice_param):
    """/password-reset/. Accepted (the "sent" page), it may audit "password.reset_requested"
    and email a link, only ever to the address on file of the one matching account; refused,
    nothing changes and nothing is sent. GET with any ?practice= shows the form."""
    cache.clear()
    mail.outbox = []
    client = visitor()
    send(client, "get", "/password-reset/", {"practice": practice_param})
    before = db_state()
    response = send(client, "post", "/password-reset/", data)
    event(f"answered {response.status_code}")
    if response.status_code == 302:
        assert response["Location"] == "/password-reset/sent/"
        assert_unchanged(before, Allowed(actions=frozenset({"password.reset_requested"})))
        for message in mail.outbox:
            assert message.to == [member.email], message.to
    else:
        assert response.status_code in REFUSED, response.status_code
        assert_unchanged(before, what="reset request")
        assert mail.outbox == []


@pytest.fixture
def links():
    """Reset links by user, kept across one test's examples until a reset spends one."""
    return {}


def reset_link(user, links: dict) -> str:
    """The email with a reset link for `user` (a new one when needed)."""
    if user.pk in links:
        return links[user.pk]
    cache.clear()
    mail.outbox = []
    client = visitor()
    send(
        client,
        "post",
        "/password-reset/",
        {"practice_code": user.practice.code, "identifier": user.username},
    )
    (message,) = mail.outbox
    mail.outbox = []
    links[user.pk] = message.body
    return links[user.pk]


@FUZZ
@given(uid=utf8_text(), token=st.one_of(utf8_text(), st.sampled_from(["set-password", "x" * 5000])))
@example(uid="MQ", token="set-password")
@example(uid="A" * 100_000, token="a-b")
def test_password_reset_links_with_any_uid_or_token(member, uid, token):
    """/password-reset/<uid>/<token>/, a link of the old form: anything, a good token too, ends
    on "link invalid" (400); nothing changes."""
    before = db_state()
    path = f"/password-reset/{quote(uid, safe='') or 'x'}/{quote(token, safe='') or 'x'}/"
    send(visitor(), "get", path, follow=True)
    assert_unchanged(before, what="reset link")


# Three passwords the rules accept, then one for each rule that refuses: history, length,
# character classes, the user's name, the practice's name.
NEW_PASSWORDS = [
    STRONG,
    "Quartz#Lake-77",
    "Tidal*Maple-19",
    PASSWORD,
    "short",
    "granite-river-42",
    "Nina-Reyes-2024!",
    "Valley-42-go!",
]
NEW_PASSWORD_FIELDS = {
    "new_password1": NEW_PASSWORDS,
    "new_password2": [SAME, SAME, SAME, "other"],
}


@FUZZ
@given(data=form_posts(NEW_PASSWORD_FIELDS))
@example(data={"new_password1": BIG, "new_password2": BIG})
@example(data={"new_password1": STRONG + "\x00", "new_password2": STRONG + "\x00"})
def test_password_reset_new_password_step(member, links, data):
    """The link's new-password page. Accepted (302 to the sign-in page) the password is the
    one typed twice; refused (the form again, or 400), nothing changes."""
    link = reset_link(member, links)
    client = visitor()
    url = link_open(client, link)["Location"]
    data = same_as(data, "new_password1", "new_password2")
    before = db_state()
    response = send(client, "post", url, data)
    event(f"answered {response.status_code}")
    if response.status_code == 302:
        assert response["Location"] == "/p/valley/login/"
        password = last(data["new_password1"])
        assert password == last(data["new_password2"])
        assert User.objects.get(pk=member.pk).check_password(password)
        links.clear()  # the reset spent the link
    else:
        assert response.status_code in REFUSED, response.status_code
        assert_unchanged(before, what="reset password step")


@FUZZ
@given(
    data=form_posts(
        {
            "action": ["verify", "sms", "voice", "cancel", ""],
            "code": ["000000", "123456", " 1 2 3 4 5 6 ", "\uff11" * 6, "-1", "1e6"],
        }
    )
)
@example(data={"code": BIG})
def test_password_reset_phone_code_step(practice, links, data):
    """The link's phone step (a user with a verified mobile). No posted code but the one texted
    passes it; a refusal changes no row but the code-sending log ("mfa.code_sent" and
    "mfa.code_refused" for a resend that was asked)."""
    pat = User.objects.filter(username="pat").first() or UserFactory(
        practice=practice,
        username="pat",
        mobile_phone="+12025550143",
        mobile_phone_verified_at=timezone.now(),
    )
    link = reset_link(pat, links)
    cache.clear()  # wrong codes of earlier examples count against the account for an hour
    client = visitor()
    url = link_open(client, link)["Location"]
    send(client, "get", url)  # the code is texted as the step opens
    before = db_state()
    response = send(client, "post", url, data)
    event(f"answered {response.status_code}")
    assert response.status_code in (200, 302, 400)
    # A wrong code is audited as a failed attempt (ASVS V16.3.1); nothing else may change.
    allowed = frozenset(
        {"mfa.code_sent", "mfa.code_refused", "mfa.code_send_failed", "signin.failed"}
    )
    assert_unchanged(before, Allowed(actions=allowed), what="reset phone step")
    page = send(client, "get", url).content.decode()
    assert 'name="new_password1"' not in page


# --- My Account ----------------------------------------------------------------------------


@FUZZ
@given(
    data=form_posts(
        {
            "current_password": [PASSWORD, PASSWORD, "wrong", PASSWORD + " ", ""],
            **NEW_PASSWORD_FIELDS,
        }
    )
)
@example(data={"current_password": PASSWORD, "new_password1": BIG, "new_password2": BIG})
@example(data={"current_password": BIG, "new_password1": STRONG, "new_password2": STRONG})
def test_change_password(member, data):
    """/account/password/. Accepted, the password is the new one typed twice, after the right
    current one. Refused with a wrong current password, only lockout bookkeeping changes (a
    lock also ends the sessions); refused otherwise, nothing changes."""
    member.set_password(PASSWORD)
    member.save(update_fields=["password"])
    fresh_attempts(member)
    client = signed_in(member)
    data = same_as(data, "new_password1", "new_password2")
    before = db_state()
    response = send(client, "post", "/account/password/", data)
    event(f"answered {response.status_code}")
    if response.status_code == 302 and response["Location"] == "/account/":
        assert last(data["current_password"]) == PASSWORD
        assert last(data["new_password1"]) == last(data["new_password2"])
        assert User.objects.get(pk=member.pk).check_password(last(data["new_password1"]))
        assert_no_escalation(before, may_change_password=True)
        return
    wrong_current = last(data.get("current_password")) != PASSWORD
    assert_unchanged(before, LOCKOUT if wrong_current else NOTHING, what="change password")


@FUZZ
@given(
    data=form_posts(
        {
            "password": [PASSWORD, PASSWORD, "wrong", PASSWORD.lower()],
            "next": ["/account/security/", "", "//evil.example/", "https://evil.example/"],
        }
    )
)
@example(data={"password": BIG, "next": BIG})
def test_confirm_password_page(member, data):
    """/account/confirm-password/ (re-authentication). Only the right password passes, and then
    only to a page of our site; a wrong one is counted (lockout bookkeeping), nothing else."""
    fresh_attempts(member)
    data = without_bare_word_next(data)
    client = signed_in(member)
    before = db_state()
    response = send(client, "post", "/account/confirm-password/", data)
    event(f"answered {response.status_code}")
    passed = response.status_code == 302 and response["Location"] != "/p/valley/login/"
    if passed:
        assert last(data.get("password")) == PASSWORD
        assert_on_our_site(response["Location"])
    assert_unchanged(before, LOCKOUT, what="confirm password")


@FUZZ
@given(data=form_posts(NEW_PASSWORD_FIELDS))
@example(data={"new_password1": BIG, "new_password2": BIG})
def test_invitation_registration(practice, admin_user, data):
    """The invitation link's page (/invite/link/#<token>, then /invite/set/). Accepted, the invited
    user's password is the one typed twice and the link is used; refused, nothing changes."""
    data = same_as(data, "new_password1", "new_password2")
    client = signed_in(admin_user)
    username = f"inv{Practice.objects.get(pk=practice.pk).users.count()}"
    mail.outbox = []
    added = send(
        client,
        "post",
        "/console/users/new/",
        {
            "username": username,
            "email": f"{username}@example.test",
            "role": starting_role(practice).pk,
            "then": "invite",
        },
    )
    assert added.status_code == 302
    invitee = User.objects.get(username=username)
    (message,) = mail.outbox
    guest = visitor()
    url = link_open(guest, message.body)["Location"]
    before = db_state()
    response = send(guest, "post", url, data)
    event(f"answered {response.status_code}")
    if response.status_code == 302:
        assert User.objects.get(pk=invitee.pk).check_password(last(data["new_password1"]))
        return
    assert response.status_code in REFUSED
    assert_unchanged(before, what="invitation")


@FUZZ
@given(data=form_posts({**NEW_PASSWORD_FIELDS, "current_password": [PASSWORD, "", "wrong"]}))
@example(data={"new_password1": BIG, "new_password2": BIG})
def test_forced_password_change_at_sign_in(office, member, data):
    """/login/password/: a temporary password set in the console must be changed before the
    sign-in completes. Accepted, the user is signed in with the new password; refused (the form
    again), nothing changes."""
    temporary = "Temporary-Pass-55"
    data = same_as(data, "new_password1", "new_password2")
    fresh_attempts(member)
    # As the console's "Set temporary password" leaves the user (tests/security/test_secrets.py
    # goes through the console itself).
    member.refresh_from_db()
    member.set_password(temporary)
    member.must_change_password = True
    member.temporary_password_expires_at = timezone.now() + timedelta(hours=72)
    member.save()
    client = visitor()
    start = send(client, "post", "/p/valley/login/", {"username": "nina", "password": temporary})
    assert start["Location"] == "/login/password/"
    before = db_state()
    response = send(client, "post", "/login/password/", data)
    event(f"answered {response.status_code}")
    if SESSION_KEY in client.session:
        assert User.objects.get(pk=member.pk).check_password(last(data["new_password1"]))
        return
    assert response.status_code in REFUSED
    assert_unchanged(before, what="forced change")


PROFILE_FIELDS = {
    "first_name": ["Nina", "", "N\u0456na", "<b>Nina</b>"],
    "last_name": ["Reyes", "", "O'Brien"],
    "email": ["<email>", "nina.new@example.test", "NINA@EXAMPLE.TEST", "not-an-email", ""],
    "mobile_phone": ["", "+12025550143", "202 555 0187", "+442071838750", "+999", "12"],
    "other_phone": ["", "+12025550100", "abc"],
    "time_zone": ["", "America/Chicago", "Not/AZone", "america/chicago"],
    "npi": ["", "1234567893", "1234567890", "\uff11234567893"],
    "ada_number": ["", "12345"],
    "specialties": ["", "Pediatrics"],
    "current_password": [PASSWORD, "", "wrong"],
}


@FUZZ
@given(data=form_posts(PROFILE_FIELDS))
@example(data={"email": "<email>", "first_name": BIG})
@example(data={"email": BIG, "current_password": PASSWORD})
def test_my_account_profile(member, data):
    """/account/. Accepted, the page is saved (the email and mobile phone change only once
    confirmed, and the page still opens); refused (the form again), nothing changes, except
    lockout bookkeeping when a wrong current password was typed for an email or phone change."""
    fresh_attempts(member)
    member.refresh_from_db()
    client = signed_in(member)
    data = resolve(data, {"<email>": member.email})
    before = db_state()
    response = send(client, "post", "/account/", data)
    event(f"answered {response.status_code}")
    if response.status_code == 302 and response["Location"] != "/p/valley/login/":
        assert response["Location"] in ("/account/", "/account/phone/")
        assert_no_escalation(before)
        send(client, "get", "/account/")
        return
    # The form again, or signed out because a wrong current password locked the account.
    assert response.status_code in REFUSED, response.status_code
    assert_unchanged(before, LOCKOUT, what="profile")
    after = User.objects.get(pk=member.pk)
    if last(data.get("current_password")) == PASSWORD:
        assert after.failed_logins == before["users"][member.pk]["failed_logins"]


# --- The console -----------------------------------------------------------------------------


@pytest.fixture
def console_world(practice, admin_user, member):
    """The administrator's practice, a doctor with remote access and providers; elsewhere, a
    stranger and a provider of another practice."""
    other = PracticeFactory(code="hillside", name="Hillside Family Care")
    doctor = UserFactory(practice=practice, username="dana", pm_username="DOK", remote_access=True)
    invited = UserFactory(practice=practice, username="ivy", email="ivy@example.test")
    invited.set_unusable_password()
    invited.save(update_fields=["password"])
    return {
        "<member>": member.pk,
        "<doctor>": doctor.pk,
        "<invited>": invited.pk,
        "<self>": admin_user.pk,
        "<stranger>": UserFactory(practice=other, username="stranger").pk,
        "<provider>": ProviderFactory(practice=practice, npi="1234567893").pk,
        "<their provider>": ProviderFactory(practice=other, npi="1245319599").pk,
        "<role user>": starting_role(practice).pk,
        "<role admin>": starting_role(practice, "admin").pk,
        "<role user_manager>": starting_role(practice, "user_manager").pk,
        "<their role>": starting_role(other, "admin").pk,
        "<tomorrow>": (practice.today() + timedelta(days=1)).isoformat(),
        "<yesterday>": (practice.today() - timedelta(days=1)).isoformat(),
    }


TARGETS = [
    "<member>",
    "<doctor>",
    "<member>",
    "<doctor>",
    "<self>",
    "<invited>",
    "<stranger>",
    "9999",
]
# A start never equals an end (that is refused, and each example would be): the fuzzing and
# the fields left out make the bad windows.
STARTS = ["07:00", "08:00", "8:30", "22:00"]
ENDS = ["17:30", "18:00", "06:00", "23:59"]
USER_PAGE_FIELDS = {
    "active": ["on", ""],
    "pm_username": ["DOK", "NREYES", "DOK", ""],
    "remote_access": ["on", ""],
    "remote_access_until": ["", "", "<tomorrow>", "9999-12-30", "<yesterday>"],
    "remote_access_reason": ["on call", ""],
    "locked": ["on", ""],
    "role": [
        "<role user>",
        "<role user>",
        "<role admin>",
        "<role user_manager>",
        "<their role>",
        "superuser",
        "admin",
    ],
    "two_factor_setup": ["", "none", "prompt", "require", "always"],
    "provider": ["<provider>", "<their provider>", "999999", "", ""],
    "verify_phone_at_registration": ["on", ""],
    "login_times_restricted": ["on", ""],
    **{
        f"{day}_{end}": STARTS if end == "start" else ENDS
        for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        for end in ("start", "end")
    },
}


@FUZZ
@given(target=st.sampled_from(TARGETS), data=form_posts(USER_PAGE_FIELDS))
@example(target="<member>", data={"role": "<role user>", "pm_username": BIG, "monday_start": BIG})
@example(
    target="<doctor>",
    data={"role": "<role user>", "remote_access_reason": BIG, "remote_access": "on"},
)
def test_console_user_page(console_world, admin_user, target, data):
    """/console/users/<id>/ "Save". Accepted (302), the user page and the list still open, and
    nobody becomes staff or changes practice or password; refused (400, or 404 for a user of
    another practice or none), nothing changes at all."""
    data = resolve(data, console_world)
    if last(data.get("remote_access_until")) == "9999-12-31":
        # test_remote_access_until_9999_12_31_is_not_a_server_error pins this date.
        data["remote_access_until"] = "9999-12-30"
    path = f"/console/users/{resolve({'t': target}, console_world)['t']}/"
    client = signed_in(admin_user)
    before = db_state()
    response = send(client, "post", path, data)
    event(f"answered {response.status_code}")
    if response.status_code == 302:
        assert response["Location"] == f"{path}#access"  # back to the section saved
        assert_no_escalation(before)
        send(client, "get", path)
        send(client, "get", "/console/")
    else:
        assert response.status_code in REFUSED, response.status_code
        assert_unchanged(before, what=path)


@FUZZ
@given(
    target=st.sampled_from(TARGETS),
    data=form_posts(
        {
            "temporary_password": [STRONG, "short", PASSWORD, "Nina-Reyes-2024!"],
            "temporary_password2": [SAME, SAME, "other"],
            "generate": ["", "1"],
        }
    ),
)
@example(target="<member>", data={"temporary_password": BIG, "temporary_password2": BIG})
def test_console_temporary_password(console_world, admin_user, target, data):
    """/console/users/<id>/temporary-password/. Refused (400, 404), nothing changes; accepted,
    only the user's password and its temporary-password fields change (and are audited)."""
    data = same_as(data, "temporary_password", "temporary_password2")
    path = f"/console/users/{resolve({'t': target}, console_world)['t']}/temporary-password/"
    client = signed_in(admin_user)
    before = db_state()
    response = send(client, "post", path, data)
    event(f"answered {response.status_code}")
    if response.status_code in (400, 403, 404):
        assert_unchanged(before, what=path)
        return
    assert response.status_code in (200, 302)
    allowed = Allowed(
        user_fields=frozenset(
            {
                "password",
                "password_changed_at",
                "must_change_password",
                "temporary_password_expires_at",
            }
        ),
        actions=frozenset({"password.temporary_set"}),
    )
    found = differences(before, db_state(), allowed)
    found.pop("password history", None)
    assert not found, found


SETTINGS_FIELDS = {
    "time_zone": ["America/New_York", "Asia/Tokyo", "Pacific/Kiritimati", "UTC", "Not/AZone"],
    "office_networks": [
        "127.0.0.0/8",
        "127.0.0.0/8\n10.0.0.0/8\n10.0.0.0/8",
        "127.0.0.0/8\r\n::1/128\r\n0::1/128",
        "127.0.0.1/32\n\n  192.168.1.0/24  ",
        "10.0.0.1/8",
        "fe80::%1/64",
        "",
    ],
    "require_two_factor": ["on", ""],
    "prompt_two_factor": ["on", ""],
    "two_factor_office_exempt": ["on", ""],
    "allow_self_pairing_reset": ["on", ""],
    "lockout_threshold": ["5", "1", "100", "101", "0"],
    "auto_unlock_minutes": ["0", "15", "10080", "10081"],
    "notify_admins_on_lock": ["on", ""],
    "idle_timeout_minutes": ["30", "1", "1440", "1441"],
    "one_session_per_user": ["on", ""],
    "password_profile": ["classic", "nist", "NIST"],
    "password_expiry_days": ["90", "0", "3650", "3651"],
    "dormant_after_days": ["0", "90", "3651", "-1"],
    "dormant_includes_admins": ["on", ""],
    "access_review_days": ["90", "0", "3651"],
    "confirm_office_exclusion": ["on", ""],
    "confirm_wide_networks": ["on", ""],
}


@FUZZ
@given(data=form_posts(SETTINGS_FIELDS))
@example(data={"time_zone": "UTC", "office_networks": "10.0.0.0/8\n" * 100_000})
@example(data={"time_zone": BIG, "lockout_threshold": "9" * 10_000})
def test_console_settings(office, admin_user, data):
    """/console/settings/. Accepted (302), the console's pages still open; refused (400), the
    practice, its office networks and the audit log are as they were."""
    client = signed_in(admin_user)
    before = db_state()
    response = send(client, "post", "/console/settings/", data)
    event(f"answered {response.status_code}")
    if response.status_code == 302:
        assert response["Location"] == "/console/settings/"
        assert_no_escalation(before)
        for page in ("/console/settings/", "/console/", "/console/audit/"):
            send(client, "get", page)
    else:
        assert response.status_code in REFUSED, response.status_code
        assert_unchanged(before, what="settings")


ADD_USER_FIELDS = {
    "username": st.one_of(
        st.from_regex(r"[a-z][a-z0-9._-]{2,12}", fullmatch=True),
        st.sampled_from(["NINA", " spaced out ", "n\u0456na", "a\u3000", "x" * 151]),
    ),
    "first_name": ["Nova", "", "<i>Nova</i>"],
    "last_name": ["Brook", ""],
    "email": ["new@example.test", "", "bad", '"a\\ b"@example.test', "new@ex\u00e4mple.test"],
    "mobile_phone": ["", "+12025550143", "202-555-0143", "+442071838750", "12"],
    "role": ["<role user>", "<role admin>", "<role user_manager>", "<their role>", "user"],
    "verify_phone_at_registration": ["on", ""],
    "then": ["invite", "invite", "temporary", "both"],
    "temporary_password": [STRONG, STRONG, "short", ""],
    "temporary_password2": [SAME, SAME, "other"],
}


@FUZZ
@given(
    copy=st.one_of(
        st.none(), st.none(), st.none(), st.sampled_from(["<member>", "<stranger>", "abc", "1e3"])
    ),
    data=form_posts(ADD_USER_FIELDS),
)
@example(copy=None, data={"username": BIG, "then": "invite", "email": "a@example.test"})
@example(copy=None, data={"username": "big", "then": "invite", "email": BIG})
def test_console_add_user(console_world, admin_user, copy, data):
    """/console/users/new/ (and ?copy=<id>). Accepted (302), one user of this practice was
    added, not staff, and their pages open, for the console and for themselves; refused (400,
    404), no user, no audit event and no email."""
    data = same_as(resolve(data, console_world), "temporary_password", "temporary_password2")
    path = "/console/users/new/"
    if copy is not None:
        path += "?copy=" + quote(resolve({"c": copy}, console_world)["c"])
    mail.outbox = []
    client = signed_in(admin_user)
    before = db_state()
    response = send(client, "post", path, data)
    event(f"answered {response.status_code}")
    if response.status_code != 302:
        assert response.status_code in REFUSED, response.status_code
        assert_unchanged(before, what="add user")
        assert mail.outbox == []
        return
    assert_no_escalation(before)
    (new,) = User.objects.exclude(pk__in=before["users"])
    assert new.practice_id == admin_user.practice_id
    assert response["Location"] == f"/console/users/{new.pk}/"
    send(client, "get", response["Location"])
    own = signed_in(new)
    send(own, "get", "/account/")
    if "\r" not in new.username and "\n" not in new.username:
        # test_username_with_a_line_break_does_not_break_auth_verify pins these usernames.
        send(own, "get", "/auth/verify")


@FUZZ
@given(
    target=st.sampled_from(["<invited>", "<invited>", "<member>", "<stranger>"]),
    data=form_posts(
        {
            "email": [
                "ivy.new@example.test",
                "",
                "bad",
                "IVY@EXAMPLE.TEST",
                "x@" + "a" * 250 + ".test",
            ],
            "mobile_phone": ["", "+12025550143", "202 555 0187", "+999", "abc"],
        }
    ),
)
@example(target="<invited>", data={"email": BIG, "mobile_phone": BIG})
def test_console_invitation_correction(console_world, admin_user, target, data):
    """/console/users/<id>/invitation/ (an invited user's email and phone). Accepted (302),
    only that user's email and phone changed; refused (400, or 404 elsewhere), nothing did."""
    path = f"/console/users/{resolve({'t': target}, console_world)['t']}/invitation/"
    client = signed_in(admin_user)
    before = db_state()
    response = send(client, "post", path, data)
    event(f"answered {response.status_code}")
    if response.status_code == 302:
        assert target == "<invited>"
        allowed = Allowed(
            user_fields=frozenset({"email", "mobile_phone", "mobile_phone_verified_at"}),
            actions=frozenset({"user.contact_corrected"}),
        )
        assert_unchanged(before, allowed, what=path)
        send(client, "get", path)
    else:
        # 200: an empty POST is no form at all, and shows the page again.
        assert response.status_code in REFUSED, response.status_code
        assert_unchanged(before, what=path)


AUDIT_FILTERS = {
    "username": ["avery", "nina", "NINA", "nobody", "stranger", ""],
    "action": ["signin.failed", "user.locked", "", "%", "_"],
    "date_from": DATES,
    "date_to": DATES,
    "user": ["", "", "<member>", "<stranger>", "abc", "99999999999999999999999", "\uff11"],
    "before": [
        "1700000000000000.1",
        "99999999999999999999.1",
        "\uff11\uff12.3",
        "-1.-1",
        "0.0",
        ".",
    ],
    "after": ["1700000000000000.1", "0.0", "999999999999999999.999999999999999999"],
}


@FUZZ
@given(
    path=st.sampled_from(["/console/audit/", "/console/audit/export.csv"]),
    data=form_posts(AUDIT_FILTERS, extras=True),
)
@example(path="/console/audit/", data={"username": BIG, "action": BIG})
@example(path="/console/audit/export.csv", data={"action": BIG, "date_from": "0001-01-01"})
def test_audit_filters(console_world, admin_user, path, data):
    """GET /console/audit/ and /console/audit/export.csv with any filters: a page (200, or 400
    naming the bad filter), a CSV read to its end, a redirect back from the export, or 404 for
    a user of another practice. A GET writes nothing."""
    data = resolve(data, console_world)
    if last(data.get("date_to")) == "9999-12-31":
        # test_audit_date_to_9999_12_31_is_not_a_server_error and its export twin pin this.
        data["date_to"] = "9999-12-30"
    client = signed_in(admin_user)
    AuditEvent.objects.create(
        practice_id=admin_user.practice_id, action="signin.failed", created_at=timezone.now()
    )
    before = db_state()
    response = send(client, "get", path, data)
    event(f"answered {response.status_code}")
    assert response.status_code in (200, 302, 400, 404)
    assert_unchanged(before, what=path)


@FUZZ
@given(
    data=form_posts(
        {
            "q": ["nina", "NINA", "", "%", "_", "\\", "n\u0456na"],
            "active": ["on", ""],
            "locked": ["on", ""],
            "remote": ["on", ""],
            "without_2fa": ["on", ""],
            "sort": ["name", "-name", "last_sign_in", "-password", "id"],
            "filtered": ["1", ""],
            "page": ["1", "2", "0", "-1", "last", "99999999999999999999"],
        }
    )
)
@example(data={"q": BIG})
def test_console_user_list_search(console_world, admin_user, data):
    """GET /console/ with any search and filters: a page, and a GET writes nothing."""
    client = signed_in(admin_user)
    before = db_state()
    response = send(client, "get", "/console/", data)
    event(f"answered {response.status_code}")
    assert response.status_code in (200, 400)
    assert_unchanged(before, what="user list")


# --- Django admin, as support staff ----------------------------------------------------------


def practice_admin_fields(practice) -> dict:
    fields = {
        "code": ["<code>", "<code>", "hillside", "VALLEY", "new-code", "with space"],
        "name": ["Valley Pediatrics", "", "<b>Valley</b>"],
        "time_zone": ["America/New_York", "Asia/Tokyo", "Not/AZone", ""],
        "two_factor_policy": ["none", "prompt", "require", "always"],
        "two_factor_office_exempt": ["on", ""],
        "allow_self_pairing_reset": ["on", ""],
        "sms_regions": ["US, CA", "us,gb", "", "abc", "+1"],
        "sms_hourly_limit": ["100", "1", "0", "-1", "2147483648"],
        "lockout_threshold": ["5", "1", "0", "32767", "32768", "-1"],
        "auto_unlock_minutes": ["0", "15", "2147483647", "2147483648", "-1"],
        "notify_admins_on_lock": ["on", ""],
        "idle_timeout_minutes": ["30", "0", "32767", "32768"],
        "one_session_per_user": ["on", ""],
        "password_profile": ["classic", "nist", "bogus"],
        "password_min_length": ["8", "7", "15", "32768"],
        "password_history": ["6", "0", "-1"],
        "dormant_after_days": ["0", "90", "-1", "99999"],
        "access_review_days": ["0", "90", "-1"],
        "dormant_includes_admins": ["", "on"],
        "password_expiry_days": ["90", "0", "-1", "32768"],
        "office_networks": [
            "127.0.0.0/8",
            "127.0.0.0/8\n::1/128\n0::1/128",
            "10.0.0.1/8",
            "not a network",
            "0.0.0.0/0",
            "",
        ],
        "confirm_wide_networks": ["", "on"],
        "providers-TOTAL_FORMS": ["0", "1", "-1"],
        "providers-INITIAL_FORMS": ["0"],
        "providers-MIN_NUM_FORMS": ["0"],
        "providers-MAX_NUM_FORMS": ["1000"],
        "providers-0-id": ["", "999999"],
        "providers-0-practice": [str(practice.pk)],
        "providers-0-name": ["Dr. Ada Park", ""],
        "providers-0-npi": ["1234567893", "1234567890", "12345", "\uff11234567893"],
    }
    return fields


# Valid NPIs (check digit) for a new provider row, when the drawn one is taken.
SPARE_NPIS = ["1234567901", "1234567919", "1234567927", "1234567935", "1234567943"]


def without_rows_the_practice_has(posted: dict, practice) -> dict:
    """A new provider row with an NPI the practice already has is refused on the row (see
    test_admin_provider_added_twice_is_not_a_server_error); here such a row gets a spare NPI so
    the fuzzing reaches the rest of the form."""
    posted = dict(posted)
    providers = dict(practice.providers.values_list("npi", "pk"))
    npi = last(posted.get("providers-0-npi"))
    as_it_is = last(posted.get("providers-INITIAL_FORMS")) == "1" and last(
        posted.get("providers-0-id")
    ) == str(providers.get(npi))
    if npi in providers and not as_it_is:
        posted["providers-0-npi"] = next(n for n in SPARE_NPIS if n not in providers)
    return posted


@pytest.fixture
def admin_practice(office):
    return office.practice


@FUZZ
@given(data=st.data())
def test_admin_practice_change_form(admin_practice, staff, data):
    """/admin/practice/practice/<id>/change/ as support staff. Accepted (302), the practice's
    pages still open; refused (the form again with its errors, or a 4xx), the practice, its
    office networks and providers, and the audit log are as they were."""
    practice = Practice.objects.get(pk=admin_practice.pk)
    posted = data.draw(form_posts(practice_admin_fields(practice)))
    posted = resolve(posted, {"<code>": practice.code})
    posted = without_rows_the_practice_has(posted, practice)
    client = staff_visitor(staff)
    path = f"/admin/practice/practice/{practice.pk}/change/"
    before = db_state()
    response = send(client, "post", path, posted)
    event(f"answered {response.status_code}")
    if response.status_code == 302 and response["Location"].startswith("/admin/practice/"):
        send(client, "get", path)
        fresh = Practice.objects.get(pk=practice.pk)
        send(visitor(), "get", f"/p/{fresh.code}/login/")
        return
    assert response.status_code in (200, 400, 403)
    assert_unchanged(before, what=path)


def test_admin_practice_change_form_with_a_megabyte(admin_practice, staff):
    """The same form, every text field a megabyte: refused, nothing changed."""
    practice = admin_practice
    client = staff_visitor(staff)
    path = f"/admin/practice/practice/{practice.pk}/change/"
    posted = {name: BIG for name in ("code", "name", "time_zone", "sms_regions")}
    posted.update({"office_networks-TOTAL_FORMS": "0", "office_networks-INITIAL_FORMS": "1"})
    before = db_state()
    response = send(client, "post", path, posted)
    assert response.status_code in (200, 400)
    assert_unchanged(before, what=path)


ADMIN_USER_FIELDS = {
    "first_name": ["Nina", "", "<b>N</b>"],
    "last_name": ["Reyes", ""],
    "email": ["nina@example.test", "", "bad", "NINA@EXAMPLE.TEST"],
    "mobile_phone": ["", "+12025550143", "202 555 0143", "+999"],
    "other_phone": ["", "+12025550100", "abc"],
    "time_zone": ["", "America/Chicago", "Not/AZone"],
    "npi": ["", "1234567893", "12345678901"],
    "ada_number": ["", "12345"],
    "specialties": ["", "Pediatrics"],
    "role": ["user", "admin", "user_manager", "superuser"],
    "provider": ["", "<provider>", "<their provider>", "999999"],
    "is_active": ["on", ""],
    "pm_username": ["DOK", "NREYES", "", " "],
    "remote_access_reason": ["", "on call"],
    "login_times_restricted": ["on", ""],
    "two_factor_setup": ["", "none", "prompt", "require", "always"],
    "verify_phone_at_registration": ["on", ""],
}


@FUZZ
@given(
    target=st.sampled_from(["<member>", "<doctor>", "<self>", "999999"]),
    data=form_posts(ADMIN_USER_FIELDS),
)
@example(target="<member>", data={"role": "user", "first_name": BIG, "time_zone": BIG})
def test_admin_user_change_form(console_world, staff, target, data):
    """/admin/accounts/user/<id>/change/ as support staff. Accepted (302), nobody became staff
    or moved practice, no password changed, and the user's own My Account still opens; refused
    (the form again, or a 4xx), no row and no audit event changed."""
    names = {**console_world, "<self>": staff[0].pk}
    data = resolve(data, names)
    if target == "<doctor>" and not str(last(data.get("pm_username")) or "").strip():
        # test_admin_clearing_the_pm_username_of_a_remote_user_is_not_a_server_error pins this.
        data["pm_username"] = "DOK"
    user_id = resolve({"t": target}, names)["t"]
    # Support staff may untick their own "Active"; each example starts with them active again.
    User.objects.filter(pk=staff[0].pk).update(is_active=True)
    client = staff_visitor(staff)
    path = f"/admin/accounts/user/{user_id}/change/"
    before = db_state()
    response = send(client, "post", path, data)
    event(f"answered {response.status_code}")
    accepted = response.status_code == 302 and response["Location"].startswith(
        "/admin/accounts/user/"
    )
    if not accepted:
        # The form again, a 4xx, or (an unknown id) a redirect to the admin's index.
        assert response.status_code in (200, 302, 400, 403, 404)
        assert_unchanged(before, what=path)
        return
    assert_no_escalation(before)
    send(client, "get", path)
    user = User.objects.get(pk=user_id)
    if user.practice_id and valid_zone(user.time_zone):
        # test_admin_user_time_zone_that_does_not_exist_breaks_my_account pins bad zones.
        send(signed_in(user), "get", "/account/")


# --- Bodies no browser would send ------------------------------------------------------------

RAW_CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=bogus-charset",
    "application/x-www-form-urlencoded; charset=utf-16",
    "multipart/form-data; boundary=BoUnDaRy",
    "multipart/form-data",
    "application/json",
    "text/plain",
]
RAW_BODIES = st.one_of(
    st.binary(max_size=2000),
    utf8_text(max_size=500).map(str.encode),
    st.sampled_from(
        [
            b"username=nina&password=%FF%FE%00",
            b"username=%E2%80%AE&password=%C0%AF",
            b"%%%%%%",
            b"a=" + b"b" * MEGABYTE,
            b"&" * 5000,
            b'--BoUnDaRy\r\nContent-Disposition: form-data; name="username"\r\n\r\nnina\r\n',
            b'{"username": ["nina"], "password": {"$ne": null}}',
        ]
    ),
)
RAW_TARGETS = {
    "/login/": "anonymous",
    "/p/valley/login/": "anonymous",
    "/login/verify/": "anonymous",
    "/password-reset/": "anonymous",
    "/account/": "member",
    "/account/password/": "member",
    "/console/users/<member>/": "admin",
    "/console/users/<member>/temporary-password/": "admin",
    "/console/users/<invited>/invitation/": "admin",
    "/console/users/new/": "admin",
    "/console/settings/": "admin",
    "/console/providers/new/": "admin",
    "/admin/practice/practice/<practice>/change/": "staff",
    "/admin/accounts/user/<member>/change/": "staff",
}


@pytest.mark.parametrize("target", sorted(RAW_TARGETS))
@settings(FUZZ, max_examples=12)
@given(body=RAW_BODIES, content_type=st.sampled_from(RAW_CONTENT_TYPES))
@example(body=b"a=1", content_type="multipart/form-data; boundary=")
def test_raw_bodies(console_world, practice, admin_user, member, staff, target, body, content_type):
    """Any bytes as the body of a POST to a form, under any content type: never a server error,
    and nothing changes unless the POST was taken as a valid form (a redirect)."""
    path = "/".join(
        str(resolve({"s": part}, {**console_world, "<practice>": practice.pk})["s"])
        for part in target.split("/")
    )
    who = RAW_TARGETS[target]
    fresh_attempts(member, admin_user)
    client = {
        "anonymous": visitor,
        "member": lambda: signed_in(member),
        "admin": lambda: signed_in(admin_user),
        "staff": lambda: staff_visitor(staff),
    }[who]()
    before = db_state()
    response = client.generic("POST", path, body, content_type=content_type)
    event(f"answered {response.status_code}")
    problem = server_error(response)
    assert not problem, f"POST {path} ({content_type}) answered a server error:\n{problem}"
    if response.status_code != 302:
        assert_unchanged(before, LOCKOUT, what=f"raw body to {path}")


# --- Bugs the fuzzing found: each pinned by one explicit example -----------------------------


def test_audit_date_to_9999_12_31_is_not_a_server_error(admin_user):
    response = signed_in(admin_user).get("/console/audit/", {"date_to": "9999-12-31"})
    assert response.status_code in (200, 400)


def test_audit_export_date_to_9999_12_31_is_not_a_server_error(admin_user):
    response = signed_in(admin_user).get("/console/audit/export.csv", {"date_to": "9999-12-31"})
    assert response.status_code in (200, 302)


# SQLite only: Django turns the datetime into naive UTC in Python for SQLite (and overflows),
# while psycopg hands PostgreSQL the aware datetime as it is.
ON_SQLITE = connection.vendor == "sqlite"


def test_audit_date_from_0001_01_01_east_of_utc_is_not_a_server_error(practice, admin_user):
    Practice.objects.filter(pk=practice.pk).update(time_zone="Asia/Tokyo")
    response = signed_in(admin_user).get("/console/audit/", {"date_from": "0001-01-01"})
    assert response.status_code in (200, 400)


def test_audit_export_date_from_0001_01_01_east_of_utc_streams_to_the_end(practice, admin_user):
    Practice.objects.filter(pk=practice.pk).update(time_zone="Asia/Tokyo")
    response = signed_in(admin_user).get("/console/audit/export.csv", {"date_from": "0001-01-01"})
    assert response.status_code in (200, 302)
    if response.streaming:
        b"".join(response.streaming_content)


def test_remote_access_until_9999_12_31_is_not_a_server_error(console_world, admin_user):
    path = f"/console/users/{console_world['<doctor>']}/"
    data = {
        "active": "on",
        "pm_username": "DOK",
        "remote_access": "on",
        "remote_access_until": "9999-12-31",
        "role": console_world["<role user>"],
    }
    response = signed_in(admin_user).post(path, data)
    assert response.status_code in (302, 400)


def test_username_with_a_line_break_does_not_break_auth_verify(admin_user):
    """Either the console refuses such a username, or /auth/verify answers for it."""
    client = signed_in(admin_user)
    response = client.post(
        "/console/users/new/",
        {
            "username": "eve\r\nX-Auth-User: avery",
            "email": "eve@example.test",
            "role": starting_role(admin_user.practice).pk,
            "then": "temporary",
            "temporary_password": STRONG,
            "temporary_password2": STRONG,
        },
    )
    if response.status_code == 400:
        return
    assert response.status_code == 302
    eve = User.objects.get(email="eve@example.test")
    answer = signed_in(eve).get("/auth/verify")
    assert answer.status_code == 200
    assert "\n" not in answer["X-Auth-User"]


def test_admin_clearing_the_pm_username_of_a_remote_user_is_not_a_server_error(
    console_world, staff
):
    """The user change form writes nothing (support acts through actions): refused, unchanged."""
    doctor = User.objects.get(pk=console_world["<doctor>"])
    path = f"/admin/accounts/user/{doctor.pk}/change/"
    data = {"email": "dana@example.test", "role": "user", "is_active": "on", "pm_username": ""}
    response = staff_visitor(staff).post(path, data)
    assert response.status_code == 403
    doctor.refresh_from_db()
    assert doctor.pm_username and doctor.remote_access


def test_admin_user_time_zone_that_does_not_exist_breaks_my_account(member, staff):
    path = f"/admin/accounts/user/{member.pk}/change/"
    data = {
        "email": member.email,
        "role": "user",
        "is_active": "on",
        "time_zone": "Not/AZone",
    }
    staff_visitor(staff).post(path, data)
    response = signed_in(User.objects.get(pk=member.pk)).get("/account/")
    assert response.status_code == 200


def test_next_that_is_a_bare_word_is_not_a_server_error(office, member):
    client = visitor()
    response = client.post(
        "/p/valley/login/", {"username": "nina", "password": PASSWORD, "next": "home"}
    )
    assert response.status_code == 302


def test_confirm_password_next_that_is_a_bare_word_is_not_a_server_error(member):
    response = signed_in(member).post(
        "/account/confirm-password/", {"password": PASSWORD, "next": "0"}
    )
    assert response.status_code == 302


def admin_practice_form(practice, **fields) -> dict:
    """The support staff's practice form as posted with the practice's own values, and `fields`."""
    return {
        "code": practice.code,
        "name": practice.name,
        "time_zone": practice.time_zone,
        "two_factor_policy": "none",
        "sms_regions": "US, CA",
        "sms_hourly_limit": "100",
        "lockout_threshold": "5",
        "auto_unlock_minutes": "0",
        "idle_timeout_minutes": "30",
        "password_profile": "classic",
        "password_min_length": "8",
        "password_history": "6",
        "dormant_after_days": "0",
        "access_review_days": "0",
        "password_expiry_days": "90",
        **fields,
    }


def test_admin_office_network_spelled_twice_is_not_a_server_error(admin_practice, staff):
    """Two spellings of one network are one network."""
    practice = admin_practice
    posted = admin_practice_form(
        practice,
        **{
            "providers-TOTAL_FORMS": "0",
            "providers-INITIAL_FORMS": "0",
            "office_networks": "::1/128\n0::1/128",
        },
    )
    response = staff_visitor(staff).post(f"/admin/practice/practice/{practice.pk}/change/", posted)
    assert response.status_code == 302
    assert list(practice.office_networks.values_list("cidr", flat=True)) == ["::1/128"]


def test_admin_provider_added_twice_is_not_a_server_error(admin_practice, staff):
    practice = admin_practice
    client = staff_visitor(staff)
    path = f"/admin/practice/practice/{practice.pk}/change/"
    page = client.get(path)  # the page as it was, before someone else adds the provider
    assert page.status_code == 200
    ProviderFactory(practice=practice, npi="1234567893")
    posted = admin_practice_form(
        practice,
        **{
            "office_networks-TOTAL_FORMS": "0",
            "office_networks-INITIAL_FORMS": "0",
            "providers-TOTAL_FORMS": "1",
            "providers-INITIAL_FORMS": "0",
            "providers-0-practice": str(practice.pk),
            "providers-0-name": "Dr. Ada Park",
            "providers-0-npi": "1234567893",
        },
    )
    response = client.post(path, posted)
    assert response.status_code in (200, 302)
