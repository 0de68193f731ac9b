"""The gateway: /auth/verify's answers and reasons, the sign-in round trip, the refusal page."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY, hashers
from django.core.checks import run_checks
from django.test import Client
from django.utils import timezone

from accounts.gateway import gateway_destination
from accounts.lifecycle import user_deactivate
from accounts.lockout import user_lock
from accounts.login_times import login_windows_set
from accounts.models import UserSession
from accounts.remote_access import remote_access_grant, remote_access_revoke
from practice.models import AuditEvent
from tests.accounts.conftest import REMOTE
from tests.factories import PASSWORD, PracticeFactory, StaffFactory, UserFactory
from tests.mfa.helpers import app_code, app_device
from tests.signin_helpers import sign_in

pytestmark = pytest.mark.django_db

EHR = "ehr.valley.test"
FILES = "files.example.test"
OFFICE_ADDRESS = "127.0.0.1"  # inside the `office` fixture's 127.0.0.0/8
HOME = "198.51.100.23"  # outside it


@pytest.fixture(autouse=True)
def gateway_settings(settings):
    settings.GATEWAY_ALLOWED_HOSTS = {EHR: "valley", FILES: ""}
    settings.SITE_URL = "https://gate.valley.test"


@pytest.fixture
def remote_member(member, admin_user):
    member.pm_username = "nreyes"
    member.save()
    remote_access_grant(user=member, actor=admin_user)
    app_device(member)
    return member


def through_the_pages(client, member, *, address, next_url=""):
    """Sign in as a person does (password, then the app's code when asked) from `address`."""
    data = {"username": member.username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    response = client.post("/p/valley/login/", data, REMOTE_ADDR=address)
    if response["Location"] == "/login/verify/":
        device = member.totpdevice_set.get()
        response = client.post("/login/verify/", {"code": app_code(device)}, REMOTE_ADDR=address)
    assert client.session[SESSION_KEY] == str(member.pk)
    return response


def verify(client, *, address=OFFICE_ADDRESS, url=f"https://{EHR}/chart/42?tab=notes", **extra):
    headers = {"HTTP_X_ORIGINAL_URL": url} if url else {}
    return client.get("/auth/verify", REMOTE_ADDR=address, **headers, **extra)


def assert_refused(response, reason):
    assert response.status_code == 403
    assert response["X-Auth-Reason"] == reason
    assert response["X-Auth-Redirect"] == (
        f"https://gate.valley.test/auth/refused?reason={reason}&practice=valley"
    )
    assert "no-store" in response["Cache-Control"]


# --- Where a gateway sign-in may send the browser ----------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"https://{EHR}/",
        f"https://{EHR}/chart/42?tab=notes&x=%2F",
        f"https://{FILES}/shared/report.pdf",
        f"http://{EHR}/",  # with DEBUG only: see below
    ],
)
def test_an_address_on_a_gateway_host_is_a_destination(settings, url):
    settings.DEBUG = True
    assert gateway_destination(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/",
        f"https://{EHR}.evil.example/",
        f"https://evil.example/{EHR}",
        f"https://evil@{EHR}/",
        f"https://{EHR}@evil.example/",
        f"https://{EHR}:8443/",  # another port is another origin
        f"//{EHR}/",
        "//evil.example/",
        f"https:\\\\{EHR}\\",
        f"https://{EHR}\\@evil.example/",
        f"https:/{EHR}/",
        f"https:///{EHR}/",
        f" https://{EHR}/",
        f"https://{EHR}/\r\nSet-Cookie: x=1",
        f"https://{EHR}/\x00",
        f"javascript://{EHR}/%0aalert(1)",
        f"ftp://{EHR}/",
        "https://EHR.VALLEY.TEST/",  # written as listed, or not at all
        "https://gate.valley.test/account/",  # our own pages are paths, handled by safe_next
        f"https://{EHR}/" + "a" * 2100,
        "",
    ],
)
def test_anything_else_is_not(url):
    assert gateway_destination(url) == ""


def test_outside_debug_only_https_is_a_destination():
    assert gateway_destination(f"http://{EHR}/") == ""
    assert gateway_destination(f"https://{EHR}/") == f"https://{EHR}/"


def test_the_sign_in_sends_the_browser_back_to_the_application(client, office, remote_member):
    wanted = f"https://{EHR}/chart/42?tab=notes"
    page = client.get("/p/valley/login/", {"next": wanted})
    assert f'name="next" value="{wanted.replace("&", "&amp;")}"' in page.content.decode()
    response = through_the_pages(client, remote_member, address=REMOTE, next_url=wanted)
    assert response.status_code == 302
    assert response["Location"] == wanted


