"""Django admin with support staff's site as its default (`admin.site`, `@admin.register`)."""

from django.contrib.admin.apps import AdminConfig


class SupportAdminConfig(AdminConfig):
    default_site = "practice.admin_site.SupportAdminSite"
