"""The whole round trip through a real proxy with the documented configuration.

An anonymous request lands on the practice's sign-in page and, after a sign-in with a second
factor, back on the page it asked for; a remote user without the grant is refused with the
reason; with it the application answers and sees who; after an administrator removes the grant
the next request is refused; after "Sign out" the next request goes to the sign-in page; a host
not in GATEWAY_ALLOWED_HOSTS is never a destination.
"""

import html
import re
from urllib.parse import quote, urljoin

import pytest
import requests

from accounts.remote_access import remote_access_grant, remote_access_revoke
from mfa.models import AuthenticatorApp
from tests.factories import (
    PASSWORD,
    AdminFactory,
    OfficeNetworkFactory,
    PracticeFactory,
    UserFactory,
)
from tests.gateway.conftest import EHR, GATE
from tests.mfa.helpers import app_code, app_device

pytestmark = pytest.mark.django_db(transaction=True)

OFFICE_CLIENT = "198.51.100.7"  # inside the practice's office network (below)
HOME_CLIENT = "203.0.113.9"


class Browser:
    """A browser that shows each redirect (requests follows none by itself here)."""

    def __init__(self, gateway):
        self.gateway = gateway
        self.session = requests.Session()
        # Per request: a session's own `verify` loses to REQUESTS_CA_BUNDLE in the environment.
        self.verify = str(gateway.cert)
        self.headers = {}

    def get(self, url, **headers):
        return self.session.get(
            url,
            headers={**self.headers, **headers},
            allow_redirects=False,
            timeout=20,
            verify=self.verify,
        )

    def post(self, url, data, **headers):
        origin = self.gateway.site
        headers = {**self.headers, "Origin": origin, "Referer": url, **headers}
        return self.session.post(
            url, data=data, headers=headers, allow_redirects=False, timeout=20, verify=self.verify
        )

    def form_token(self, response) -> str:
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)
        assert match, response.text[:500]
        return match.group(1)

    def sign_in(self, login_url, user, device, *, expect_code=True):
        """Fill in the sign-in page at `login_url` (and the code step); the last response."""
        page = self.get(login_url)
        assert page.status_code == 200, page.status_code
        data = {"csrfmiddlewaretoken": self.form_token(page), "username": user.username}
        data["password"] = PASSWORD
        next_field = re.search(r'name="next" value="([^"]*)"', page.text)
        if next_field:
            data["next"] = html.unescape(next_field.group(1))
        response = self.post(login_url, data)
        if response.status_code != 302:
            return response
        location = urljoin(login_url, response.headers["Location"])
        if location.endswith("/login/verify/") and expect_code:
            # Each code is good once: as if the phone showed the next one.
            AuthenticatorApp.objects.filter(pk=device.pk).update(last_t=-1)
            step = self.get(location)
            data = {"csrfmiddlewaretoken": self.form_token(step), "code": app_code(device)}
            response = self.post(location, data)
        return response

    def sign_out(self):
        page = self.get(f"{self.gateway.site}/account/")
        assert page.status_code == 200
        response = self.post(
            f"{self.gateway.site}/logout/", {"csrfmiddlewaretoken": self.form_token(page)}
        )
        assert response.status_code == 302


@pytest.fixture
def clinic(db):
    practice = PracticeFactory(code="valley", name="Valley Pediatrics")
    # 127.0.0.1, where the test's browser is, is outside the office: it signs in remotely.
    OfficeNetworkFactory(practice=practice, cidr="198.51.100.0/24")
    admin = AdminFactory(practice=practice, username="avery")
    nina = UserFactory(practice=practice, username="nina", pm_username="nreyes")
    return admin, nina, app_device(nina)


def signin_redirect(gateway, wanted: str) -> str:
    return f"{gateway.site}/p/valley/login/?next={quote(wanted, safe='')}"