@pytest.mark.parametrize(
    "wanted", ["https://evil.example/", f"https://evil@{EHR}/", "//evil.example/", "\\\\evil"]
)
def test_the_sign_in_never_sends_it_anywhere_else(client, office, member, wanted):
    response = through_the_pages(client, member, address=OFFICE_ADDRESS, next_url=wanted)
    assert response["Location"] == "/account/"


# --- /auth/verify ------------------------------------------------------------------------------


def test_not_signed_in_is_401_with_the_practices_sign_in_page_and_the_way_back(client, practice):
    response = verify(client)
    assert response.status_code == 401
    assert response["X-Auth-Redirect"] == (
        "https://gate.valley.test/p/valley/login/"
        "?next=https%3A%2F%2Fehr.valley.test%2Fchart%2F42%3Ftab%3Dnotes"
    )
    assert "no-store" in response["Cache-Control"]
    # A host for any practice: the general sign-in page.
    response = verify(client, url=f"https://{FILES}/a")
    assert response["X-Auth-Redirect"] == (
        "https://gate.valley.test/login/?next=https%3A%2F%2Ffiles.example.test%2Fa"
    )


def test_a_host_not_listed_is_never_a_way_back(client, practice):
    for url in ("https://evil.example/x", f"https://evil@{EHR}/", "", "nonsense"):
        response = verify(client, url=url)
        assert response.status_code == 401
        assert response["X-Auth-Redirect"] == "https://gate.valley.test/login/"


def test_traefik_and_caddy_send_the_address_in_parts_and_get_redirects(client, practice):
    response = client.get(
        "/auth/verify?redirect=1",
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_X_FORWARDED_HOST=EHR,
        HTTP_X_FORWARDED_URI="/chart/42",
    )
    assert response.status_code == 302
    assert response["Location"] == (
        "https://gate.valley.test/p/valley/login/?next=https%3A%2F%2Fehr.valley.test%2Fchart%2F42"
    )
    assert "no-store" in response["Cache-Control"]


def test_signed_in_is_200_with_who_and_where(client, office, member):
    through_the_pages(client, member, address=OFFICE_ADDRESS)
    response = verify(client)
    assert response.status_code == 200
    assert response["X-Auth-User"] == "nina"
    assert response["X-Auth-Practice"] == "valley"
    assert response["X-Auth-Zone"] == "office"
    assert "no-store" in response["Cache-Control"]
    assert "X-Auth-Reason" not in response


def test_a_post_is_asked_about_without_a_csrf_token(office, member):
    client = Client(enforce_csrf_checks=True)
    sign_in(client, member)
    response = client.post("/auth/verify", REMOTE_ADDR=OFFICE_ADDRESS)
    assert response.status_code == 200
    assert response["X-Auth-User"] == "nina"


def test_an_application_of_one_practice_admits_only_its_users(client, office, admin_user):
    other = UserFactory(practice=PracticeFactory(code="hill"), username="hank")
    sign_in(client, other)
    response = verify(client)
    assert response.status_code == 401
    assert response["X-Auth-Redirect"].startswith("https://gate.valley.test/p/valley/login/?next=")
    # A host open to any practice lets them through; the upstream reads X-Auth-Practice.
    response = verify(client, url=f"https://{FILES}/")
    assert response.status_code == 200
    assert response["X-Auth-Practice"] == "hill"
    # Support staff belong to no practice, and pass no application.
    staff = StaffFactory(username="support")
    sign_in(client, staff)
    assert verify(client, url=f"https://{FILES}/").status_code == 401


@pytest.mark.parametrize(
    "change, reason",
    [
        ("revoke", "remote-access"),
        ("lock", "locked"),
        ("login_times", "login-times"),
        ("sign_out", None),
    ],
)
def test_an_access_change_takes_effect_at_the_very_next_request(
    client, office, remote_member, admin_user, change, reason
):
    with time_machine.travel(datetime(2026, 1, 5, 15, tzinfo=UTC), tick=False):  # Mon 10:00 EST
        through_the_pages(client, remote_member, address=REMOTE)
        assert verify(client, address=REMOTE).status_code == 200
        remote_member.refresh_from_db()
        if change == "revoke":
            remote_access_revoke(user=remote_member, actor=admin_user)
        elif change == "lock":
            user_lock(user=remote_member, actor=admin_user)
        elif change == "login_times":
            login_windows_set(
                user=remote_member,
                actor=admin_user,
                restricted=True,
                windows={0: (time(7), time(9, 59))},
            )
        else:
            client.post("/logout/", REMOTE_ADDR=REMOTE)
        response = verify(client, address=REMOTE)
        if reason is None:
            assert response.status_code == 401
        else:
            assert_refused(response, reason)
        # The session is over: the next answer is "not signed in".
        assert verify(client, address=REMOTE).status_code == 401


