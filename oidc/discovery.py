"""The discovery document (/o/.well-known/openid-configuration): django-oauth-toolkit's, said
as PracticeGate is: the code flow only, RS256 only, PKCE with S256, the revocation endpoint,
and back-channel logout (OpenID Back-Channel Logout 1.0, section 2.1)."""

import json

from django.http import JsonResponse
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import ConnectDiscoveryInfoView


class DiscoveryView(ConnectDiscoveryInfoView):
    def get(self, request, *args, **kwargs):
        data = json.loads(super().get(request, *args, **kwargs).content)
        data.update(
            claims_supported=sorted(data["claims_supported"]),
            id_token_signing_alg_values_supported=["RS256"],
            response_modes_supported=["query"],
            grant_types_supported=["authorization_code", "refresh_token"],
            code_challenge_methods_supported=["S256"],
            # A public client authenticates with nothing but its PKCE verifier.
            token_endpoint_auth_methods_supported=[
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
            revocation_endpoint=self._get_endpoint_url(request, "revoke-token", required=True),
            backchannel_logout_supported=True,
            backchannel_logout_session_supported=True,
        )
        response = JsonResponse(data)
        response["Access-Control-Allow-Origin"] = "*"
        return response


def issuer() -> str:
    return oauth2_settings.OIDC_ISS_ENDPOINT


def discovery_url() -> str:
    """Where an application finds everything else (the issuer's well-known document)."""
    return f"{issuer()}/.well-known/openid-configuration"
