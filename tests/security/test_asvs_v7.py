"""OWASP ASVS 5.0 V7 Session management, Levels 1 and 2: tests named by requirement id.
docs/SECURITY.md says how each is met."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client

from accounts.lockout import user_lock
from accounts.models import UserSession
from accounts.sessions import ACTIVITY_WRITE_SECONDS, EMERGENCY_HOURS
from practice.models import Practice
from tests.account_helpers import link_open
from tests.accounts.conftest import sign_in_post
from tests.factories import PASSWORD
from tests.mfa.helpers import app_code, app_device, reauth
from tests.security.conftest import section
from tests.signin_helpers import sign_in, signed_in_client

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Quiet-Harbor-Lantern-42"


def signed_in_through_the_pages(client, office, member):
    """Sign in with the password (and the app's code when the user has one), as a person does."""
    response = sign_in_post(client, office.practice, "nina", PASSWORD)
    if response["Location"] == "/login/verify/":
        device = member.totpdevice_set.get()
        response = client.post("/login/verify/", {"code": app_code(device)})
    assert response["Location"] == "/account/"
    return client.session.session_key


def is_signed_in(client) -> bool:
    return client.get("/auth/verify").status_code == 200


# --- V7.1 Session management documentation --------------------------------------------------


def test_v7_1_1_v7_1_2_the_documented_limits_are_the_enforced_ones(security_md):
    text = section(security_md, "Sessions")
    idle = Practice._meta.get_field("idle_timeout_minutes").default
    assert f"{idle} minutes without activity" in text
    assert f"{settings.SESSION_ABSOLUTE_SECONDS // 3600} hours" in text
    assert f"{EMERGENCY_HOURS} hours" in text
    assert "One session per user" in text
    assert "NIST SP 800-63B" in text


def test_v7_1_3_the_gateway_is_documented(security_md):
    text = section(security_md, "Sessions")
    assert "`/auth/verify`" in text and "every request" in text


# --- V7.2 Fundamental session management security ---------------------------------------------


def test_v7_2_1_a_made_up_session_cookie_signs_nobody_in(member):
    forged = Client()
    forged.cookies[settings.SESSION_COOKIE_NAME] = "a" * 32
    assert forged.get("/account/").status_code == 302
    assert forged.get("/auth/verify").status_code == 401


def test_v7_2_2_v7_2_3_each_sign_in_gets_a_new_random_key_of_128_bits_and_more(office, member):
    keys = {signed_in_through_the_pages(Client(), office, member) for _ in range(3)}
    assert len(keys) == 3
    for key in keys:
        # 32 characters of [a-z0-9] (Django's get_random_string, from the secrets module):
        # log2(36) * 32 = 165 bits.
        assert re.fullmatch(r"[a-z0-9]{32}", key)


def test_v7_2_4_signing_in_replaces_the_session_key(client, office, member):
    app_device(member)
    sign_in_post(client, office.practice, "nina", PASSWORD)
    before = client.session.session_key  # the key of the half-done sign-in
    client.post("/login/verify/", {"code": app_code(member.totpdevice_set.get())})
    after = client.session.session_key
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()


def test_v7_2_4_typing_the_password_again_replaces_the_session_key(client, member):
    sign_in(client, member)
    before = client.session.session_key
    response = client.post(
        "/account/confirm-password/", {"password": PASSWORD, "next": "/account/security/"}
    )
    assert response["Location"] == "/account/security/"
    after = client.session.session_key
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    # Still the same signed-in session, listed as this browser.
    assert client.get("/account/security/").status_code == 200
    session = UserSession.objects.get(user=member)
    assert session.session_key == after and session.ended_at is None
    assert "This browser" in client.get("/account/").content.decode()


# --- V7.3 Session timeout --------------------------------------------------------------------


def test_v7_3_1_an_idle_session_ends_after_the_practices_minutes(client, office, member, clock):
    signed_in_through_the_pages(client, office, member)
    clock.shift(timedelta(minutes=29))
    assert is_signed_in(client)
    clock.shift(timedelta(minutes=30, seconds=1))
    assert client.get("/account/").status_code == 302
    assert not is_signed_in(client)
    assert UserSession.objects.get(user=member).end_reason == "idle"


def test_v7_3_2_a_session_ends_after_12_hours_however_active(client, office, member, clock):
    signed_in_through_the_pages(client, office, member)
    for _ in range(12 * 60 // 20):
        clock.shift(timedelta(minutes=20))
        client.get("/account/")
    clock.shift(timedelta(seconds=ACTIVITY_WRITE_SECONDS))
    assert not is_signed_in(client)
    assert UserSession.objects.get(user=member).end_reason == "absolute"


# --- V7.4 Session termination -----------------------------------------------------------------


def test_v7_4_1_after_signing_out_the_old_cookie_opens_nothing(client, office, member):
    signed_in_through_the_pages(client, office, member)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    # The back button finds nothing cached: signed-in pages are never stored.
    assert "no-store" in client.get("/account/")["Cache-Control"]
    client.post("/logout/")
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = cookie
    assert replay.get("/account/").status_code == 302
    # A gateway asking about the old cookie hears "not signed in".
    assert replay.get("/auth/verify").status_code == 401


def test_v7_4_2_deactivating_a_user_ends_every_session_at_once(console, member):
    browsers = [signed_in_client(member), signed_in_client(member, zone="remote")]
    from tests.practice.test_console_user import save

    save(console, member, active="", confirm_deactivation="yes")
    for browser in browsers:
        assert not is_signed_in(browser)
    assert not UserSession.objects.filter(user=member, ended_at__isnull=True).exists()


def test_v7_4_3_a_changed_or_reset_password_ends_the_other_sessions(client, member):
    other = signed_in_client(member)
    sign_in(client, member)
    change = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    client.post("/account/password/", {"current_password": PASSWORD, **change})
    assert is_signed_in(client) and not is_signed_in(other)
    # A reset by email ends every session, this one too.
    reset = Client()
    reset.post("/password-reset/", {"practice_code": "valley", "identifier": "nina"})
    form_page = link_open(reset, mail.outbox[-1].body)["Location"]
    reset.post(form_page, {"new_password1": PASSWORD + "x", "new_password2": PASSWORD + "x"})
    assert not is_signed_in(client)


def test_v7_4_3_after_a_factor_changes_the_other_sessions_can_be_ended(client, member):
    app = app_device(member)
    other = signed_in_client(member)
    sign_in(client, member)
    reauth(client)
    client.post(f"/account/security/devices/app-{app.pk}/remove/")
    page = client.get("/account/").content.decode()
    assert ">Sign out all other sessions</button>" in page
    client.post("/account/sessions/sign-out-others/")
    assert is_signed_in(client) and not is_signed_in(other)


def test_v7_4_4_every_signed_in_page_offers_sign_out(console, member, admin_user):
    sign_out = re.compile(r'<form method="post" action="/logout/"[^>]*>.*?>Sign out</button>', re.S)
    pages = [
        "/account/",
        "/account/password/",
        "/account/confirm-password/",
        "/console/",
        f"/console/users/{member.pk}/",
        "/console/users/new/",
        "/console/settings/",
        "/console/audit/",
    ]
    for path in pages:
        response = console.get(path)
        assert response.status_code == 200, path
        assert sign_out.search(response.content.decode()), path
    reauth(console)
    for path in ("/account/security/", "/account/security/app/add/"):
        assert sign_out.search(console.get(path).content.decode()), path


def test_v7_4_5_an_administrator_signs_a_user_out(console, member):
    browser = signed_in_client(member)
    session = UserSession.objects.get(user=member)
    response = console.post(f"/console/users/{member.pk}/sessions/{session.pk}/end/")
    assert response.status_code == 302
    assert not is_signed_in(browser)
    assert UserSession.objects.get(pk=session.pk).end_reason == "administrator"


def test_v7_4_5_an_administrator_signs_every_user_out_at_once(console, practice, member):
    from tests.factories import UserFactory

    browsers = [signed_in_client(member), signed_in_client(UserFactory(practice=practice))]
    users_page = console.get("/console/").content.decode()
    link = re.search(r'<a [^>]*href="([^"]+)"[^>]*>Sign out all users…</a>', users_page)
    assert link is not None
    offer = re.search(
        r'<form method="post" action="([^"]+)"[^>]*>(?:(?!</form>).)*>Sign out all users<',
        console.get(link.group(1)).content.decode(),
        re.S,
    )
    assert offer is not None
    console.post(offer.group(1))
    assert not any(is_signed_in(browser) for browser in browsers)
    assert is_signed_in(console)


# --- V7.5 Defenses against session abuse ------------------------------------------------------


def test_v7_5_1_email_phone_and_factors_change_only_with_the_password_again(client, member):
    # Signed in a while ago: the password typed at sign-in counts as recent for 5 minutes only.
    sign_in(client, member, minutes_ago=10)
    response = client.post(
        "/account/",
        {"first_name": "Nina", "last_name": "Reyes", "email": "stolen@example.test"},
    )
    assert "Enter your current password" in response.content.decode()
    response = client.post(
        "/account/",
        {
            "first_name": "Nina",
            "last_name": "Reyes",
            "email": "nina@example.test",
            "mobile_phone": "+12025550199",
        },
    )
    assert "Enter your current password" in response.content.decode()
    app = app_device(member)
    for path in (
        "/account/security/app/add/",
        "/account/security/phone/add/",
        "/account/security/key/add/",
        "/account/security/recovery-codes/",
        f"/account/security/devices/app-{app.pk}/remove/",
        "/account/security/reset-pairing/",
    ):
        assert client.get(path)["Location"].startswith("/account/confirm-password/"), path
    member.refresh_from_db()
    assert member.email == "nina@example.test" and member.mobile_phone == ""
    assert member.totpdevice_set.filter(pk=app.pk).exists()


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="Not yet met in full: the password is asked again, but not the second factor of a "
    "user who has one.",
)
def test_v7_5_1_a_user_with_a_second_factor_confirms_it_too(client, member):
    app = app_device(member)
    sign_in(client, member, device=app)
    page = client.get("/account/confirm-password/?next=/account/security/app/add/")
    assert "Verification code" in page.content.decode()


def test_v7_5_2_users_see_their_active_sessions(client, member):
    other = signed_in_client(member, zone="remote")
    UserSession.objects.filter(session_key=other.session.session_key).update(
        user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0"
    )
    sign_in(client, member)
    page = client.get("/account/").content.decode()
    assert "Active sessions" in page and "This browser" in page
    assert "Firefox on Linux" in page and ">Sign out all other sessions</button>" in page


def test_v7_5_2_ending_a_session_asks_for_the_password_again(client, member):
    other = signed_in_client(member)
    # Signed in a while ago: the password typed at sign-in counts as recent for 5 minutes only.
    sign_in(client, member, minutes_ago=10)
    for path in (
        "/account/sessions/sign-out-others/",
        f"/account/sessions/{UserSession.objects.get(session_key=other.session.session_key).pk}"
        "/sign-out/",
    ):
        page = client.post(path)
        assert page.status_code == 200
        assert "Confirm your password" in page.content.decode()
        wrong = client.post(path, {"password": "Not-The-Password-1"})
        assert "That password is not right." in wrong.content.decode()
        assert is_signed_in(other)
    member.refresh_from_db()
    assert member.failed_logins == 2  # each wrong password counts towards the lock

    # The right password carries the sign-out out in the same request.
    done = client.post("/account/sessions/sign-out-others/", {"password": PASSWORD})
    assert done.status_code == 302
    assert not is_signed_in(other) and is_signed_in(client)
    # And for the next 5 minutes the button needs no password.
    third = signed_in_client(member)
    client.post("/account/sessions/sign-out-others/")
    assert not is_signed_in(third)


# --- V7.6 Federated re-authentication (the gateway's auth request) ----------------------------


def test_v7_6_1_the_gateway_hears_of_an_ended_session_on_its_next_request(
    client, office, member, admin_user
):
    signed_in_through_the_pages(client, office, member)
    assert client.get("/auth/verify").status_code == 200
    user_lock(user=member, actor=admin_user)
    response = client.get("/auth/verify")
    assert response.status_code == 403
    assert client.get("/auth/verify").status_code == 401


def test_v7_6_2_only_a_sign_in_the_user_submits_makes_a_session(client, member, admin_user):
    from accounts.invitations import invitation_create, invitation_link

    client.get("/login/")
    client.get(f"/p/{member.practice.code}/login/")
    client.get("/auth/verify")
    client.post("/password-reset/", {"practice_code": "valley", "identifier": "nina"})
    link_open(client, mail.outbox[-1].body, follow=True)
    token = invitation_create(user=member, actor=admin_user)
    link_open(client, invitation_link(token), follow=True)
    assert SESSION_KEY not in client.session
    assert not is_signed_in(client)
    assert not UserSession.objects.filter(user=member).exists()
