from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("login/password/", views.signin_password_view, name="signin_password"),
    path("p/<slug:code>/login/", views.login_view, name="practice_login"),
    path("logout/", views.logout_view, name="logout"),
    path("session/keepalive/", views.keepalive_view, name="keepalive"),
    path("auth/verify", views.auth_verify_view, name="auth_verify"),
    path("invite/<str:token>/", views.invitation_view, name="invitation"),
]
