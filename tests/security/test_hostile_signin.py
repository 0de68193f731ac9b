"""Issue 21, a hostile tester's report: items 5, 6, 7, 10 and 13, each as the attacker did it.

5. An office session's cookie used from outside opened PracticeGate's own pages.
6. A session key planted before the sign-in watched the code step and a first setup.
7. Removing "Emergency access account" left a running emergency session alive.
10. A password typed into the username box was kept in the audit row and its log line.
13. After the lockout threshold an existing name said "locked" and an unknown one did not.
"""

import json
import logging
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client

from accounts.models import UserSession
from accounts.remote_access import remote_access_grant
from practice.audit import audit_line
from practice.models import AuditEvent
from tests.account_helpers import link_open
from tests.factories import PASSWORD, OfficeNetworkFactory
from tests.mfa.helpers import app_code, app_device

pytestmark = pytest.mark.django_db

HOME = "198.51.100.23"  # outside the office network (127.0.0.0/8)
CAFE = "203.0.113.9"  # outside it too
WRONG = "Wrong-Horse-9!"
INVALID = "invalid username or password"


def sign_in(client, username, password=PASSWORD, *, address="127.0.0.1", practice="valley"):
    return client.post(
        f"/p/{practice}/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def signed_in_through_the_pages(client, user, *, address="127.0.0.1", device=None):
    response = sign_in(client, user.username, address=address)
    if response.status_code == 302 and response["Location"] == "/login/verify/":
        response = client.post("/login/verify/", {"code": app_code(device)}, REMOTE_ADDR=address)
    assert client.session[SESSION_KEY] == str(user.pk)
    return response


def refusal(response) -> str:
    """The sign-in page's error, in lower case, tags and extra spaces removed."""
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    found = re.findall(
        r"(invalid username or password|your account is (?:now )?locked[^.]*)", text.lower()
    )
    return " ".join(found[0].split()) if found else ""


def allow_remote(user, admin):
    user.pm_username = f"pm-{user.username}"
    user.save(update_fields=["pm_username"])
    remote_access_grant(user=user, actor=admin)


# --- Item 5: the zone rule on every request, pages and gateway alike --------------------------


@pytest.mark.parametrize("page", ["/console/", "/account/", "/auth/verify"])
def test_item5_office_session_refused_from_outside(client, office, admin_user, page):
    """Signed in at the office (no remote access, no second factor): the same cookie from
    outside opens nothing, and the session is over, there too."""
    signed_in_through_the_pages(client, admin_user)
    assert client.get("/console/").status_code == 200

    response = client.get(page, REMOTE_ADDR=HOME)
    if page == "/auth/verify":
        assert response.status_code == 403
        assert response["X-Auth-Reason"] == "remote-access"
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/p/valley/login/")
    assert SESSION_KEY not in client.session
    # Back at the office the cookie is worth nothing either: the session ended.
    assert client.get("/console/").status_code == 302
    assert SESSION_KEY not in client.session
    ended = UserSession.objects.get(user=admin_user)
    assert ended.end_reason == "outside_office"
    event = AuditEvent.objects.get(action="sessions.ended", target=admin_user)
    assert (event.details["reason"], event.ip_address) == ("outside_office", HOME)


def test_item5_office_session_cannot_grant_remote_access_from_outside(
    client, office, admin_user, member
):
    from tests.practice.test_console_user import form_of

    member.pm_username = "nreyes"
    member.save()
    signed_in_through_the_pages(client, admin_user)
    response = client.post(
        f"/console/users/{member.pk}/", form_of(member, remote_access="on"), REMOTE_ADDR=HOME
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/p/valley/login/")
    member.refresh_from_db()
    assert not member.remote_access
    assert not AuditEvent.objects.filter(action="remote_access.granted").exists()


def test_item5_office_session_with_the_grant_but_no_second_factor_ends_outside(
    client, office, member, admin_user
):
    allow_remote(member, admin_user)
    signed_in_through_the_pages(client, member)  # the office asks no second factor
    response = client.get("/account/", REMOTE_ADDR=HOME, follow=True)
    assert "outside the office PracticeGate needs a sign-in with your second factor" in (
        response.content.decode()
    )
    assert UserSession.objects.get(user=member).end_reason == "outside_no_second_factor"
    # The gateway hears the same rule, with its own reason.
    signed_in_through_the_pages(client, member)
    response = client.get("/auth/verify", REMOTE_ADDR=HOME)
    assert (response.status_code, response["X-Auth-Reason"]) == (403, "second-factor")
    assert client.get("/auth/verify", REMOTE_ADDR="127.0.0.1").status_code == 401


def test_item5_a_session_as_a_remote_sign_in_needs_it_goes_on_from_anywhere(
    client, office, member, admin_user
):
    allow_remote(member, admin_user)
    device = app_device(member)
    signed_in_through_the_pages(client, member, address=HOME, device=device)
    for address in (HOME, CAFE, "127.0.0.1"):
        assert client.get("/account/", REMOTE_ADDR=address).status_code == 200
        assert client.get("/auth/verify", REMOTE_ADDR=address).status_code == 200
    # At the office, with the grant and a code: it may go home too.
    signed_in_through_the_pages(client, member, device=device)
    assert client.get("/account/", REMOTE_ADDR=CAFE).status_code == 200


def test_item5_an_office_network_removed_is_outside_for_the_sessions_signed_in_there(
    client, practice, admin_user, member
):
    from tests.practice.test_console_settings import DEFAULTS

    OfficeNetworkFactory(practice=practice, cidr="10.20.0.0/16", label="Branch")
    OfficeNetworkFactory(practice=practice, cidr="127.0.0.0/8", label="Front desk")
    signed_in_through_the_pages(client, member, address="10.20.3.4")
    assert client.get("/account/", REMOTE_ADDR="10.20.3.4").status_code == 200
    console = Client()
    signed_in_through_the_pages(console, admin_user)
    response = console.post("/console/settings/", {**DEFAULTS, "office_networks": "127.0.0.0/8"})
    assert response.status_code == 302
    assert list(practice.office_networks.values_list("cidr", flat=True)) == ["127.0.0.0/8"]
    response = client.get("/account/", REMOTE_ADDR="10.20.3.4")
    assert response["Location"].startswith("/p/valley/login/")
    assert UserSession.objects.get(user=member).end_reason == "outside_office"


def test_item5_an_emergency_session_from_outside_is_treated_as_its_sign_in_was(
    client, office, member
):
    """Declared from outside without the grant: the declaration lifted the remote-access rule
    for this session, and it passed a second factor, so it goes on from another address."""
    member.emergency_access = True
    member.save()
    device = app_device(member)
    response = sign_in(client, "nina", address=HOME)
    assert response["Location"] == "/login/emergency/"
    client.post("/login/emergency/", {"reason": "Snowed in, on call"}, REMOTE_ADDR=HOME)
    client.post("/login/verify/", {"code": app_code(device)}, REMOTE_ADDR=HOME)
    assert client.session[SESSION_KEY] == str(member.pk)
    assert client.get("/account/", REMOTE_ADDR=CAFE).status_code == 200
    assert client.get("/auth/verify", REMOTE_ADDR=CAFE).status_code == 200


# --- Item 6: the session key changes when the password is accepted ----------------------------


def planted_key() -> str:
    """A session key any visitor can make (here by opening a made-up invitation link), ready to
    be planted in someone's browser from a host under SESSION_COOKIE_DOMAIN."""
    attacker = Client()
    link_open(attacker, "http://testserver/invite/link/#anything")
    return attacker.cookies[settings.SESSION_COOKIE_NAME].value


def browser_with(key: str) -> Client:
    browser = Client()
    browser.cookies[settings.SESSION_COOKIE_NAME] = key
    return browser


def test_item6_planted_session_key_does_not_reach_the_first_setup(client, office, member):
    practice = office.practice
    practice.two_factor_policy = "require"
    practice.save()
    key = planted_key()
    victim = browser_with(key)
    assert sign_in(victim, "nina")["Location"] == "/login/setup/"
    assert victim.cookies[settings.SESSION_COOKIE_NAME].value != key
    page = victim.get("/login/setup/app/")
    assert "Type this key into the app" in page.content.decode()

    watcher = browser_with(key)
    response = watcher.get("/login/setup/app/")
    assert response.status_code == 302
    assert "Type this key" not in watcher.get(response["Location"]).content.decode()
    assert watcher.get("/login/setup/").status_code == 302


def test_item6_planted_session_key_does_not_reach_the_code_step(client, office, member):
    device = app_device(member)
    key = planted_key()
    victim = browser_with(key)
    assert sign_in(victim, "nina")["Location"] == "/login/verify/"
    watcher = browser_with(key)
    assert watcher.get("/login/verify/").status_code == 302
    # The victim's own sign-in goes on, under its new key.
    response = victim.post("/login/verify/", {"code": app_code(device)})
    assert response["Location"] == "/account/"
    assert victim.get("/account/").status_code == 200
    assert watcher.get("/account/").status_code == 302


# The same kind: a secret an emailed link brings into a session goes under a new key too.

NEW_PASSWORD = "Granite-River-42"


def opened(browser, body) -> str:
    """Open the emailed link in `browser`, as the person it was sent to does; returns the step
    page it leads to (the secret has moved into the session)."""
    response = link_open(browser, body)
    assert response.status_code == 302
    return response["Location"]


def test_item6_planted_session_key_does_not_reach_a_password_reset(office, member):
    key = planted_key()
    victim = browser_with(key)
    victim.post("/password-reset/", {"practice_code": "valley", "identifier": "nina"})
    step = opened(victim, mail.outbox[-1].body)
    assert victim.cookies[settings.SESSION_COOKIE_NAME].value != key

    watcher = browser_with(key)
    response = watcher.post(step, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 400
    member.refresh_from_db()
    assert member.check_password(PASSWORD)
    # The person the link was sent to goes on.
    victim.post(step, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)


def test_item6_planted_session_key_does_not_reach_an_invitation(office, admin_user):
    from accounts.invitations import invitation_create
    from accounts.users import user_create

    invited = user_create(
        practice=office.practice,
        username="newdoc",
        email="newdoc@example.test",
        first_name="Noor",
        last_name="Doc",
        actor=admin_user,
    )
    token = invitation_create(user=invited, actor=admin_user)
    key = planted_key()
    victim = browser_with(key)
    step = opened(victim, f"http://testserver/invite/link/#{token}")

    watcher = browser_with(key)
    response = watcher.post(step, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 400
    invited.refresh_from_db()
    assert not invited.has_usable_password()


# --- Item 7: the emergency mark is checked on every request -----------------------------------


def test_item7_removing_the_emergency_mark_ends_the_running_emergency_session(
    office, member, console
):
    from tests.practice.test_console_user import save

    client = Client()
    member.emergency_access = True
    member.login_times_restricted = True  # no login window at all: only an emergency gets in
    member.save()
    device = app_device(member)
    assert sign_in(client, "nina")["Location"] == "/login/emergency/"
    client.post("/login/emergency/", {"reason": "Covering the on-call shift"})
    client.post("/login/verify/", {"code": app_code(device)})
    assert client.get("/account/").status_code == 200
    assert "Active emergencies" in console.get("/console/").content.decode()

    response = save(console, member)  # "Emergency access account" unticked
    assert "Saved the changes" in response.content.decode()
    member.refresh_from_db()
    assert not member.emergency_access
    assert "Active emergencies" not in console.get("/console/").content.decode()

    response = client.get("/account/", follow=True)
    assert "no longer an emergency access account" in response.content.decode()
    assert SESSION_KEY not in client.session
    assert UserSession.objects.get(user=member).end_reason == "emergency_access_removed"


def test_item7_the_guard_checks_the_mark_whoever_removed_it(client, office, member):
    """Not only the console's save: any change of the mark ends the session at the next click
    (here a row changed behind the services' back)."""
    member.emergency_access = True
    member.login_times_restricted = True
    member.save()
    device = app_device(member)
    sign_in(client, "nina")
    client.post("/login/emergency/", {"reason": "Covering the on-call shift"})
    client.post("/login/verify/", {"code": app_code(device)})
    assert client.get("/auth/verify").status_code == 200
    type(member).objects.filter(pk=member.pk).update(emergency_access=False)
    assert client.get("/auth/verify").status_code == 403
    assert client.get("/auth/verify").status_code == 401


# --- Item 10: a password typed as the username is not kept --------------------------------------


def test_item10_password_typed_as_username_is_not_kept(
    client, office, member, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.INFO, logger="practice.audit")
    with django_capture_on_commit_callbacks(execute=True):
        sign_in(client, PASSWORD, WRONG)
        sign_in(client, PASSWORD.upper(), WRONG, address=HOME)
        sign_in(client, "ghost", WRONG)
    events = list(AuditEvent.objects.filter(action="signin.failed").order_by("id"))
    assert [event.details["reason"] for event in events] == ["unknown_user"] * 3
    logged = [json.dumps(event.details) for event in events] + [
        record.getMessage() for record in caplog.records
    ]
    assert len(logged) == 6
    for line in logged:
        assert PASSWORD.lower() not in line.lower()
    first, again, other = (event.details for event in events)
    # Still correlated: the same name (in any case) has the same fingerprint, another does not.
    assert first["username_length"] == len(PASSWORD)
    assert first["username_fingerprint"] == again["username_fingerprint"]
    assert first["username_fingerprint"] != other["username_fingerprint"]
    # A name that is a user is recorded as that user.
    sign_in(client, "NINA", WRONG)
    event = AuditEvent.objects.filter(action="signin.failed").latest("id")
    assert event.target == member and "username_fingerprint" not in event.details


def test_item10_the_audit_log_reads_well_for_such_a_row(office, member, console):
    sign_in(Client(), PASSWORD, WRONG)
    page = console.get("/console/audit/").content.decode()
    assert PASSWORD not in page
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "Sign-in refused: unknown username" in text
    assert f"Username tried (characters): {len(PASSWORD)}" in text
    export = console.get("/console/audit/export.csv")
    body = b"".join(export.streaming_content).decode()
    assert PASSWORD not in body and "Username tried (fingerprint)" in body


def test_item10_a_slowed_address_keeps_no_typed_name_either(client, practice, member):
    for i in range(20):
        sign_in(client, f"ghost{i}", WRONG, address=HOME)
    response = sign_in(client, PASSWORD, WRONG, address=HOME)
    assert "too many failed sign-in attempts" in response.content.decode().lower()
    event = AuditEvent.objects.filter(action="signin.failed").latest("id")
    assert event.details["reason"] == "address_slowed"
    assert PASSWORD not in audit_line(event)
    # A known name is recorded as its user.
    sign_in(client, "nina", WRONG, address=HOME)
    event = AuditEvent.objects.filter(action="signin.failed").latest("id")
    assert (event.details["reason"], event.target) == ("address_slowed", member)


# --- Item 13: existing and unknown names answer alike after the threshold ----------------------


def test_item13_lock_message_is_the_same_for_existing_and_unknown_usernames(
    client, practice, member
):
    nina, ghost = Client(), Client()
    for attempt in range(1, 8):
        real = sign_in(nina, "nina", WRONG, address=HOME)
        unknown = sign_in(ghost, "ghost", WRONG, address=CAFE)
        assert real.status_code == unknown.status_code == 200
        assert refusal(real) == refusal(unknown), attempt
        # The attempt that reaches the threshold says why; after it, only that it is locked.
        expected = {5: "your account is now locked"}.get(
            attempt, INVALID if attempt < 5 else "your account is locked"
        )
        assert refusal(real).startswith(expected), attempt
    # DESIGN.md: a locked account signing in with its right password says "locked", and never
    # "invalid username or password".
    response = sign_in(nina, "nina", PASSWORD, address=HOME)
    assert refusal(response).startswith("your account is locked")
    assert INVALID not in response.content.decode().lower()


def test_item13_both_count_alike_against_the_address(client, practice, member):
    """A locked account's refusals count against the address as an unknown name's do: the
    per-address slowdown does not tell them apart either."""
    nina, ghost = Client(), Client()
    for _ in range(20):
        real = sign_in(nina, "nina", WRONG, address=HOME)
        unknown = sign_in(ghost, "ghost", WRONG, address=CAFE)
        assert refusal(real) == refusal(unknown)
    real = sign_in(nina, "nina", WRONG, address=HOME)
    unknown = sign_in(ghost, "ghost", WRONG, address=CAFE)
    for response in (real, unknown):
        assert "too many failed sign-in attempts from your network" in (
            response.content.decode().lower()
        )


def test_item13_auto_unlock_frees_both_alike(client, practice, member, clock):
    practice.auto_unlock_minutes = 15
    practice.save()
    nina, ghost = Client(), Client()
    for _ in range(5):
        sign_in(nina, "nina", WRONG, address=HOME)
        sign_in(ghost, "ghost", WRONG, address=CAFE)
    clock.shift(timedelta(minutes=14))
    assert refusal(sign_in(nina, "nina", WRONG, address=HOME)).startswith("your account is locked")
    assert refusal(sign_in(ghost, "ghost", WRONG, address=CAFE)).startswith(
        "your account is locked"
    )
    clock.shift(timedelta(minutes=2))
    assert refusal(sign_in(nina, "nina", WRONG, address=HOME)) == INVALID
    assert refusal(sign_in(ghost, "ghost", WRONG, address=CAFE)) == INVALID
