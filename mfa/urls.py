"""URLs of mfa, in the "mfa" namespace (included from config/urls.py at the root).

/login/verify/ and /login/setup/ are the sign-in's steps; /account/security/ is My Account's
security page. The factors' setup pages are mounted under both.
"""

from django.urls import include, path

from mfa import views
from mfa.phone import urls as phone_urls
from mfa.recovery_codes import urls as recovery_urls
from mfa.totp import urls as totp_urls
from mfa.webauthn import urls as webauthn_urls

app_name = "mfa"

signin_setup_patterns = (
    totp_urls.signin_urlpatterns + phone_urls.signin_urlpatterns + webauthn_urls.signin_urlpatterns
)
account_patterns = (
    totp_urls.account_urlpatterns
    + phone_urls.account_urlpatterns
    + webauthn_urls.account_urlpatterns
    + recovery_urls.account_urlpatterns
)

urlpatterns = [
    path("login/verify/", views.signin_verify, name="signin_verify"),
    path("login/verify/key/begin/", views.signin_verify_key_begin, name="signin_verify_key_begin"),
    path(
        "login/verify/key/complete/",
        views.signin_verify_key_complete,
        name="signin_verify_key_complete",
    ),
    path("login/setup/", views.signin_setup, name="signin_setup"),
    path("login/setup/skip/", views.signin_setup_skip, name="signin_setup_skip"),
    path(
        "login/setup/recovery-codes/",
        views.signin_recovery_codes,
        name="signin_recovery_codes",
    ),
    path("login/setup/", include(signin_setup_patterns)),
    path("account/security/", views.security, name="security"),
    path("account/security/", include(account_patterns)),
    path(
        "account/security/devices/<str:ref>/rename/",
        views.device_rename_view,
        name="device_rename",
    ),
    path(
        "account/security/devices/<str:ref>/remove/",
        views.device_remove_view,
        name="device_remove",
    ),
    path("account/security/reset-pairing/", views.pairing_reset_view, name="pairing_reset"),
]
