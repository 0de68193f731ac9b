from django.urls import path

from mfa.enrollment import account_enrollment, signin_enrollment
from mfa.phone import views

account_urlpatterns = [
    path("phone/add/", account_enrollment(views.phone_add), name="phone_add"),
    path("phone/confirm/", account_enrollment(views.phone_confirm), name="phone_confirm"),
]
signin_urlpatterns = [
    path("phone/", signin_enrollment(views.phone_add), name="signin_setup_phone_add"),
    path(
        "phone/confirm/", signin_enrollment(views.phone_confirm), name="signin_setup_phone_confirm"
    ),
]
