"""Support staff's view of practices and the (read-only) audit log; their actions on users."""

from django.contrib import admin, messages
from django.template.response import TemplateResponse

from accounts.admin import UserAdmin
from accounts.lockout import user_unlock
from accounts.models import User
from mfa.pairing import pairing_reset
from practice.models import AuditEvent, OfficeNetwork, Practice, Provider
from practice.users import user_deactivate


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


# --- Support staff's actions on practice users ----------------------------------------------
# Each calls the same service as the console, with the staff member as the actor, so the audit
# log names them. None of them sets or shows a password: support sends a reset link instead.


def _practice_users(queryset):
    # Support staff accounts (no practice) are managed with createsuperuser, not from here.
    return queryset.filter(practice__isnull=False).select_related("practice")


def _confirmation(modeladmin, request, users, *, action: str, title: str, consequence: str):
    """Django admin's own pattern for a dangerous action: a page that lists who is affected
    and asks again. Returns the page, or None once the staff member has confirmed."""
    if request.POST.get("confirmed") == "yes":
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "consequence": consequence,
        "users": users,
        "action": action,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        "opts": modeladmin.model._meta,
    }
    return TemplateResponse(request, "admin/accounts/user/confirm_action.html", context)


@admin.action(description="Unlock selected users")
def unlock_users(modeladmin, request, queryset):
    unlocked = 0
    for user in _practice_users(queryset):
        if user.locked_at is not None or user.failed_logins:
            user_unlock(user=user, actor=request.user, request=request, reason="support")
            unlocked += 1
    modeladmin.message_user(request, f"Unlocked {unlocked} user(s).", messages.SUCCESS)


@admin.action(description="Deactivate selected users (ends their sessions and remote access)")
def deactivate_users(modeladmin, request, queryset):
    users = list(_practice_users(queryset).filter(is_active=True))
    page = _confirmation(
        modeladmin,
        request,
        users,
        action="deactivate_users",
        title="Deactivate these users?",
        consequence="They are signed out at once, cannot sign in, and lose remote access; "
        "re-activating them does not give remote access back.",
    )
    if page is not None:
        return page
    deactivated = 0
    for user in users:
        user_deactivate(user=user, actor=request.user, request=request)
        deactivated += 1
    modeladmin.message_user(request, f"Deactivated {deactivated} user(s).", messages.SUCCESS)


@admin.action(description="Reset 2FA pairing of selected users")
def reset_pairing(modeladmin, request, queryset):
    if not request.user.is_verified():
        # SECURITY: removing someone's second factors is what an attacker with a stolen staff
        # password would do first; it needs a staff session that passed its own second factor.
        modeladmin.message_user(
            request,
            "Sign in with your own second factor before resetting anyone's 2FA pairing.",
            messages.ERROR,
        )
        return
    users = list(_practice_users(queryset))
    page = _confirmation(
        modeladmin,
        request,
        users,
        action="reset_pairing",
        title="Reset the 2FA pairing of these users?",
        consequence="Every authenticator app, phone, security key and recovery code of theirs "
        "is removed, their sessions end, and they set up a second factor at their next "
        "sign-in. Confirm who is calling before you do this.",
    )
    if page is not None:
        return page
    for user in users:
        pairing_reset(user=user, actor=request.user, request=request)
    modeladmin.message_user(
        request, f"Reset the 2FA pairing of {len(users)} user(s).", messages.SUCCESS
    )


admin.site.unregister(User)


@admin.register(User)
class SupportUserAdmin(UserAdmin):
    """accounts' UserAdmin with support's actions (they use mfa, which accounts never imports)."""

    actions = [*UserAdmin.actions, unlock_users, deactivate_users, reset_pairing]
