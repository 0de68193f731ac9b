"""The practice administrators' console, mounted at /console/."""

from django.urls import path

from practice.console.views import (
    applications,
    audit,
    invitations,
    lifecycle,
    providers,
    roles,
    settings,
    two_factor,
    users,
)

app_name = "console"

urlpatterns = [
    path("", users.user_list, name="users"),
    path("users/new/", invitations.user_new, name="user_new"),
    path("users/<int:user_id>/", users.user_detail, name="user"),
    path(
        "users/<int:user_id>/temporary-password/",
        users.user_temporary_password,
        name="user_temporary_password",
    ),
    path("users/<int:user_id>/reset-2fa/", users.user_pairing_reset, name="user_pairing_reset"),
    path(
        "users/<int:user_id>/set-up-2fa/",
        two_factor.user_two_factor_setup,
        name="user_two_factor_setup",
    ),
    path(
        "users/<int:user_id>/set-up-2fa/code/",
        two_factor.user_two_factor_setup_code,
        name="user_two_factor_setup_code",
    ),
    path(
        "users/<int:user_id>/sessions/<int:session_id>/end/",
        users.user_session_end,
        name="user_session_end",
    ),
    path("users/<int:user_id>/reinvite/", invitations.user_reinvite_view, name="user_reinvite"),
    path("users/<int:user_id>/invitation/", invitations.user_invitation, name="user_invitation"),
    path("users/<int:user_id>/offboard/", lifecycle.user_offboard_view, name="user_offboard"),
    path("users/<int:user_id>/deactivate/", lifecycle.user_deactivate_view, name="user_deactivate"),
    path(
        "users/<int:user_id>/applications/sign-out/",
        applications.user_applications_sign_out,
        name="user_applications_sign_out",
    ),
    path("sign-out-everyone/", lifecycle.sign_out_everyone_view, name="sign_out_everyone"),
    path("reviews/", lifecycle.reviews_view, name="reviews"),
    path("reviews/start/", lifecycle.review_start_view, name="review_start"),
    path("reviews/<int:review_id>/export.csv", lifecycle.review_export, name="review_export"),
    path("roles/", roles.roles_list, name="roles"),
    path("roles/new/", roles.role_new, name="role_new"),
    path("roles/<int:role_id>/", roles.role_detail, name="role"),
    path("apps/", applications.applications_list, name="applications"),
    path("apps/new/", applications.application_new, name="application_new"),
    path("apps/<int:application_id>/", applications.application_detail, name="application"),
    path(
        "apps/<int:application_id>/secret/",
        applications.application_secret,
        name="application_secret",
    ),
    path(
        "apps/<int:application_id>/switch/",
        applications.application_switch_view,
        name="application_switch",
    ),
    path("settings/", settings.practice_settings, name="settings"),
    path("providers/", providers.providers_list, name="providers"),
    path("providers/new/", providers.provider_new, name="provider_new"),
    path("providers/<int:provider_id>/", providers.provider_detail, name="provider"),
    path(
        "providers/<int:provider_id>/remove/",
        providers.provider_remove_view,
        name="provider_remove",
    ),
    path("audit/", audit.audit_log, name="audit"),
    path("audit/export.csv", audit.audit_export, name="audit_export"),
]
