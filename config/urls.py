from django.contrib import admin
from django.urls import include, path

from practice.views import healthz

admin.site.site_header = "PracticeGate support"
admin.site.site_title = "PracticeGate support"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("console/", include("practice.urls")),
    path("", include("accounts.urls")),
]
