"""The practice administrators' console, mounted at /console/."""

from django.urls import path

from practice import views

app_name = "console"

urlpatterns = [
    path("", views.user_list, name="users"),
    path("users/new/", views.user_new, name="user_new"),
    path("users/<int:user_id>/", views.user_detail, name="user"),
    path(
        "users/<int:user_id>/temporary-password/",
        views.user_temporary_password,
        name="user_temporary_password",
    ),
    path("users/<int:user_id>/reset-2fa/", views.user_pairing_reset, name="user_pairing_reset"),
    path(
        "users/<int:user_id>/sessions/<int:session_id>/end/",
        views.user_session_end,
        name="user_session_end",
    ),
    path("users/<int:user_id>/reinvite/", views.user_reinvite_view, name="user_reinvite"),
    path("users/<int:user_id>/invitation/", views.user_invitation, name="user_invitation"),
    path("settings/", views.practice_settings, name="settings"),
    path("audit/", views.audit_log, name="audit"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
]
