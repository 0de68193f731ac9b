"""System checks of single sign-on: the signing key a production site must have."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from jwcrypto.common import JWException
from oauth2_provider.utils import jwk_from_pem


@register(Tags.security)
def signing_key_check(app_configs, **kwargs):
    """Each key given must be an RSA private key in PEM."""
    provider = settings.OAUTH2_PROVIDER
    keys = [
        provider.get("OIDC_RSA_PRIVATE_KEY", ""),
        *provider.get("OIDC_RSA_PRIVATE_KEYS_INACTIVE", []),
    ]
    for pem in filter(None, keys):
        try:
            key = jwk_from_pem(pem)
        except (ValueError, TypeError, JWException):
            key = None
        if key is None or key.get("kty") != "RSA" or not key.has_private:
            return [
                Error(
                    "OIDC_RSA_PRIVATE_KEY (or one of OIDC_RSA_PRIVATE_KEYS_INACTIVE) is not an "
                    "RSA private key in PEM.",
                    hint="Make one with: openssl genpkey -algorithm RSA "
                    "-pkeyopt rsa_keygen_bits:2048",
                    id="oidc.E002",
                )
            ]
    return []


@register(Tags.security, deploy=True)
def signing_key_present_check(app_configs, **kwargs):
    """ID tokens and logout tokens are signed with OIDC_RSA_PRIVATE_KEY: production has one of
    its own, kept out of the repository and the database."""
    if settings.OAUTH2_PROVIDER.get("OIDC_RSA_PRIVATE_KEY"):
        return []
    return [
        Error(
            "OIDC_RSA_PRIVATE_KEY is not set: the applications of the practices cannot sign in "
            "through PracticeGate (OpenID Connect).",
            hint="Set OIDC_RSA_PRIVATE_KEY to an RSA private key in PEM (docs/oidc.md says how "
            "to make and rotate one).",
            id="oidc.E001",
        )
    ]
