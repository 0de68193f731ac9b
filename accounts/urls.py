from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("p/<slug:code>/login/", views.login_view, name="practice_login"),
    path("invite/<str:token>/", views.invitation_view, name="invitation"),
]
