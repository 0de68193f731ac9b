"""Items 3 and 4 of issue 23: the code flow only, as strict as it should be, and the claims.

Through HTTP, as an application (the token and userinfo requests) and its user's browser (the
authorize request) make them.
"""

import logging
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.invitations import invitation_accept, invitation_create, invitation_for_token
from oidc.models import Application
from tests.factories import UserFactory
from tests.mfa.helpers import app_device
from tests.oidc.helpers import (
    REDIRECT,
    authorize_url,
    code_from,
    make_application,
    pkce,
    query_of,
    refresh_request,
    sign_in_to,
    token_request,
    userinfo,
    verified_claims,
)
from tests.signin_helpers import sign_in

pytestmark = pytest.mark.django_db


# --- Item 3: the code flow only ---------------------------------------------------------------


def test_item3_code_flow_echoes_the_nonce_and_signs_the_id_token(client, member, charts):
    sign_in(client, member)
    tokens = sign_in_to(client, charts, nonce="n-0S6_WzA2Mj")
    claims = verified_claims(tokens["id_token"], audience=charts.application.client_id)
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert tokens["token_type"] == "Bearer"


def test_item3_the_authorize_response_names_the_issuer_and_keeps_the_state(client, member, charts):
    sign_in(client, member)
    verifier, challenge = pkce()
    response = client.get(
        authorize_url(charts.application, code_challenge=challenge, code_challenge_method="S256")
    )
    query = query_of(response["Location"])
    assert query["state"] == "state-1"
    assert query["iss"] == "http://testserver/o"


def test_item3_a_public_client_without_pkce_is_refused(client, member, practice):
    spa = make_application(practice, name="Scheduler", public=True)
    assert spa.secret is None
    sign_in(client, member)
    response = client.get(authorize_url(spa.application))
    assert response.status_code == 302
    query = query_of(response["Location"])
    assert query["error"] == "invalid_request" and "code" not in query
    # With PKCE it signs in, without a secret.
    verifier, challenge = pkce()
    response = client.get(
        authorize_url(spa.application, code_challenge=challenge, code_challenge_method="S256")
    )
    tokens = token_request(spa, code_from(response), verifier=verifier)
    assert tokens.status_code == 200


def test_item3_a_public_clients_code_without_its_verifier_is_refused(client, member, practice):
    spa = make_application(practice, name="Scheduler", public=True)
    sign_in(client, member)
    _verifier, challenge = pkce()
    response = client.get(
        authorize_url(spa.application, code_challenge=challenge, code_challenge_method="S256")
    )
    code = code_from(response)
    assert token_request(spa, code).status_code == 400
    assert token_request(spa, code, verifier=pkce()[0]).status_code == 400


def test_item3_pkce_plain_is_refused(client, member, practice):
    spa = make_application(practice, name="Scheduler", public=True)
    sign_in(client, member)
    response = client.get(
        authorize_url(spa.application, code_challenge="x" * 43, code_challenge_method="plain")
    )
    assert query_of(response["Location"])["error"] == "invalid_request"


@pytest.mark.parametrize("response_type", ["token", "id_token", "id_token token", "code id_token"])
def test_item3_implicit_and_hybrid_flows_are_refused(client, member, charts, response_type):
    sign_in(client, member)
    response = client.get(authorize_url(charts.application, response_type=response_type))
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        location = response["Location"]
        assert "access_token" not in location and "id_token=" not in location
        error = query_of(location.replace("#", "?", 1))["error"]
        assert error in ("unsupported_response_type", "unauthorized_client")


def test_item3_a_redirect_uri_not_registered_exactly_is_never_redirected_to(client, member, charts):
    sign_in(client, member)
    for uri in [
        "https://evil.example.test/callback",
        REDIRECT + "/",
        REDIRECT + "?next=x",
        REDIRECT.replace("https://", "http://"),
        "https://app.example.test:8443/callback",
    ]:
        response = client.get(authorize_url(charts.application, redirect_uri=uri))
        assert response.status_code == 400, uri
        assert "Location" not in response
        assert "cannot be used" in response.content.decode()


def test_item3_the_token_request_must_name_the_same_redirect_uri(client, member, charts):
    sign_in(client, member)
    code = code_from(client.get(authorize_url(charts.application)))
    response = token_request(charts, code, redirect_uri="https://app.example.test/other")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request" or response.json()["error"] == (
        "invalid_grant"
    )


