"""Applications and the code flow, as a relying party drives them, for the OpenID Connect tests.

These helpers speak HTTP through Django's test client, as an application and a browser would:
the browser with its session cookie (the authorize request), the application's server without
any (the token and userinfo requests, the JWKS). The end-to-end tests
(test_relying_parties.py) use real relying parties instead.
"""

import base64
import hashlib
import json
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

from django.test import Client
from jwcrypto import jwk, jwt

from oidc.applications import application_create

REDIRECT = "https://app.example.test/callback"


def make_application(practice, *, name="Charts", public=False, **kwargs):
    """A registered application of `practice` (Registered: .application, .secret)."""
    kwargs.setdefault("redirect_uris", [REDIRECT])
    return application_create(practice=practice, actor=None, name=name, public=public, **kwargs)


def pkce() -> tuple[str, str]:
    """(verifier, S256 challenge)"""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_url(application, *, redirect_uri=REDIRECT, scope="openid profile email", **extra):
    params = {
        "response_type": "code",
        "client_id": application.client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": "state-1",
        "nonce": "nonce-1",
        **extra,
    }
    return "/o/authorize/?" + urlencode({k: v for k, v in params.items() if v is not None})


def query_of(location: str) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def code_from(response) -> str:
    assert response.status_code == 302, response.status_code
    location = response["Location"]
    assert location.startswith(REDIRECT), location
    query = query_of(location)
    assert "code" in query, query
    return query["code"]


def application() -> Client:
    """The application's server: no browser's cookies."""
    return Client()


def token_request(registered, code, *, verifier=None, redirect_uri=REDIRECT):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    data["client_id"] = registered.application.client_id
    if registered.secret:
        data["client_secret"] = registered.secret
    if verifier:
        data["code_verifier"] = verifier
    return application().post("/o/token/", data)


def refresh_request(registered, refresh_token):
    data = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": registered.application.client_id,
    }
    if registered.secret:
        data["client_secret"] = registered.secret
    return application().post("/o/token/", data)


def sign_in_to(client, registered, **extra) -> dict:
    """A signed-in browser `client` goes through authorize; the application exchanges the code.
    Returns the token response."""
    verifier, challenge = pkce()
    response = client.get(
        authorize_url(
            registered.application,
            code_challenge=challenge,
            code_challenge_method="S256",
            **extra,
        )
    )
    code = code_from(response)
    tokens = token_request(registered, code, verifier=verifier)
    assert tokens.status_code == 200, tokens.content
    return tokens.json()


def jwks() -> jwk.JWKSet:
    return jwk.JWKSet.from_json(application().get("/o/.well-known/jwks.json").content)


def verified_claims(token: str, *, audience: str) -> dict:
    """The claims of a JWT after checking its signature against the published JWKS, its issuer,
    audience and expiry (as a relying party must)."""
    checked = jwt.JWT(
        jwt=token,
        key=jwks(),
        check_claims={"iss": "http://testserver/o", "aud": audience, "exp": None},
        expected_type="JWS",
    )
    return json.loads(checked.claims)


def userinfo(access_token: str):
    return application().get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {access_token}")
