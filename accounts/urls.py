from django.urls import path

from accounts.emailed_links import EMAIL_CHANGE, INVITATION, PASSWORD_RESET
from accounts.views import account, emailed_link, gateway, invitation, password_reset, signin

app_name = "accounts"

urlpatterns = [
    path("", signin.home, name="home"),
    path("login/", signin.login_view, name="login"),
    path("login/password/", signin.signin_password_view, name="signin_password"),
    path("login/phone/", signin.signin_phone_view, name="signin_phone"),
    path("login/emergency/", signin.signin_emergency_view, name="signin_emergency"),
    path("p/<slug:code>/login/", signin.login_view, name="practice_login"),
    path("logout/", signin.logout_view, name="logout"),
    path("session/keepalive/", signin.keepalive_view, name="keepalive"),
    path("auth/verify", gateway.auth_verify_view, name="auth_verify"),
    path("auth/refused", gateway.gateway_refused_view, name="gateway_refused"),
    # Emailed links carry their secret after "#" (accounts.emailed_links): each opens a page
    # without it in its path, then the step page reads it from the session. A link of the old
    # form, with the secret in its path, is refused (emailed_link.old_link_view).
    path(
        "invite/link/",
        emailed_link.emailed_link_view,
        {"kind": INVITATION},
        name="invitation_link",
    ),
    path("invite/set/", invitation.invitation_view, name="invitation"),
    path("invite/<str:token>/", emailed_link.old_link_view, {"kind": INVITATION}),
    # My Account (views.account) and forgotten passwords (views.password_reset).
    path("account/", account.account_view, name="account"),
    path("account/password/", account.account_password_view, name="account_password"),
    path("account/confirm-password/", account.reauth_view, name="reauth"),
    path("account/phone/", account.account_phone_view, name="account_phone"),
    path(
        "account/email/link/",
        emailed_link.emailed_link_view,
        {"kind": EMAIL_CHANGE},
        name="email_link",
    ),
    path("account/email/confirm/", account.email_confirm_view, name="email_confirm"),
    path("account/email/<str:token>/", emailed_link.old_link_view, {"kind": EMAIL_CHANGE}),
    path(
        "account/sessions/<int:session_id>/sign-out/",
        account.account_session_end_view,
        name="account_session_end",
    ),
    path(
        "account/sessions/sign-out-others/",
        account.account_sessions_end_others_view,
        name="account_sessions_end_others",
    ),
    path("password-reset/", password_reset.password_reset_view, name="password_reset"),
    path(
        "password-reset/sent/",
        password_reset.password_reset_sent_view,
        name="password_reset_sent",
    ),
    path(
        "password-reset/link/",
        emailed_link.emailed_link_view,
        {"kind": PASSWORD_RESET},
        name="password_reset_link",
    ),
    path(
        "password-reset/set-password/",
        password_reset.password_reset_confirm_view,
        name="password_reset_confirm",
    ),
    path(
        "password-reset/<str:uidb64>/<str:token>/",
        emailed_link.old_link_view,
        {"kind": PASSWORD_RESET},
    ),
]
