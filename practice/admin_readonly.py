"""Django admin pages for looking only: support staff change access through the actions the
page offers, which call the services (and so write the audit row), never through a form."""

from django.contrib import admin


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """No add, change or delete. Rows of these models are created by the services (users by
    `create_user` or the console, audit events by every change), and never deleted: users are
    deactivated and the audit log is append-only, so every row it refers to stays."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
