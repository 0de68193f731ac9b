from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from accounts.views.signin import logout_view, staff_login_view
from practice.views import healthz

admin.site.site_header = "PracticeGate support"
admin.site.site_title = "PracticeGate support"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Support staff sign in through the same pipeline (and second factor) as everyone else.
    path("admin/login/", staff_login_view),
    path("admin/logout/", logout_view),
    # Support staff change their own password where everyone does: our rules, history, audit.
    path(
        "admin/password_change/",
        RedirectView.as_view(pattern_name="accounts:account_password", permanent=False),
    ),
    path("admin/", admin.site.urls),
    path("console/", include("practice.console.urls")),
    # Single sign-on for the practice's applications (OpenID Connect): the issuer is SITE_URL/o.
    path("o/", include("oidc.urls")),
    path("", include("accounts.urls")),
    path("", include("mfa.urls")),
]