def test_deactivating_ends_the_session_at_once_and_the_sign_in_page_says_why(
    client, office, member, admin_user
):
    through_the_pages(client, member, address=OFFICE_ADDRESS)
    user_deactivate(user=member, actor=admin_user)
    response = verify(client)
    assert response.status_code == 401
    page = client.get(response["X-Auth-Redirect"].removeprefix("https://gate.valley.test"))
    assert "your account is no longer active" in page.content.decode()


def test_a_user_the_guard_finds_inactive_is_refused_as_inactive(client, office, member):
    through_the_pages(client, member, address=OFFICE_ADDRESS)
    member.is_active = False  # as if by a path that left the session alone
    member.save()
    assert_refused(verify(client), "inactive")


def test_a_login_window_that_ends_while_signed_in(client, office, member, admin_user):
    login_windows_set(
        user=member, actor=admin_user, restricted=True, windows={0: (time(7), time(10))}
    )
    with time_machine.travel(datetime(2026, 1, 5, 14, 59, tzinfo=UTC), tick=False) as traveller:
        through_the_pages(client, member, address=OFFICE_ADDRESS)
        assert verify(client).status_code == 200
        traveller.shift(timedelta(minutes=1))  # 10:00 in New York: the window is over
        assert_refused(verify(client), "login-times")


def test_an_idle_session_is_expired(client, office, member):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        through_the_pages(client, member, address=OFFICE_ADDRESS)
        traveller.shift(timedelta(minutes=31))
        assert_refused(verify(client), "expired")


def test_an_office_session_taken_outside_needs_the_grant(client, office, member):
    through_the_pages(client, member, address=OFFICE_ADDRESS)
    assert_refused(verify(client, address=HOME), "remote-access")
    # The session ends, as on any page (accounts.zones): back at the office it is gone too.
    assert verify(client).status_code == 401
    assert UserSession.objects.get(user=member).end_reason == "outside_office"


def test_an_office_session_without_a_second_factor_is_refused_outside(
    client, office, member, admin_user
):
    member.pm_username = "nreyes"
    member.save()
    remote_access_grant(user=member, actor=admin_user)
    through_the_pages(client, member, address=OFFICE_ADDRESS)  # no second factor asked
    assert verify(client, address="127.0.0.2").status_code == 200  # another office address
    assert_refused(verify(client, address=HOME), "second-factor")
    assert verify(client, address="127.0.0.2").status_code == 401  # the session ended
    # Signing in again from outside asks for the code, and then it passes.
    app_device(member)
    through_the_pages(client, member, address=HOME)
    response = verify(client, address=HOME)
    assert response.status_code == 200
    assert response["X-Auth-Zone"] == "remote"


def test_a_practice_requiring_a_second_factor_everywhere_refuses_a_session_without_one(
    client, office, member
):
    through_the_pages(client, member, address=OFFICE_ADDRESS)
    practice = member.practice
    practice.two_factor_policy = "require"
    practice.save()
    assert_refused(verify(client), "second-factor")


def test_the_office_networks_are_read_from_the_practice_as_they_are_now(
    client, office, member, admin_user
):
    from practice.services import practice_settings_update

    through_the_pages(client, member, address=OFFICE_ADDRESS)
    practice_settings_update(
        practice=member.practice,
        actor=admin_user,
        values={},
        office_networks=["127.0.0.0/8", "10.20.0.0/16"],
    )
    assert verify(client, address="10.20.0.5").status_code == 200
    practice_settings_update(
        practice=member.practice, actor=admin_user, values={}, office_networks=["127.0.0.0/8"]
    )
    assert_refused(verify(client, address="10.20.0.5"), "remote-access")


def test_verify_costs_two_queries_and_no_hashing(
    client, office, remote_member, django_assert_num_queries, monkeypatch
):
    through_the_pages(client, remote_member, address=REMOTE)
    verify(client, address=REMOTE)  # the first request after the sign-in writes the activity

    def no_hashing(*args, **kwargs):
        raise AssertionError("/auth/verify hashed a password")

    monkeypatch.setattr(hashers, "get_hasher", no_hashing)
    monkeypatch.setattr(hashers, "identify_hasher", no_hashing)
    # The session, and the user with the practice: with a second factor, from outside, with
    # login windows, from an address the sign-in did not come from.
    with django_assert_num_queries(2):
        assert verify(client, address=REMOTE).status_code == 200
    login_windows_set(
        user=remote_member,
        actor=None,
        restricted=True,
        windows={day: (time(0), time(23, 59)) for day in range(7)},
    )
    with django_assert_num_queries(2):
        assert verify(client, address="203.0.113.77").status_code == 200