def test_item3_a_code_works_once(client, member, charts):
    sign_in(client, member)
    code = code_from(client.get(authorize_url(charts.application)))
    assert token_request(charts, code).status_code == 200
    assert token_request(charts, code).json()["error"] == "invalid_grant"


def test_item3_a_wrong_client_secret_is_refused(client, member, charts):
    sign_in(client, member)
    code = code_from(client.get(authorize_url(charts.application)))
    charts.secret = "not-the-secret"
    assert token_request(charts, code).json()["error"] == "invalid_client"


def test_item3_access_tokens_live_ten_minutes(client, member, charts):
    sign_in(client, member)
    tokens = sign_in_to(client, charts)
    assert tokens["expires_in"] <= 600
    with time_machine.travel(timezone.now() + timedelta(seconds=599)):
        assert userinfo(tokens["access_token"]).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(seconds=601)):
        assert userinfo(tokens["access_token"]).status_code == 401


def test_item3_refresh_tokens_are_rotated_and_a_replay_ends_the_family(client, member, charts):
    sign_in(client, member)
    tokens = sign_in_to(client, charts)
    renewed = refresh_request(charts, tokens["refresh_token"]).json()
    assert renewed["refresh_token"] != tokens["refresh_token"]
    assert renewed["access_token"] != tokens["access_token"]
    assert userinfo(tokens["access_token"]).status_code == 401
    assert userinfo(renewed["access_token"]).status_code == 200
    # The old refresh token again (stolen and replayed): refused, and the family ends.
    assert refresh_request(charts, tokens["refresh_token"]).json()["error"] == ("invalid_grant")
    assert userinfo(renewed["access_token"]).status_code == 401
    assert refresh_request(charts, renewed["refresh_token"]).status_code == 400


def test_item3_prompt_login_asks_for_a_new_sign_in(client, office, member, charts):
    sign_in(client, member)
    url = authorize_url(charts.application, prompt="login")
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/p/valley/login/?next=")
    back = query_of(response["Location"])["next"]
    assert "prompt=login" not in back
    # Coming back without signing in again does not do.
    again = client.get(back)
    assert again["Location"].startswith("/p/valley/login/")
    # Signing in again through the sign-in page: the code, and a new auth_time.
    signed_in = client.post(
        "/p/valley/login/", {"username": "nina", "password": "Correct-Horse-9!", "next": back}
    )
    assert signed_in["Location"] == back
    code = code_from(client.get(back))
    tokens = token_request(charts, code).json()
    assert "id_token" in tokens


def test_item3_max_age_asks_for_a_new_sign_in_when_the_session_is_older(client, member, charts):
    with time_machine.travel(timezone.now() - timedelta(minutes=10)):
        sign_in(client, member)
    response = client.get(authorize_url(charts.application, max_age="300"))
    assert response["Location"].startswith("/p/valley/login/")
    code_from(client.get(authorize_url(charts.application, max_age="3600")))


def test_item3_prompt_none_without_a_session_answers_login_required(client, charts):
    response = client.get(authorize_url(charts.application, prompt="none"))
    query = query_of(response["Location"])
    assert response["Location"].startswith(REDIRECT)
    assert query["error"] == "login_required" and query["state"] == "state-1"


def test_item3_the_openid_scope_is_required(client, member, charts):
    sign_in(client, member)
    response = client.get(authorize_url(charts.application, scope="profile"))
    assert query_of(response["Location"])["error"] == "invalid_scope"


# --- Item 4: the claims --------------------------------------------------------------------------


def test_item4_claims_in_the_id_token_and_from_userinfo(client, member, charts):
    sign_in(client, member)
    tokens = sign_in_to(client, charts)
    claims = verified_claims(tokens["id_token"], audience=charts.application.client_id)
    info = userinfo(tokens["access_token"]).json()
    for said in (claims, info):
        assert said["preferred_username"] == "nina"
        assert said["name"] == "Nina Reyes"
        assert said["email"] == "nina@example.test"
        assert said["email_verified"] is False  # nobody proved the address
        assert said["practice"] == "valley"
        assert said["roles"] == ["User"]
        assert said["amr"] == ["pwd"]
        # Stable and opaque: neither the username nor the row's number.
        assert said["sub"] not in ("nina", str(member.pk)) and len(said["sub"]) >= 32
    assert info["sub"] == claims["sub"]
    assert claims["sid"] and claims["auth_time"] <= claims["iat"]
    # The same user, another sign-in: the same sub.
    again = sign_in_to(client, charts)
    assert (
        verified_claims(again["id_token"], audience=charts.application.client_id)["sub"]
        == claims["sub"]
    )