def test_the_round_trip_through_the_documented_proxy(gateway, clinic):
    admin, nina, device = clinic
    browser = Browser(gateway)
    wanted = f"{gateway.app}/chart/42?tab=notes"

    # Not signed in: the practice's sign-in page, with the way back.
    response = browser.get(wanted)
    assert response.status_code == 302
    assert response.headers["Location"] == signin_redirect(gateway, wanted)

    # From outside the office without the grant: refused, and told why.
    refused = browser.sign_in(response.headers["Location"], nina, device)
    assert refused.status_code == 200
    assert "remote access" in refused.text.lower()
    assert browser.get(wanted).status_code == 302

    # With the grant: the second factor, then back to the page first asked for.
    remote_access_grant(user=nina, actor=admin)
    response = browser.sign_in(browser.get(wanted).headers["Location"], nina, device)
    assert response.status_code == 302
    assert response.headers["Location"] == wanted
    answer = browser.get(wanted, **{"X-Auth-User": "avery"})
    assert answer.status_code == 200
    seen = answer.json()
    assert seen["path"] == "/chart/42?tab=notes"
    assert seen["headers"]["X-Auth-User"] == "nina"  # never what the client sent
    assert seen["headers"]["X-Auth-Practice"] == "valley"
    assert seen["headers"]["X-Auth-Zone"] == "remote"
    # A form posted to the application is asked about too (nginx asks with the POST method).
    posted = browser.session.post(
        wanted, data={"note": "x"}, allow_redirects=False, timeout=20, verify=browser.verify
    )
    assert posted.status_code == 200
    assert posted.json()["headers"]["X-Auth-User"] == "nina"

    # An administrator removes the grant: the very next request is refused, with the reason.
    remote_access_revoke(user=nina, actor=admin)
    response = browser.get(wanted)
    assert response.status_code == 302
    assert response.headers["Location"] == (
        f"{gateway.site}/auth/refused?reason=remote-access&practice=valley"
    )
    page = browser.get(response.headers["Location"])
    assert page.status_code == 403
    assert "Remote access is not allowed" in page.text and "Valley Pediatrics" in page.text
    # That session is over.
    assert browser.get(wanted).headers["Location"] == signin_redirect(gateway, wanted)

    # Signed in again, then "Sign out": the next request goes to the sign-in page.
    remote_access_grant(user=nina, actor=admin)
    response = browser.sign_in(browser.get(wanted).headers["Location"], nina, device)
    assert response.headers["Location"] == wanted
    assert browser.get(wanted).status_code == 200
    browser.sign_out()
    response = browser.get(wanted)
    assert response.status_code == 302
    assert response.headers["Location"] == signin_redirect(gateway, wanted)


@pytest.mark.parametrize(
    "elsewhere",
    [
        "https://evil.valley.test/",
        f"https://{EHR}:1/",  # the right name, another port: another origin
        f"https://nina@{GATE}.evil.test/",
        "//evil.valley.test/",
    ],
)
def test_a_host_not_listed_is_never_a_destination(gateway, clinic, elsewhere):
    admin, nina, device = clinic
    remote_access_grant(user=nina, actor=admin)
    browser = Browser(gateway)
    login = f"{gateway.site}/p/valley/login/?next={quote(elsewhere, safe='')}"
    response = browser.sign_in(login, nina, device)
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/"


def test_an_office_session_taken_outside_is_refused_and_ended_there(gateway, clinic):
    """nginx passes the client's address on to PracticeGate (X-Forwarded-For, TRUSTED_PROXIES).

    Here the browser's own address, 127.0.0.1, is the proxy's, so the address it writes in
    X-Forwarded-For is believed: a way to be in the office and at home from one machine.
    Caddy and Traefik replace what a client writes there, so only nginx can be asked this.
    """
    if gateway.name != "nginx":
        pytest.skip("needs a proxy that keeps the client's X-Forwarded-For")
    admin, nina, device = clinic
    browser = Browser(gateway)
    wanted = f"{gateway.app}/"
    browser.headers = {"X-Forwarded-For": OFFICE_CLIENT}
    response = browser.sign_in(browser.get(wanted).headers["Location"], nina, device)
    assert response.headers["Location"] == wanted
    seen = browser.get(wanted).json()["headers"]
    assert seen["X-Auth-Zone"] == "office"
    # The same session from outside, without the grant: refused there, with the reason.
    browser.headers = {"X-Forwarded-For": HOME_CLIENT}
    response = browser.get(wanted)
    assert response.headers["Location"] == (
        f"{gateway.site}/auth/refused?reason=remote-access&practice=valley"
    )
    # And ended, as on any page of PracticeGate's: back in the office it signs in again.
    browser.headers = {"X-Forwarded-For": OFFICE_CLIENT}
    response = browser.get(wanted)
    assert response.headers["Location"].startswith(f"{gateway.site}/p/valley/login/?next=")
