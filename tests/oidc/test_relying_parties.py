"""End to end, with relying parties nobody here wrote, against PracticeGate served for real
(pytest-django's live server, on SQLite or PostgreSQL as the suite runs):

- authlib's OAuth 2.0 client: the code flow with PKCE (S256) and a nonce, its tokens and a
  refresh; the ID token checked as authlib checks it (signature against the published JWKS,
  issuer, audience, nonce, at_hash);
- mozilla-django-oidc, in a small Django application of its own (tests/oidc/rp/) served by its
  own server in its own process: a browser goes to the application, signs in on the practice's
  page, and comes back signed in, as the user PracticeGate said.

The browser is a requests session that keeps cookies per host (PracticeGate on localhost, the
application on 127.0.0.1).
"""

import re
from html import unescape
from urllib.parse import urljoin

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.factories import OfficeNetworkFactory, PracticeFactory, UserFactory
from tests.oidc.helpers import make_application
from tests.oidc.receiver import Receiver, logout_claims
from tests.oidc.rp.server import relying_party_served

pytestmark = pytest.mark.django_db(transaction=True)

CALLBACK = "http://127.0.0.1:9/callback"  # never reached: the browser's redirect is read
PASSWORD = "Correct-Horse-9!"


@pytest.fixture
def issuer(live_server, settings):
    """PracticeGate's public origin is the live server's."""
    settings.SITE_URL = live_server.url
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "OIDC_ISS_ENDPOINT": f"{live_server.url}/o",
    }
    return f"{live_server.url}/o"


@pytest.fixture(autouse=True)
def closed_at_the_end(monkeypatch):
    """Every HTTP session a test opens is closed when it ends: a kept-alive connection keeps
    its live-server thread, and that thread's database connection, open past the test (and
    PostgreSQL then refuses to drop the test database)."""
    opened = []
    original = requests.Session.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        opened.append(self)

    monkeypatch.setattr(requests.Session, "__init__", init)
    yield
    for session in opened:
        session.close()


@pytest.fixture
def valley(db):
    practice = PracticeFactory(code="valley", name="Valley Pediatrics")
    OfficeNetworkFactory(practice=practice, cidr="127.0.0.0/8")
    UserFactory(practice=practice, username="nina", first_name="Nina", last_name="Reyes")
    return practice


