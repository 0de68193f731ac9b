from django.urls import path

from mfa.enrollment import account_enrollment
from mfa.recovery_codes import views

account_urlpatterns = [
    path("recovery-codes/", account_enrollment(views.recovery_codes), name="recovery_codes"),
]