def test_item4_the_scopes_limit_the_claims(client, member, charts):
    sign_in(client, member)
    tokens = sign_in_to(client, charts, scope="openid")
    claims = verified_claims(tokens["id_token"], audience=charts.application.client_id)
    assert {"sub", "amr"} <= set(claims)
    assert not {"email", "preferred_username", "roles", "practice"} & set(claims)
    assert set(userinfo(tokens["access_token"]).json()) == {"sub", "amr"}


def test_item4_roles_are_the_practices_role_names(client, admin_user, charts):
    sign_in(client, admin_user)
    tokens = sign_in_to(client, charts)
    assert userinfo(tokens["access_token"]).json()["roles"] == ["Practice administrator"]


def test_item4_an_address_the_user_proved_is_verified(client, practice, charts):
    invited = UserFactory(practice=practice, username="ivy", email="ivy@example.test")
    token = invitation_create(user=invited, actor=None)
    invitation_accept(invitation=invitation_for_token(token), password="Correct-Horse-9!x")
    invited.refresh_from_db()
    sign_in(client, invited)
    tokens = sign_in_to(client, charts)
    assert userinfo(tokens["access_token"]).json()["email_verified"] is True


def test_item4_amr_says_which_second_factor(client, member, charts):
    device = app_device(member)
    sign_in(client, member, device=device)
    tokens = sign_in_to(client, charts)
    claims = verified_claims(tokens["id_token"], audience=charts.application.client_id)
    assert claims["amr"] == ["pwd", "otp", "mfa"]


def test_item4_discovery_says_what_is_offered(client):
    data = client.get("/o/.well-known/openid-configuration").json()
    assert data["issuer"] == "http://testserver/o"
    assert data["response_types_supported"] == ["code"]
    assert data["code_challenge_methods_supported"] == ["S256"]
    assert data["id_token_signing_alg_values_supported"] == ["RS256"]
    for key in ("jwks_uri", "token_endpoint", "userinfo_endpoint", "revocation_endpoint"):
        assert data[key].startswith("http://testserver/o/")
    assert data["end_session_endpoint"] == "http://testserver/o/logout/"
    assert data["backchannel_logout_supported"] is True
    assert {"sub", "amr", "roles", "practice", "email_verified"} <= set(data["claims_supported"])
    assert Application.objects.count() == 0


def test_item3_after_the_signin_form_a_page_of_ours_sends_the_browser_on(client, member, charts):
    # The browser comes from our own sign-in form: a redirect to the application would be
    # refused by the browser (CSP form-action 'self'), so a page of ours sends it on.
    sign_in(client, member)
    response = client.get(authorize_url(charts.application), HTTP_SEC_FETCH_SITE="same-origin")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    url = body.split('<meta http-equiv="refresh" content="0;url=', 1)[1].split('"', 1)[0]
    assert url.replace("&amp;", "&").startswith(REDIRECT + "?code=")
    assert f'href="{url}"' in body and "Continue to Charts" in body
    # Sent from the application (another site): the plain redirect.
    response = client.get(authorize_url(charts.application), HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code == 302


def test_item3_no_code_or_token_reaches_the_log(client, member, charts, caplog):
    caplog.set_level(logging.DEBUG)
    sign_in(client, member)
    verifier, challenge = pkce()
    response = client.get(
        authorize_url(charts.application, code_challenge=challenge, code_challenge_method="S256")
    )
    code = code_from(response)
    tokens = token_request(charts, code, verifier=verifier).json()
    renewed = refresh_request(charts, tokens["refresh_token"]).json()
    userinfo(renewed["access_token"])
    refresh_request(charts, tokens["refresh_token"])  # a replay, refused
    logged = caplog.text
    for secret in (
        code,
        charts.secret,
        verifier,
        tokens["access_token"],
        tokens["refresh_token"],
        renewed["refresh_token"],
        tokens["id_token"],
    ):
        assert secret not in logged
