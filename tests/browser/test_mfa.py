"""Two-factor authentication in real Chromium: an authenticator app read off the screen, and a
passkey in Chromium's virtual authenticator (DevTools WebAuthn domain)."""

import io
import time

import pyotp
import pytest
import time_machine
import zxingcpp
from django_otp_webauthn.models import WebAuthnCredential
from PIL import Image
from playwright.sync_api import expect

from mfa.models import AuthenticatorApp
from practice.models import AuditEvent
from tests.factories import PASSWORD, OfficeNetworkFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def office(practice):
    return OfficeNetworkFactory(practice=practice, cidr="127.0.0.0/8")


def sign_in_with_password(page, live_server):
    page.goto(f"{live_server.url}/p/valley/login/")
    page.get_by_label("Username").fill("nina")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def read_qr_from_screen(page) -> str:
    image = page.get_by_role("img", name="QR code")
    expect(image).to_be_visible()
    png = image.screenshot()
    (barcode,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return barcode.text


def test_enroll_an_authenticator_app_from_the_screen_then_sign_in_with_it(
    live_server, page, office, member
):
    sign_in_with_password(page, live_server)
    page.wait_for_url("**/account/")
    page.get_by_role("link", name="Two-factor authentication").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.get_by_role("link", name="Add authenticator app").click()
    # Just signed in: the password typed then counts as recent, so it is not asked again.

    expect(page.get_by_label("Title for authenticator")).to_have_value("Valley Pediatrics")
    uri = read_qr_from_screen(page)
    phone = pyotp.parse_uri(uri)
    assert phone.issuer == "Valley Pediatrics"
    # On the phone itself, the same account is one tap away.
    link = page.get_by_role("link", name="Open in authenticator app")
    expect(link).to_have_attribute("href", uri)
    page.get_by_label("Verification code").fill(phone.now())
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("Your authenticator app is set up")).to_be_visible()
    assert AuthenticatorApp.objects.get(user=member).confirmed

    page.get_by_role("button", name="Sign out").click()
    # Half a minute later (the setup's code is spent: each code works once).
    with time_machine.travel(time.time() + 30, tick=True):
        sign_in_with_password(page, live_server)
        expect(page.get_by_label("Verification code")).to_be_visible()
        page.get_by_label("Verification code").fill("000000")
        page.get_by_role("button", name="Verify").click()
        expect(page.get_by_text("Invalid code")).to_be_visible()
        time.sleep(1.1)  # django-otp's one-second back-off after a wrong code
        page.get_by_label("Verification code").fill(phone.at(time.time()))
        page.get_by_role("button", name="Verify").click()
        page.wait_for_url("**/account/")
    page.goto(f"{live_server.url}/account/security/")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    signed_in = AuditEvent.objects.filter(action="signin.succeeded", target=member).first()
    assert signed_in.details["second_factor"] == "app"


def add_virtual_authenticator(page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp


def test_register_a_passkey_then_sign_in_with_it(live_server, page, office, member, settings):
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    add_virtual_authenticator(page)
    sign_in_with_password(page, live_server)
    page.wait_for_url("**/account/")
    page.goto(f"{live_server.url}/account/security/")
    page.get_by_role("link", name="Add a security key or passkey").click()
    page.get_by_role("button", name="Add security key or passkey").click()
    expect(page.get_by_text("Your passkey is set up")).to_be_visible()
    assert WebAuthnCredential.objects.filter(user=member, confirmed=True).count() == 1

    page.get_by_role("button", name="Sign out").click()
    sign_in_with_password(page, live_server)
    page.get_by_role("button", name="Use security key or passkey").click()
    page.wait_for_url("**/account/")
    page.goto(f"{live_server.url}/account/security/")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    signed_in = AuditEvent.objects.filter(action="signin.succeeded", target=member).first()
    assert signed_in.details["second_factor"] == "key"
