"""The sign-in pipeline through the sign-in pages: credentials, practice, next, audit."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import get_hasher
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User, UserSession
from accounts.password_rules import MAX_PASSWORD_LENGTH
from accounts.sessions import AUTH_SESSION_KEY
from practice.models import AuditEvent
from tests.accounts.conftest import sign_in_post
from tests.factories import PASSWORD, PracticeFactory, StaffFactory, UserFactory
from tests.mfa.helpers import app_code, app_device

pytestmark = pytest.mark.django_db

INVALID = "invalid username or password"


def error_text(response) -> str:
    return response.content.decode().lower()


def test_right_password_signs_in_with_a_new_session_key_stamped_office(client, office, member):
    client.get(f"/p/{office.practice.code}/login/")
    before = client.session.session_key
    response = sign_in_post(client, office.practice, "nina", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    session = client.session
    assert session[SESSION_KEY] == str(member.pk)
    assert session.session_key != before
    assert session[AUTH_SESSION_KEY]["zone"] == "office"
    recorded = UserSession.objects.get(user=member)
    assert recorded.session_key == session.session_key
    assert recorded.zone == "office"
    event = AuditEvent.objects.get(action="signin.succeeded")
    assert event.target == member
    assert event.ip_address == "127.0.0.1"
    assert event.details["zone"] == "office"


def test_username_is_case_insensitive(client, office, member):
    response = sign_in_post(client, office.practice, "NINA", PASSWORD)
    assert client.session[SESSION_KEY] == str(member.pk)
    assert response.status_code == 302


@pytest.mark.parametrize(
    "username, password",
    [("nina", "Wrong-Horse-9!"), ("nobody", PASSWORD), ("", PASSWORD)],
)
def test_wrong_credentials_say_one_thing(client, office, member, username, password):
    response = sign_in_post(client, office.practice, username, password)
    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    if username:
        assert INVALID in error_text(response)


def test_inactive_user_with_right_password_gets_the_same_message(client, office, member):
    member.is_active = False
    member.save()
    response = sign_in_post(client, office.practice, "nina", PASSWORD)
    assert INVALID in error_text(response)
    assert SESSION_KEY not in client.session


def test_same_username_in_two_practices_signs_in_to_the_right_one(client, office, member):
    other = PracticeFactory(code="hill")
    UserFactory(practice=other, username="nina", password="Other-Practice-7!")
    sign_in_post(client, office.practice, "nina", "Other-Practice-7!")
    assert SESSION_KEY not in client.session
    sign_in_post(client, office.practice, "nina", PASSWORD)
    assert client.session[SESSION_KEY] == str(member.pk)


def test_general_login_asks_the_practice_code_and_remembers_it(client, office, member):
    page = client.get("/login/")
    assert b"Practice code" in page.content
    response = client.post(
        "/login/", {"practice_code": "VALLEY", "username": "nina", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(member.pk)
    assert response.cookies["practice_code"].value == "valley"
    assert response.cookies["practice_code"]["httponly"]
    client.post("/logout/")
    assert 'value="valley"' in client.get("/login/").content.decode()


def test_unknown_practice_code_is_refused_like_a_wrong_password(client, office, member):
    response = client.post(
        "/login/", {"practice_code": "nowhere", "username": "nina", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert INVALID in error_text(response)
    # The code is remembered all the same: the cookie must not tell which codes exist.
    assert response.cookies["practice_code"].value == "nowhere"


def test_unknown_practice_page_is_404(client):
    assert client.get("/p/nowhere/login/").status_code == 404


def test_practice_page_names_the_practice_from_day_one(client):
    practice = PracticeFactory(code="newclinic", name="New Clinic of Hope")
    page = client.get("/p/newclinic/login/").content.decode()
    assert "Sign in to New Clinic of Hope" in page
    assert "Practice code" not in page
    assert practice.pk


def test_the_hasher_runs_for_an_unknown_user(client, office, monkeypatch):
    hasher = get_hasher()
    calls = []
    original = type(hasher).encode

    def counting_encode(self, password, salt, *args, **kwargs):
        calls.append(password)
        return original(self, password, salt, *args, **kwargs)

    monkeypatch.setattr(type(hasher), "encode", counting_encode)
    sign_in_post(client, office.practice, "nobody", "Some-Password-1!")
    assert calls == ["Some-Password-1!"]


def test_a_password_over_4096_characters_is_refused_before_hashing(
    client, office, member, monkeypatch
):
    hasher = get_hasher()
    monkeypatch.setattr(
        type(hasher), "verify", lambda *a, **k: pytest.fail("the hasher must not run")
    )
    monkeypatch.setattr(
        type(hasher), "encode", lambda *a, **k: pytest.fail("the hasher must not run")
    )
    response = sign_in_post(client, office.practice, "nina", "x" * (MAX_PASSWORD_LENGTH + 1))
    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    member.refresh_from_db()
    assert member.failed_logins == 0


@pytest.mark.parametrize(
    "next_url, expected",
    [
        ("/console/", "/console/"),
        ("https://evil.example/", "/account/"),
        ("//evil.example/x", "/account/"),
        ("/\\evil.example", "/account/"),
    ],
)
def test_next_is_followed_only_to_our_own_site(client, office, member, next_url, expected):
    response = client.post(
        f"/p/valley/login/?next={next_url}", {"username": "nina", "password": PASSWORD}
    )
    assert response["Location"] == expected


def test_every_refusal_is_audited_with_address_and_user_agent(client, office, member):
    sign_in_post(client, office.practice, "nina", "Wrong-1!", HTTP_USER_AGENT="Test\r\nBrowser")
    sign_in_post(client, office.practice, "ghost", "Wrong-1!")
    events = list(AuditEvent.objects.filter(action="signin.failed").order_by("id"))
    assert [e.details["reason"] for e in events] == ["wrong_password", "unknown_user"]
    assert events[0].target == member
    assert events[0].ip_address == "127.0.0.1"
    assert events[0].user_agent == "Test  Browser"
    # The name as its length and keyed fingerprint, never the text (it may be a password).
    assert events[1].details["username_length"] == len("ghost")
    assert "ghost" not in str(events[1].details)
    assert events[1].practice == office.practice


def test_logout_is_post_only_and_ends_the_session(client, office, member):
    sign_in_post(client, office.practice, "nina", PASSWORD)
    assert client.get("/logout/").status_code == 405
    assert SESSION_KEY in client.session
    response = client.post("/logout/")
    assert response["Location"] == "/p/valley/login/"
    assert SESSION_KEY not in client.session
    assert UserSession.objects.get(user=member).end_reason == "signed_out"
    assert AuditEvent.objects.filter(action="signout", target=member).exists()


def test_support_staff_sign_in_on_the_admin_login_page_with_a_second_factor(client):
    staff = StaffFactory(username="support")
    device = app_device(staff)
    page = client.get("/admin/login/?next=/admin/")
    assert b"Support sign-in" in page.content
    assert b"Practice code" not in page.content
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "SUPPORT", "password": PASSWORD}
    )
    # Support staff always need their second factor.
    assert response["Location"] == "/login/verify/"
    assert SESSION_KEY not in client.session
    response = client.post("/login/verify/", {"code": app_code(device)})
    assert response["Location"] == "/admin/"
    assert client.session[SESSION_KEY] == str(staff.pk)
    assert client.session[AUTH_SESSION_KEY]["zone"] == "remote"
    assert client.get("/admin/").status_code == 200


def test_a_practice_user_cannot_sign_in_as_staff(client, office, member):
    client.post("/admin/login/", {"username": "nina", "password": PASSWORD})
    assert SESSION_KEY not in client.session


def test_one_session_per_user_ends_the_older_session(client, office, member, django_user_model):
    from django.test import Client

    practice = office.practice
    practice.one_session_per_user = True
    practice.save()
    first = Client()
    sign_in_post(first, practice, "nina", PASSWORD)
    sign_in_post(client, practice, "nina", PASSWORD)
    assert UserSession.objects.filter(user=member, ended_at__isnull=True).count() == 1
    response = first.get("/", follow=True)
    assert SESSION_KEY not in first.session
    assert "signed in somewhere else" in response.content.decode()
    assert SESSION_KEY in client.session


def test_django_authenticate_cannot_bypass_the_pipeline(office, member):
    from django.contrib.auth import authenticate

    assert authenticate(username="nina", password=PASSWORD) is None


def test_a_megabyte_password_gets_a_clean_refusal(client, office, member):
    response = sign_in_post(client, office.practice, "nina", "p" * 1_000_000)
    assert response.status_code == 200
    assert "at most 4096 characters" in response.content.decode()
    member.refresh_from_db()
    assert member.failed_logins == 0


def test_a_sign_in_costs_at_most_twelve_statements_with_its_transaction(client, office, member):
    """The password step of a sign-in that needs nothing more: read the practice (its office
    networks ride on its row), the user, reserve the attempt, ask whether they have a second
    factor; then one transaction (last sign-in and failure count, the session's record, the
    audit event) and the session row, written once. Inside the test's own transaction Django
    marks each inner transaction with a SAVEPOINT and a RELEASE, where a request outside one
    has BEGIN and COMMIT: counted alike, the sign-in may issue at most 12 statements in all."""
    client.get("/p/valley/login/")
    with CaptureQueriesContext(connection) as captured:
        response = sign_in_post(client, office.practice, "nina", PASSWORD)
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(member.pk)
    statements = [q["sql"] for q in captured.captured_queries]
    transaction_control = [s for s in statements if "SAVEPOINT" in s]
    work = [s for s in statements if "SAVEPOINT" not in s]
    assert len(work) == 8, work
    assert not any("practice_officenetwork" in s for s in work)
    # The session row is one INSERT; on its own (outside a test) it needs no transaction.
    assert len(work) + len(transaction_control) - 2 <= 12


def test_the_sign_in_finds_the_user_through_the_username_index(client, office, member):
    """Every sign-in looks the user up by username in any case. It must compare as the unique
    constraint's index does, lower(username): compared with UPPER() (what `iexact` sends to
    PostgreSQL) the database reads every user of the practice, 7 ms a sign-in at 10,000."""
    # A practice of 2,000 users, with statistics: on a handful of rows any plan is as cheap
    # as any other, and the planner's choice would say nothing.
    User.objects.bulk_create(
        User(
            practice=office.practice,
            username=f"colleague{i}",
            email=f"colleague{i}@example.com",
            role=member.role,
            practice_role=member.practice_role,
            password=member.password,
        )
        for i in range(2000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_user")
    with CaptureQueriesContext(connection) as captured:
        sign_in_post(client, office.practice, "NINA", PASSWORD)
    assert client.session[SESSION_KEY] == str(member.pk)
    lookup = next(q["sql"] for q in captured.captured_queries if 'FROM "accounts_user"' in q["sql"])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN {lookup}")
            plan = " ".join(row[0] for row in cursor.fetchall())
            # The username is an index condition, not a filter applied to every row read.
            assert "Index Cond: ((practice_id = " in plan, plan
            assert "lower((username)::text) = 'nina'::text))" in plan, plan
            assert "Filter" not in plan, plan
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {lookup}")
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "USING INDEX user_username_ci_unique_in_practice" in plan, plan
