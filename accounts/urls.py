from django.urls import path

from accounts import (
    account_views,
    emailed_link_views,
    gateway_views,
    password_reset_views,
    views,
)
from accounts.emailed_links import EMAIL_CHANGE, INVITATION, PASSWORD_RESET

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("login/password/", views.signin_password_view, name="signin_password"),
    path("login/phone/", views.signin_phone_view, name="signin_phone"),
    path("login/emergency/", views.signin_emergency_view, name="signin_emergency"),
    path("p/<slug:code>/login/", views.login_view, name="practice_login"),
    path("logout/", views.logout_view, name="logout"),
    path("session/keepalive/", views.keepalive_view, name="keepalive"),
    path("auth/verify", views.auth_verify_view, name="auth_verify"),
    path("auth/refused", gateway_views.gateway_refused_view, name="gateway_refused"),
    # Emailed links carry their secret after "#" (accounts.emailed_links): each opens a page
    # without it in its path, then the step page reads it from the session. A link of the old
    # form, with the secret in its path, is refused (emailed_link_views.old_link_view).
    path(
        "invite/link/",
        emailed_link_views.emailed_link_view,
        {"kind": INVITATION},
        name="invitation_link",
    ),
    path("invite/set/", views.invitation_view, name="invitation"),
    path("invite/<str:token>/", emailed_link_views.old_link_view, {"kind": INVITATION}),
    # My Account (account_views) and forgotten passwords (password_reset_views).
    path("account/", account_views.account_view, name="account"),
    path("account/password/", account_views.account_password_view, name="account_password"),
    path("account/confirm-password/", account_views.reauth_view, name="reauth"),
    path("account/phone/", account_views.account_phone_view, name="account_phone"),
    path(
        "account/email/link/",
        emailed_link_views.emailed_link_view,
        {"kind": EMAIL_CHANGE},
        name="email_link",
    ),
    path("account/email/confirm/", account_views.email_confirm_view, name="email_confirm"),
    path("account/email/<str:token>/", emailed_link_views.old_link_view, {"kind": EMAIL_CHANGE}),
    path(
        "account/sessions/<int:session_id>/sign-out/",
        account_views.account_session_end_view,
        name="account_session_end",
    ),
    path(
        "account/sessions/sign-out-others/",
        account_views.account_sessions_end_others_view,
        name="account_sessions_end_others",
    ),
    path("password-reset/", password_reset_views.password_reset_view, name="password_reset"),
    path(
        "password-reset/sent/",
        password_reset_views.password_reset_sent_view,
        name="password_reset_sent",
    ),
    path(
        "password-reset/link/",
        emailed_link_views.emailed_link_view,
        {"kind": PASSWORD_RESET},
        name="password_reset_link",
    ),
    path(
        "password-reset/set-password/",
        password_reset_views.password_reset_confirm_view,
        name="password_reset_confirm",
    ),
    path(
        "password-reset/<str:uidb64>/<str:token>/",
        emailed_link_views.old_link_view,
        {"kind": PASSWORD_RESET},
    ),
]
