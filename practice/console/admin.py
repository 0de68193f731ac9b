"""Support staff's view of practice users in Django admin: read-only, with actions.

One write path: the user page here changes nothing itself. Every change is an action that calls
the same service as the console (unlock, activate, deactivate, reset 2FA pairing) or has the user
reset their own password (a link emailed to them), with the staff member as the actor, so the
rules hold, the audit log names support, and the practice sees it in its own log. Support staff
never set or see a password, and never add, edit or attach a second factor: the raw device
admins of django-otp's plugins are unregistered (a device with a key of someone else's choosing
would defeat the second factor).

This module sits with the console, on top of accounts and mfa, because its actions use both.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.lifecycle import user_activate, user_deactivate
from accounts.lockout import user_unlock
from accounts.models import User
from accounts.password_reset import password_reset_send
from accounts.roles import role_copy
from mfa.pairing import pairing_reset
from mfa.selectors import second_factor_kinds
from practice.admin_readonly import ReadOnlyModelAdmin
from practice.console import admin_practices  # noqa: F401 (practices' actions: the first admin)
from practice.models import Practice, PracticeRole
from practice.vocabulary import LockChange, Permission

for device_model in (TOTPDevice, StaticDevice, EmailDevice, WebAuthnCredential):
    if admin.site.is_registered(device_model):
        admin.site.unregister(device_model)


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
            user_unlock(user=user, actor=request.user, request=request, reason=LockChange.SUPPORT)
            unlocked += 1
    modeladmin.message_user(
        request, f"Unlocked {unlocked} user{pluralize(unlocked)}.", messages.SUCCESS
    )


@admin.action(description="Activate selected users (remote access stays off)")
def activate_users(modeladmin, request, queryset):
    activated = sum(
        user_activate(user=user, actor=request.user, request=request)
        for user in _practice_users(queryset)
    )
    modeladmin.message_user(
        request, f"Activated {activated} user{pluralize(activated)}.", messages.SUCCESS
    )


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
    for user in users:
        user_deactivate(user=user, actor=request.user, request=request)
    modeladmin.message_user(
        request, f"Deactivated {len(users)} user{pluralize(len(users))}.", messages.SUCCESS
    )


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
        return None
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
        request,
        f"Reset the 2FA pairing of {len(users)} user{pluralize(len(users))}.",
        messages.SUCCESS,
    )
    return None


@admin.action(description="Send a password reset link")
def send_password_reset_link(modeladmin, request, queryset):
    # The user resets their own password from the emailed link; support never sets it.
    sent = 0
    for user in _practice_users(queryset):
        try:
            sent += password_reset_send(user=user, actor=request.user, request=request)
        except ValidationError as exc:
            modeladmin.message_user(
                request, f"{user.username}: {exc.messages[0]}", messages.WARNING
            )
    modeladmin.message_user(request, f"Sent a password reset link to {sent} user{pluralize(sent)}.")


@admin.register(User)
class UserAdmin(ReadOnlyModelAdmin):
    """Search and look across practices; change only through the actions above."""

    list_display = [
        "username",
        "practice",
        "first_name",
        "last_name",
        "email",
        "practice_role",
        "is_active",
        "locked_at",
        "remote_access",
        "last_login",
    ]
    list_filter = ["practice", "is_active", "role", "remote_access", "is_staff"]
    list_select_related = ["practice", "practice_role"]
    search_fields = [
        "username",
        "first_name",
        "last_name",
        "email",
        "practice__code",
        "practice__name",
    ]
    ordering = ["practice__code", "username"]
    # SECURITY: the password hash never appears; support staff send a reset link instead
    # (HIPAA practice: the vendor never knows a user's password).
    fields = [
        "practice",
        "username",
        ("first_name", "last_name"),
        "email",
        ("mobile_phone", "mobile_phone_verified_at"),
        ("practice_role", "role"),
        "is_active",
        ("locked_at", "failed_logins"),
        "pm_username",
        ("remote_access", "remote_access_until", "remote_access_reason"),
        "login_times_restricted",
        "two_factor_setup",
        "second_factors",
        ("password_changed_at", "must_change_password", "temporary_password_expires_at"),
        ("last_login", "date_joined"),
        ("is_staff", "is_superuser"),
    ]
    readonly_fields = ["second_factors"]
    actions = [
        unlock_users,
        activate_users,
        deactivate_users,
        reset_pairing,
        send_password_reset_link,
    ]

    @admin.display(description="Second factors")
    def second_factors(self, user: User) -> str:
        return ", ".join(second_factor_kinds([user.pk]).get(user.pk, [])) or "none"


# --- Roles: read-only per practice; support copies one to another practice ------------------


class _CopyRolesTo(forms.Form):
    to_practice = forms.ModelChoiceField(queryset=Practice.objects.all())


@admin.action(description="Copy selected roles to another practice")
def copy_roles(modeladmin, request, queryset):
    """Asks for the practice, then copies each role there through role_copy (audited in the
    receiving practice's log, with the staff member as the actor)."""
    roles = list(queryset.select_related("practice"))
    # A form reads the practice: a posted value that is not an id finds none, not an error.
    chosen = _CopyRolesTo(request.POST)
    target = chosen.cleaned_data["to_practice"] if chosen.is_valid() else None
    if request.POST.get("confirmed") != "yes" or target is None:
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": "Copy roles to another practice",
            "roles": roles,
            "practices": Practice.objects.order_by("name"),
            "action": "copy_roles",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "opts": modeladmin.model._meta,
        }
        return TemplateResponse(request, "admin/practice/practicerole/copy.html", context)
    copied = 0
    for role in roles:
        try:
            role_copy(role=role, practice=target, actor=request.user, request=request)
        except ValidationError as exc:
            modeladmin.message_user(request, f"{role.name}: {exc.messages[0]}", messages.WARNING)
        else:
            copied += 1
    modeladmin.message_user(
        request, f"Copied {copied} role{pluralize(copied)} to {target}.", messages.SUCCESS
    )
    return None


@admin.register(PracticeRole)
class PracticeRoleAdmin(ReadOnlyModelAdmin):
    """Each practice's roles, to look at; a practice shapes its own in the console."""

    list_display = ["name", "practice", "permission_labels", "seeded_as"]
    list_filter = ["practice"]
    list_select_related = ["practice"]
    search_fields = ["name", "practice__code", "practice__name"]
    ordering = ["practice__code", "name"]
    fields = ["practice", "name", "permission_labels", "seeded_as", "created_at"]
    readonly_fields = ["permission_labels", "created_at"]
    actions = [copy_roles]

    @admin.display(description="Permissions")
    def permission_labels(self, role: PracticeRole) -> str:
        return "; ".join(p.label for p in Permission if p.value in role.permissions) or "none"
