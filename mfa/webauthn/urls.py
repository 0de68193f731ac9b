from django.urls import path

from mfa.enrollment import (
    account_enrollment,
    account_enrollment_json,
    signin_enrollment,
    signin_enrollment_json,
)
from mfa.webauthn import views

account_urlpatterns = [
    path("key/add/", account_enrollment(views.key_add), name="key_add"),
    path("key/begin/", account_enrollment_json(views.key_begin), name="key_begin"),
    path("key/complete/", account_enrollment_json(views.key_complete), name="key_complete"),
]
signin_urlpatterns = [
    path("key/", signin_enrollment(views.key_add), name="signin_setup_key_add"),
    path("key/begin/", signin_enrollment_json(views.key_begin), name="signin_setup_key_begin"),
    path(
        "key/complete/",
        signin_enrollment_json(views.key_complete),
        name="signin_setup_key_complete",
    ),
]
