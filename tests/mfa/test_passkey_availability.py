"""Issue 17, item 6: security keys and passkeys are offered only where WebAuthn can work (a
secure context on the relying party's host name), and the page says why otherwise."""

import pytest
from django.test import RequestFactory
from django_otp_webauthn.models import WebAuthnCredential

from mfa.webauthn.availability import passkey_unavailable_reason
from tests.mfa.helpers import app_device, reauth
from tests.mfa.test_signin_stage import sign_in as sign_in_post
from tests.signin_helpers import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def dev_relying_party(settings):
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = ["http://localhost:8000"]


def reason(host: str, *, secure: bool = False) -> str:
    request = RequestFactory().get("/", HTTP_HOST=host, secure=secure)
    return passkey_unavailable_reason(request)


@pytest.mark.parametrize("host", ["localhost:8000", "localhost", "app.localhost:8000"])
def test_localhost_works_over_http(host, settings):
    settings.ALLOWED_HOSTS = ["localhost", "app.localhost"]
    assert reason(host) == ""


def test_an_address_cannot_be_a_relying_party(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "[::1]"]
    said = reason("127.0.0.1:8000")
    assert "not a number such as 127.0.0.1" in said
    assert "Open http://localhost:8000/ to use one." in said
    assert "::1" in reason("[::1]:8000")


def test_a_name_needs_https_and_the_relying_partys_name(settings):
    settings.ALLOWED_HOSTS = ["gate.example.org", "other.example.com"]
    settings.OTP_WEBAUTHN_RP_ID = "gate.example.org"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = ["https://gate.example.org"]
    assert "secure (https)" in reason("gate.example.org")
    assert reason("gate.example.org", secure=True) == ""
    assert "set up for gate.example.org, not other.example.com" in reason(
        "other.example.com", secure=True
    )


def test_my_account_offers_a_key_on_localhost_and_says_why_not_on_an_address(client, member):
    sign_in(client, member)
    reauth(client)
    here = client.get("/account/security/", HTTP_HOST="localhost:8000").content.decode()
    assert "Add a security key or passkey" in here
    there = client.get("/account/security/", HTTP_HOST="127.0.0.1:8000").content.decode()
    assert "Add a security key or passkey" not in there
    assert "not a number such as 127.0.0.1" in there
    page = client.get("/account/security/key/add/", HTTP_HOST="127.0.0.1:8000")
    html = page.content.decode()
    assert "Add security key or passkey</button>" not in html
    assert "not a number such as 127.0.0.1" in html


def test_the_sign_in_does_not_offer_a_key_that_cannot_work_here(client, office, member):
    app_device(member)
    WebAuthnCredential.objects.create(
        user=member,
        name="YubiKey",
        confirmed=True,
        credential_id=b"k1",
        public_key=b"p",
        sign_count=0,
    )
    sign_in_post(client, office.practice, HTTP_HOST="127.0.0.1:8000")
    html = client.get("/login/verify/", HTTP_HOST="127.0.0.1:8000").content.decode()
    assert "Security key or passkey</button>" not in html
    assert "Your security key or passkey cannot be used here." in html
    html = client.get("/login/verify/", HTTP_HOST="localhost:8000").content.decode()
    assert "Security key or passkey</button>" in html
