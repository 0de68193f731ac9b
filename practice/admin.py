"""Support staff's view of practices and of the (read-only) audit log.

One write path: a practice is created by practice_create and its policy changed by
practice_settings_update, the same services as the command and the console, so every change is
audited with the staff member as its actor and appears in the practice's own audit log. Its
providers are shown, not changed: the practice manages them in the console.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from practice.admin_readonly import ReadOnlyModelAdmin
from practice.forms import OfficeNetworksField
from practice.models import AuditEvent, Practice, Provider
from practice.services import (
    SUPPORT_SETTINGS_FIELDS,
    practice_create,
    practice_settings_update,
    refuse_wide_networks,
)
from practice.validators import normalize_regions


class ProviderInline(admin.TabularInline):
    """The practice's providers, to look at: the practice manages them in the console
    (/console/providers/, practice.providers, audited), so support changes none here."""

    model = Provider
    extra = 0
    fields = ["name", "npi", "linked_user"]
    readonly_fields = ["name", "npi", "linked_user"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Linked user")
    def linked_user(self, provider: Provider) -> str:
        user = provider.users.first()
        return f"{user.get_username()} ({user.practice.code})" if user is not None else "nobody"


class PracticeForm(forms.ModelForm):
    """The practice's fields, with its office networks as one text box (one CIDR a line)."""

    office_networks = OfficeNetworksField()
    confirm_wide_networks = forms.BooleanField(
        label="Save anyway: I mean these very wide networks", required=False
    )

    class Meta:
        model = Practice
        fields = ["code", *SUPPORT_SETTINGS_FIELDS]

    def clean_sms_regions(self):
        # "us,ca" is saved as "US, CA"; a calling code ("+1") is refused with why.
        return normalize_regions(self.cleaned_data["sms_regions"])

    def clean(self):
        cleaned = super().clean()
        already = (
            list(self.instance.office_networks.values_list("cidr", flat=True))
            if self.instance.pk
            else []
        )
        try:
            refuse_wide_networks(
                cleaned.get("office_networks") or [],
                confirmed=cleaned.get("confirm_wide_networks", False),
                already=already,
            )
        except ValidationError as exc:
            self.add_error(None, exc)
        return cleaned

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["office_networks"].initial = "\n".join(
                self.instance.office_networks.order_by("cidr").values_list("cidr", flat=True)
            )


@admin.register(Practice)
class PracticeAdmin(admin.ModelAdmin):
    form = PracticeForm
    list_display = ["code", "name", "time_zone", "two_factor_policy", "created_at"]
    search_fields = ["code", "name"]
    inlines = [ProviderInline]

    def get_fields(self, request, obj=None):
        if obj is None:
            # A new practice: what practice_create takes; its policy starts at the defaults.
            return ["code", "name", "time_zone", "office_networks", "confirm_wide_networks"]
        return ["code", "office_networks", "confirm_wide_networks", *SUPPORT_SETTINGS_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        # The code is in every sign-in link and bookmark: it is chosen once.
        return ["code"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        networks = form.cleaned_data["office_networks"]
        if not change:
            created = practice_create(
                code=obj.code,
                name=obj.name,
                time_zone=obj.time_zone,
                office_networks=networks,
                wide_networks_confirmed=form.cleaned_data["confirm_wide_networks"],
                actor=request.user,
                request=request,
            )
            obj.pk = created.pk
            obj.code = created.code
            return
        changed = [name for name in form.changed_data if name in SUPPORT_SETTINGS_FIELDS]
        practice_settings_update(
            practice=obj,
            actor=request.user,
            values={name: form.cleaned_data[name] for name in changed},
            office_networks=networks,
            fields=SUPPORT_SETTINGS_FIELDS,
            wide_networks_confirmed=form.cleaned_data["confirm_wide_networks"],
            request=request,
        )

    def has_delete_permission(self, request, obj=None):
        # A practice's users and audit log refer to it: it is never deleted.
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyModelAdmin):
    """Append-only: nobody adds, changes or deletes an event here, superusers included."""

    list_display = ["created_at", "practice", "action", "actor", "target", "ip_address"]
    list_filter = ["action"]
    list_select_related = ["practice", "actor", "target"]
    search_fields = ["action", "target__username", "actor__username", "practice__code"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def get_actions(self, request):
        return {}