def test_the_reason_is_audited_like_any_ended_session(client, office, remote_member, admin_user):
    through_the_pages(client, remote_member, address=REMOTE)
    remote_access_revoke(user=remote_member, actor=admin_user)
    verify(client, address=REMOTE)
    event = AuditEvent.objects.get(action="sessions.ended", target=remote_member)
    assert event.details["reason"] == "remote_access"


# --- The refusal page ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reason, words",
    [
        ("remote-access", "ask your practice administrator to allow remote access"),
        ("login-times", "try again during your login times"),
        ("locked", "unlock"),
        ("inactive", "activate it again"),
        ("second-factor", "you will be asked for your code"),
        ("expired", "sign in again"),
    ],
)
def test_the_refusal_page_says_why_and_what_to_do_next(client, practice, reason, words):
    response = client.get("/auth/refused", {"reason": reason, "practice": "valley"})
    assert response.status_code == 403
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert words in page.lower()
    assert "Valley Pediatrics" in page
    assert 'href="/p/valley/login/"' in page
    assert ("Forgot your password?" in page) == (reason == "locked")


def test_the_refusal_page_without_a_known_reason_or_practice(client, practice):
    page = client.get("/auth/refused", {"reason": "<script>", "practice": "nowhere"})
    text = page.content.decode()
    assert "Access refused" in text and "your practice" in text
    assert "<script>" not in text
    assert 'href="/login/"' in text


def test_the_refusal_page_names_the_signed_in_users_practice(client, office, member):
    sign_in(client, member)
    page = client.get("/auth/refused", {"reason": "second-factor"}).content.decode()
    assert "Valley Pediatrics" in page
    assert "Sign out" in page


# --- Configuration -------------------------------------------------------------------------------


def test_a_gateway_host_that_would_not_get_the_cookie_is_a_warning(settings):
    settings.SITE_URL = "https://gate.example.org"
    settings.GATEWAY_ALLOWED_HOSTS = {"ehr.example.org": "valley", "ehr.elsewhere.net": ""}
    settings.SESSION_COOKIE_DOMAIN = None
    ids = [message.id for message in run_checks()]
    assert "accounts.W001" in ids
    settings.SESSION_COOKIE_DOMAIN = ".example.org"
    messages = [m for m in run_checks() if m.id == "accounts.W001"]
    assert len(messages) == 1 and "ehr.elsewhere.net" in messages[0].msg
    assert "ehr.example.org" not in messages[0].msg
    settings.GATEWAY_ALLOWED_HOSTS = {"ehr.example.org:8443": "valley"}
    assert not [m for m in run_checks() if m.id == "accounts.W001"]


PRINT = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.GATEWAY_ALLOWED_HOSTS, s.SESSION_COOKIE_DOMAIN, s.CSRF_COOKIE_DOMAIN]))"
)


def settings_from(**env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "SESSION_"))}
    clean.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="1", **env)
    return subprocess.run(  # noqa: S603 - our own interpreter, a fixed program
        [sys.executable, "-c", PRINT],
        capture_output=True,
        text=True,
        env=clean,
        cwd=Path(__file__).resolve().parents[2],
        timeout=60,
    )


def test_the_environment_names_the_hosts_their_practices_and_the_cookie_domain():
    result = settings_from(
        GATEWAY_ALLOWED_HOSTS=" EHR.Valley.example=Valley , files.example,ehr.hill.test:8443=hill",
        SESSION_COOKIE_DOMAIN=".valley.example",
    )
    assert json.loads(result.stdout) == [
        {"ehr.valley.example": "valley", "files.example": "", "ehr.hill.test:8443": "hill"},
        ".valley.example",
        None,
    ]
    assert json.loads(settings_from().stdout) == [{}, None, None]


@pytest.mark.parametrize(
    "value", ["https://ehr.example", "ehr.example/path", "ehr.example=", "a@b"]
)
def test_a_gateway_host_that_is_not_a_host_stops_the_start(value):
    result = settings_from(GATEWAY_ALLOWED_HOSTS=value)
    assert result.returncode != 0
    assert "GATEWAY_ALLOWED_HOSTS" in result.stderr


def test_a_new_browser_is_not_signed_in(practice):
    assert verify(Client()).status_code == 401
