"""Support staff's view of practices and the (read-only) audit log."""

from django.contrib import admin

from practice.models import AuditEvent, OfficeNetwork, Practice, Provider


class OfficeNetworkInline(admin.TabularInline):
    model = OfficeNetwork
    extra = 0


class ProviderInline(admin.TabularInline):
    model = Provider
    extra = 0


@admin.register(Practice)
class PracticeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "time_zone", "two_factor_policy", "created_at"]
    search_fields = ["code", "name"]
    inlines = [OfficeNetworkInline, ProviderInline]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Append-only: nobody adds, changes or deletes an event here, superusers included."""

    list_display = ["created_at", "practice", "action", "actor", "target", "ip_address"]
    list_filter = ["action"]
    list_select_related = ["practice", "actor", "target"]
    search_fields = ["action", "target__username", "actor__username", "practice__code"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        return {}
