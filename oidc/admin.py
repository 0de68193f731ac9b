"""Support staff's view of the practices' applications: read-only, with audited actions.

django-oauth-toolkit's own admin pages are taken away: they would let anyone with admin access
edit a client's secret, redirect URIs or grant type, or read codes and tokens, around the
services and the audit log. What support may do is switch an application off (say, when a
practice reports it compromised) and on again, through the same service as the console.
"""

from django.contrib import admin, messages
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from oidc.applications import application_switch
from oidc.models import Application
from practice.admin_readonly import ReadOnlyModelAdmin

for toolkit_model in (
    Application,
    get_access_token_model(),
    get_grant_model(),
    get_id_token_model(),
    get_refresh_token_model(),
):
    if admin.site.is_registered(toolkit_model):
        admin.site.unregister(toolkit_model)


@admin.action(description="Switch off selected applications (their sign-ins end)")
def switch_off(modeladmin, request, queryset):
    switched = sum(
        application_switch(application=application, actor=request.user, on=False, request=request)
        for application in queryset.select_related("practice")
    )
    modeladmin.message_user(request, f"Switched off {switched} application(s).", messages.SUCCESS)


@admin.action(description="Switch on selected applications")
def switch_on(modeladmin, request, queryset):
    switched = sum(
        application_switch(application=application, actor=request.user, on=True, request=request)
        for application in queryset.select_related("practice")
    )
    modeladmin.message_user(request, f"Switched on {switched} application(s).", messages.SUCCESS)


@admin.register(Application)
class ApplicationAdmin(ReadOnlyModelAdmin):
    list_display = ["name", "practice", "client_id", "client_type", "is_active", "created"]
    list_filter = ["is_active", "client_type", "practice"]
    list_select_related = ["practice"]
    search_fields = ["name", "client_id", "practice__code", "practice__name"]
    ordering = ["practice__code", "name"]
    # SECURITY: never the secret (a hash, but still nobody's business), nor any token.
    fields = [
        "practice",
        "name",
        "client_id",
        "client_type",
        "is_active",
        "redirect_uris",
        "post_logout_redirect_uris",
        "backchannel_logout_uri",
        "always_second_factor",
        ("created", "updated"),
    ]
    actions = [switch_off, switch_on]
