"""OpenID Connect, mounted at /o/ (the issuer is SITE_URL + /o): discovery, the signing keys,
authorize, token, userinfo, revocation and logout.

django-oauth-toolkit's views, but for authorize, logout and the discovery document, which are
ours (oidc.authorize, oidc.logout, oidc.discovery). None of its pages for managing
applications, nor its device, introspection or registration endpoints, is mounted. The names
are django-oauth-toolkit's own, which its views reverse.
"""

from django.urls import path, re_path
from oauth2_provider import views as toolkit

from oidc.authorize import AuthorizeView
from oidc.discovery import DiscoveryView
from oidc.logout import LogoutView

app_name = "oauth2_provider"

urlpatterns = [
    re_path(
        r"^\.well-known/openid-configuration$",
        DiscoveryView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    path(".well-known/jwks.json", toolkit.JwksInfoView.as_view(), name="jwks-info"),
    path("authorize/", AuthorizeView.as_view(), name="authorize"),
    path("token/", toolkit.TokenView.as_view(), name="token"),
    path("userinfo/", toolkit.UserInfoView.as_view(), name="user-info"),
    path("revoke_token/", toolkit.RevokeTokenView.as_view(), name="revoke-token"),
    path("logout/", LogoutView.as_view(), name="rp-initiated-logout"),
]
