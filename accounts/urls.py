from django.urls import path

from accounts import account_views, gateway_views, password_reset_views, views

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
    path("invite/<str:token>/", views.invitation_view, name="invitation"),
    # My Account (account_views) and forgotten passwords (password_reset_views).
    path("account/", account_views.account_view, name="account"),
    path("account/password/", account_views.account_password_view, name="account_password"),
    path("account/confirm-password/", account_views.reauth_view, name="reauth"),
    path("account/phone/", account_views.account_phone_view, name="account_phone"),
    path("account/email/<str:token>/", account_views.email_confirm_view, name="email_confirm"),
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
        "password-reset/<str:uidb64>/<str:token>/",
        password_reset_views.password_reset_confirm_view,
        name="password_reset_confirm",
    ),
]
