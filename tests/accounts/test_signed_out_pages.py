"""Issue 17, item 5: a browser whose session ended lands on its practice's own sign-in page,
with the reason; the forgot-password pages carry the practice's name from its page."""

import time

import pytest
from django.test import Client

from accounts.sessions import ACTIVITY_SESSION_KEY, sessions_end
from mfa.pairing import pairing_reset
from practice.vocabulary import SessionEndReason
from tests.factories import PracticeFactory
from tests.mfa.helpers import app_device, reauth
from tests.signin_helpers import sign_in, signed_in_client

pytestmark = pytest.mark.django_db


def landing(response) -> str:
    return response.content.decode()


def test_sign_out_all_other_sessions_sends_the_others_to_the_practices_page(client, member):
    sign_in(client, member)
    reauth(client)
    other = signed_in_client(member)
    client.post("/account/sessions/sign-out-others/")
    response = other.get("/account/")
    assert response.status_code == 302
    assert response["Location"] == "/p/valley/login/?next=/account/"
    page = other.get(response["Location"])
    assert "This session was signed out from another session." in landing(page)
    assert 'name="practice_code"' not in landing(page)


def test_a_pairing_reset_by_an_administrator_says_so_on_the_practices_page(
    client, member, admin_user
):
    app_device(member)
    sign_in(client, member)
    pairing_reset(user=member, actor=admin_user)
    response = client.get("/account/", follow=True)
    assert response.redirect_chain[-1][0] == "/p/valley/login/?next=/account/"
    assert "your two-factor authentication was reset" in landing(response)
    assert "Your session has ended." not in landing(response)


def test_an_ended_session_going_home_lands_on_the_practices_page(client, member):
    sign_in(client, member)
    sessions_end(user=member, reason=SessionEndReason.ADMINISTRATOR)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/p/valley/login/"
    assert "You were signed out by your practice administrator." in landing(response)


def test_an_idle_sign_out_lands_on_the_practices_page_with_the_reason(client, member):
    sign_in(client, member)
    session = client.session
    session[ACTIVITY_SESSION_KEY] = time.time() - 31 * 60
    session.save()
    response = client.get("/account/", follow=True)
    assert response.redirect_chain[0][0] == "/p/valley/login/?next=%2Faccount%2F"
    assert "after 30 minutes without activity" in landing(response)


def test_a_browser_that_never_signed_in_still_gets_the_general_page(client):
    response = client.get("/account/")
    assert response["Location"] == "/login/?next=/account/"


def test_the_gateway_sends_an_ended_session_to_its_practices_page(client, member, settings):
    settings.SITE_URL = "https://gate.valley.test"
    settings.GATEWAY_ALLOWED_HOSTS = {"files.example.test": ""}
    sign_in(client, member)
    sessions_end(user=member, reason=SessionEndReason.ADMINISTRATOR)
    response = client.get("/auth/verify", HTTP_X_ORIGINAL_URL="https://files.example.test/a")
    assert response.status_code == 401
    assert response["X-Auth-Redirect"] == (
        "https://gate.valley.test/p/valley/login/?next=https%3A%2F%2Ffiles.example.test%2Fa"
    )


def test_the_forgot_password_pages_carry_the_practice_from_its_page(practice):
    browser = Client()
    login = browser.get("/p/valley/login/").content.decode()
    assert 'href="/password-reset/?practice=valley"' in login
    page = browser.get("/password-reset/?practice=valley").content.decode()
    assert "Enter your username or email address at Valley Pediatrics." in page
    assert 'value="valley"' in page
    assert 'href="/p/valley/login/">Back to sign in to Valley Pediatrics' in page
    response = browser.post(
        "/password-reset/?practice=valley",
        {"practice_code": "valley", "identifier": "nobody"},
        follow=True,
    )
    sent = response.content.decode()
    assert response.redirect_chain[-1][0] == "/password-reset/sent/?practice=valley"
    assert "Valley Pediatrics" in sent
    assert 'href="/p/valley/login/">Back to sign in to Valley Pediatrics' in sent


def test_the_sent_page_never_names_a_practice_typed_in_the_form(practice):
    PracticeFactory(code="harbor", name="Harbor Dental")
    response = Client().post(
        "/password-reset/", {"practice_code": "harbor", "identifier": "x"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/password-reset/sent/"
    assert "Harbor Dental" not in response.content.decode()


def test_the_gateways_refusal_page_offers_the_practices_sign_in(client, member):
    sign_in(client, member)
    sessions_end(user=member, reason=SessionEndReason.ADMINISTRATOR)
    page = client.get("/auth/refused?reason=expired").content.decode()
    assert 'href="/p/valley/login/"' in page
    assert "Valley Pediatrics" in page
