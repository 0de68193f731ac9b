"""The project's URLs plus the like-for-like changelist (bench only: ROOT_URLCONF in the bench)."""

from django.urls import path

from bench.changelist import site
from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("bench-admin/", site.urls), *project_urlpatterns]


def changelist_url(practice_code: str) -> str:
    return f"/bench-admin/accounts/user/?practice={practice_code}"
