from django.urls import path

from mfa.enrollment import account_enrollment, signin_enrollment
from mfa.totp import views

account_urlpatterns = [
    path("app/add/", account_enrollment(views.app_setup), name="app_add"),
]
signin_urlpatterns = [
    path("app/", signin_enrollment(views.app_setup), name="signin_setup_app_add"),
]