def csrf_of(page: requests.Response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def sign_in_on_practice_page(browser: requests.Session, base: str, login_path: str) -> str:
    """The user types their name and password on the practice's sign-in page; returns where
    the page sends the browser next."""
    url = urljoin(base, login_path)
    page = browser.get(url)
    assert page.status_code == 200 and 'name="username"' in page.text
    response = browser.post(
        url,
        data={"csrfmiddlewaretoken": csrf_of(page), "username": "nina", "password": PASSWORD},
        headers={"Referer": url},
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:500]
    return urljoin(base, response.headers["Location"])


def redirected(browser: requests.Session, url: str) -> str:
    response = browser.get(url, allow_redirects=False)
    assert response.status_code == 302, response.status_code
    return urljoin(url, response.headers["Location"])


def id_token_claims(issuer: str, token: dict, *, client_id: str, nonce: str) -> CodeIDToken:
    """The ID token, checked as authlib checks one (signature, iss, aud, exp, nonce, at_hash)."""
    keys = KeySet.import_key_set(requests.get(f"{issuer}/.well-known/jwks.json", timeout=10).json())
    decoded = jwt.decode(token["id_token"], keys, algorithms=["RS256"])
    claims = CodeIDToken(
        decoded.claims,
        decoded.header,
        options={
            "iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "value": client_id},
        },
        params={"nonce": nonce, "client_id": client_id, "access_token": token["access_token"]},
    )
    claims.validate()
    return claims


def authlib_sign_in(issuer, live_server, registered, *, public=False):
    """authlib's client through the whole flow; returns (session, token, claims)."""
    client = OAuth2Session(
        registered.application.client_id,
        None if public else registered.secret,
        scope="openid profile email",
        redirect_uri=CALLBACK,
        code_challenge_method="S256",
        token_endpoint_auth_method="none" if public else "client_secret_basic",
    )
    verifier, nonce = generate_token(48), generate_token(20)
    url, _state = client.create_authorization_url(
        f"{issuer}/authorize/", nonce=nonce, code_verifier=verifier
    )
    browser = requests.Session()
    login = redirected(browser, url)
    assert login.startswith(f"{live_server.url}/p/valley/login/?next=")
    back = sign_in_on_practice_page(browser, live_server.url, login)
    callback = redirected(browser, back)
    assert callback.startswith(CALLBACK + "?")
    token = client.fetch_token(
        f"{issuer}/token/", authorization_response=callback, code_verifier=verifier
    )
    claims = id_token_claims(issuer, token, client_id=registered.application.client_id, nonce=nonce)
    return client, token, claims, browser


def test_e2e_authlib_confidential_client_with_pkce_and_nonce(issuer, live_server, valley):
    registered = make_application(valley, name="Charts", redirect_uris=[CALLBACK])
    client, token, claims, _browser = authlib_sign_in(issuer, live_server, registered)
    assert claims["preferred_username"] == "nina" and claims["practice"] == "valley"
    assert claims["amr"] == ["pwd"] and claims["roles"] == ["User"]
    assert token["expires_in"] <= 600
    info = client.get(f"{issuer}/userinfo/").json()
    assert info["sub"] == claims["sub"] and info["email"] == "nina@example.test"
    renewed = client.refresh_token(f"{issuer}/token/", refresh_token=token["refresh_token"])
    assert renewed["refresh_token"] != token["refresh_token"]
    assert client.get(f"{issuer}/userinfo/").status_code == 200


def test_e2e_authlib_public_client_signs_in_with_pkce_only(issuer, live_server, valley):
    registered = make_application(valley, name="Mobile", redirect_uris=[CALLBACK], public=True)
    client, _token, claims, _browser = authlib_sign_in(issuer, live_server, registered, public=True)
    assert client.get(f"{issuer}/userinfo/").json()["sub"] == claims["sub"]


def test_e2e_signing_out_of_practicegate_reaches_the_application(issuer, live_server, valley):
    receiver = Receiver()
    try:
        registered = make_application(
            valley, name="Charts", redirect_uris=[CALLBACK], backchannel_logout_uri=receiver.url
        )
        client, _token, claims, browser = authlib_sign_in(issuer, live_server, registered)
        account = browser.get(f"{live_server.url}/account/")
        browser.post(
            f"{live_server.url}/logout/",
            data={"csrfmiddlewaretoken": csrf_of(account)},
            headers={"Referer": f"{live_server.url}/account/"},
        )
        [logout_token] = receiver.wait_for(1)
        logout = logout_claims(
            logout_token, audience=registered.application.client_id, issuer=issuer
        )
        assert (logout["sub"], logout["sid"]) == (claims["sub"], claims["sid"])
        assert client.get(f"{issuer}/userinfo/").status_code == 401
    finally:
        receiver.close()


# --- mozilla-django-oidc, an application of its own --------------------------------------------


@pytest.fixture
def relying_party(issuer, valley, tmp_path):
    """The mozilla-django-oidc application (tests/oidc/rp/), served by its own server."""
    with relying_party_served(
        issuer=issuer, practice=valley, database=tmp_path / "rp.sqlite3"
    ) as base:
        yield base


def test_e2e_mozilla_django_oidc_signs_in_through_the_practices_page(
    relying_party, live_server, valley
):
    browser = requests.Session()
    # The application sends the browser to PracticeGate...
    authorize = redirected(browser, f"{relying_party}/whoami/")
    authorize = redirected(browser, authorize)
    assert authorize.startswith(f"{live_server.url}/o/authorize/?")
    assert "code_challenge_method=S256" in authorize and "nonce=" in authorize
    # ...which sends it to the practice's own sign-in page, and back with a code.
    login = redirected(browser, authorize)
    assert login.startswith(f"{live_server.url}/p/valley/login/")
    back = sign_in_on_practice_page(browser, live_server.url, login)
    callback = redirected(browser, back)
    assert callback.startswith(f"{relying_party}/oidc/callback/?code=")
    # The application exchanges it, checks the ID token, and the user is signed in there.
    landed = browser.get(callback)
    assert landed.url == f"{relying_party}/whoami/", unescape(landed.text)[:300]
    who = landed.json()
    assert who["preferred_username"] == "nina" and who["roles"] == "User"
    assert who["email"] == "nina@example.test" and who["sub"] != "nina"
