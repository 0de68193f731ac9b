"""Support staff's view of users: search across practices; no password is ever shown or set."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from accounts.models import User
from accounts.password_reset import password_reset_send


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = [
        "username",
        "practice",
        "first_name",
        "last_name",
        "email",
        "role",
        "is_active",
        "locked_at",
        "remote_access",
        "last_login",
    ]
    list_filter = ["is_active", "role", "remote_access", "is_staff"]
    list_select_related = ["practice"]
    search_fields = [
        "username",
        "first_name",
        "last_name",
        "email",
        "practice__code",
        "practice__name",
    ]
    ordering = ["practice__code", "username"]
    # SECURITY: the password hash never appears and cannot be edited; support staff send a
    # reset link instead (HIPAA practice: the vendor never knows a user's password).
    exclude = ["password", "groups", "user_permissions"]
    readonly_fields = [
        "practice",
        "username",
        "last_login",
        "date_joined",
        "failed_logins",
        "locked_at",
        "password_changed_at",
        "must_change_password",
        "temporary_password_expires_at",
        "is_superuser",
        "is_staff",
        "remote_access",
        "remote_access_until",
        "mobile_phone_verified_at",
    ]

    actions = ["send_password_reset_link"]

    @admin.action(description="Send a password reset link")
    def send_password_reset_link(self, request, queryset):
        # The user resets their own password from the emailed link; support never sets it.
        sent = 0
        for user in queryset.select_related("practice"):
            try:
                sent += password_reset_send(user=user, actor=request.user, request=request)
            except ValidationError as exc:
                self.message_user(request, f"{user.username}: {exc.messages[0]}", messages.WARNING)
        self.message_user(request, f"Sent a password reset link to {sent} user(s).")

    def has_add_permission(self, request):
        # Practice users are created by create_user or the console, which audit it.
        return False

    def has_delete_permission(self, request, obj=None):
        # Users are deactivated, not deleted: the audit log refers to them.
        return False
