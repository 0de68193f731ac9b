"""Authenticator apps: RFC 6238, replay, the one-step-back window, and the setup a phone does."""

import html as html_module
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from mfa.models import AuthenticatorApp
from practice.models import AuditEvent
from tests.mfa.helpers import app_code, app_device, reauth
from tests.mfa.qr import qr_text_from_page
from tests.signin_helpers import sign_in

pytestmark = pytest.mark.django_db

RFC_KEY_HEX = b"12345678901234567890".hex()


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.mark.parametrize(
    "unix_time, code",
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_rfc_6238_test_vectors(member, unix_time, code):
    """RFC 6238 appendix B (SHA-1), with the RFC's 8 digits."""
    device = AuthenticatorApp.objects.create(
        user=member, name="RFC", key=RFC_KEY_HEX, digits=8, step=30
    )
    with time_machine.travel(datetime.fromtimestamp(unix_time, tz=UTC), tick=False):
        assert device.verify_token("00000000") is False
        device.throttle_reset()
        assert device.verify_token(code) is True


def test_a_code_is_accepted_once(member, clock):
    device = app_device(member)
    code = app_code(device)
    assert device.verify_token(code) is True
    assert device.verify_token(code) is False
    # Not even the previous step's code, now that a later one was used.
    assert device.verify_token(app_code(device, steps=-1)) is False


def test_one_step_back_is_accepted_but_not_two_and_never_ahead(member, clock):
    device = app_device(member)
    assert device.verify_token(app_code(device, steps=-2)) is False
    clock.shift(timedelta(seconds=2))
    assert device.verify_token(app_code(device, steps=1)) is False
    clock.shift(timedelta(seconds=3))
    assert device.verify_token(app_code(device, steps=-1)) is True


def test_the_window_does_not_drift(member, clock):
    """django-otp's own check would move its window after an old code; ours stays put."""
    device = app_device(member)
    assert device.verify_token(app_code(device, steps=-1)) is True
    clock.shift(timedelta(seconds=30))
    assert device.verify_token(app_code(device, steps=-2)) is False
    clock.shift(timedelta(seconds=2))
    assert device.verify_token(app_code(device)) is True


def test_wrong_codes_slow_down(member, clock):
    device = app_device(member)
    assert device.verify_token("123456") is False
    # One second of back-off: even the right code waits.
    assert device.verify_token(app_code(device)) is False
    clock.shift(timedelta(seconds=1, milliseconds=1))
    assert device.verify_token(app_code(device)) is True


def signed_in(client, user):
    sign_in(client, user)
    reauth(client)


def test_adding_an_app_as_a_phone_does_it(client, member, practice):
    signed_in(client, member)
    page = client.get("/account/security/")
    assert "Add authenticator app" in page.content.decode()

    page = client.get("/account/security/app/add/")
    html = page.content.decode()
    assert "Title for authenticator" in html
    assert 'alt="QR code"' in html
    assert "Verification code" in html
    assert ">Verify</button>" in html
    # The key for typing by hand, in groups of four.
    key = re.search(r'<code class="secret"[^>]*>([A-Z2-7 ]+)</code>', html).group(1)
    assert re.fullmatch(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", key)
    # The title defaults to the practice's name.
    assert 'value="Valley Pediatrics"' in html

    # What the phone reads from the screen.
    uri = qr_text_from_page(html)
    parsed = urlparse(uri)
    assert parsed.scheme == "otpauth" and parsed.netloc == "totp"
    assert parsed.path == "/Valley%20Pediatrics:nina"
    query = parse_qs(parsed.query)
    assert query["issuer"] == ["Valley Pediatrics"]
    assert query["secret"] == [key.replace(" ", "")]
    assert query["digits"] == ["6"] and query["period"] == ["30"]
    totp = pyotp.parse_uri(uri)

    mail.outbox.clear()
    response = client.post(
        "/account/security/app/add/", {"title": "Valley Pediatrics", "code": totp.now()}
    )
    # A first factor: on to create recovery codes.
    assert response["Location"] == "/account/security/recovery-codes/"
    device = AuthenticatorApp.objects.get(user=member)
    assert device.confirmed
    assert device.name == "Valley Pediatrics"
    (notice,) = mail.outbox
    assert notice.to == [member.email]
    assert "was added" in notice.subject
    assert key.replace(" ", "") not in notice.body
    assert AuditEvent.objects.filter(action="mfa.device_added", target=member).exists()
    assert "Valley Pediatrics" in client.get("/account/security/").content.decode()


def otpauth_link(html: str) -> str:
    """The href of the page's "Open in authenticator app" link, as a browser would read it."""
    match = re.search(r'<a [^>]*href="(otpauth://[^"]+)"[^>]*>Open in authenticator app</a>', html)
    assert match, "no Open in authenticator app link"
    return html_module.unescape(match.group(1))


def test_the_page_links_the_same_secret_for_setting_up_on_the_phone_itself(client, member):
    signed_in(client, member)
    html = client.get("/account/security/app/add/").content.decode()
    link = otpauth_link(html)
    # The link holds exactly what the QR code holds: a phone opens it in its authenticator app.
    assert link == qr_text_from_page(html)
    assert pyotp.parse_uri(link).issuer == "Valley Pediatrics"
    client.post("/account/security/app/add/", {"title": "Login OfficeEMR", "update_title": "1"})
    html = client.get("/account/security/app/add/").content.decode()
    assert otpauth_link(html) == qr_text_from_page(html)
    assert pyotp.parse_uri(otpauth_link(html)).issuer == "Login OfficeEMR"


def test_the_title_goes_into_the_qr_code(client, member):
    signed_in(client, member)
    client.get("/account/security/app/add/")
    response = client.post(
        "/account/security/app/add/", {"title": "Login OfficeEMR", "update_title": "1"}
    )
    assert response["Location"] == "/account/security/app/add/"
    uri = qr_text_from_page(client.get("/account/security/app/add/").content.decode())
    assert urlparse(uri).path == "/Login%20OfficeEMR:nina"
    assert parse_qs(urlparse(uri).query)["issuer"] == ["Login OfficeEMR"]


def test_reloading_the_setup_page_keeps_the_same_secret(client, member):
    signed_in(client, member)
    first = qr_text_from_page(client.get("/account/security/app/add/").content.decode())
    second = qr_text_from_page(client.get("/account/security/app/add/").content.decode())
    assert first == second


def test_a_wrong_setup_code_changes_nothing(client, member):
    signed_in(client, member)
    client.get("/account/security/app/add/")
    response = client.post(
        "/account/security/app/add/", {"title": "Valley Pediatrics", "code": "000000"}
    )
    assert "invalid code" in response.content.decode().lower()
    assert not AuthenticatorApp.objects.filter(user=member, confirmed=True).exists()
    member.refresh_from_db()
    assert member.failed_logins == 0
