"""One write path: Django admin changes access only through the services the console uses.

Walks every model Django admin offers and every action on users: each change leaves the same
audit row and follows the same rule as in the console; anything else is refused.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.lockout import user_lock
from accounts.models import User
from accounts.remote_access import remote_access_grant
from oidc.models import Application
from practice.console.admin import UserAdmin
from practice.models import AuditEvent, Practice, PracticeRole, Provider
from tests.factories import PASSWORD
from tests.signin_helpers import signed_in_client

pytestmark = pytest.mark.django_db

USERS = "/admin/accounts/user/"


def events_about(user, *, since: int = 0):
    return list(
        AuditEvent.objects.filter(target=user, pk__gt=since)
        .order_by("id")
        .values_list("action", "actor__username")
    )


def last_event_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


# --- What Django admin offers at all ----------------------------------------------------------

# Every model Django admin offers, and why it may be offered. A model registered later (a
# third-party app's admin, say) fails this test until someone decides what it may do.
OFFERED = {
    User: "read-only; changes through actions that call the services",
    Practice: "through practice_create and practice_settings_update",
    PracticeRole: "read-only; support copies a role to another practice through role_copy",
    AuditEvent: "read-only, append-only",
    Group: "Django's staff permission groups; no practice user's access",
    Application: "read-only; switched off and on through application_switch (audited)",
}


def test_admin_offers_only_models_whose_writes_go_through_the_services():
    assert set(admin.site._registry) == set(OFFERED)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/otp_totp/totpdevice/add/",
        "/admin/otp_static/staticdevice/add/",
        "/admin/otp_email/emaildevice/add/",
        "/admin/django_otp_webauthn/webauthncredential/",
    ],
)
def test_support_cannot_attach_a_second_factor_to_anyone(staff_client, path):
    # A device with a key of support's choosing (or an email device to any address) would
    # defeat the user's second factor.
    assert staff_client.get(path).status_code == 404


def test_the_user_page_shows_the_second_factors_without_their_secrets(staff_client, member):
    device = TOTPDevice.objects.create(user=member, name="Phone", confirmed=True)
    body = staff_client.get(f"{USERS}{member.pk}/change/").content.decode()
    assert "Second factors" in body and "app" in body
    assert device.key not in body
    assert member.password not in body


# --- The user change form writes nothing -------------------------------------------------------


@pytest.mark.parametrize(
    "field, value",
    [
        ("email", "attacker@example.test"),
        ("mobile_phone", "+12025550199"),
        ("role", "admin"),
        ("is_active", ""),
        ("pm_username", "HIJACK"),
        ("two_factor_setup", "none"),
    ],
)
def test_support_cannot_change_a_guarded_field_in_the_change_form(
    staff_client, member, field, value
):
    before = User.objects.filter(pk=member.pk).values().get()
    since = last_event_id()
    response = staff_client.post(f"{USERS}{member.pk}/change/", {field: value})
    assert response.status_code == 403
    assert User.objects.filter(pk=member.pk).values().get() == before
    assert events_about(member, since=since) == []
    assert mail.outbox == []


def test_the_user_page_has_no_save_button(staff_client, member):
    body = staff_client.get(f"{USERS}{member.pk}/change/").content.decode()
    assert 'name="_save"' not in body


def test_users_can_be_filtered_by_practice(staff_client, member, stranger):
    body = staff_client.get(f"{USERS}?practice__id__exact={member.practice_id}").content.decode()
    assert "nina" in body and "stranger" not in body


# --- Every action goes through a service ------------------------------------------------------


def act(client, action, *users):
    data = {"action": action, "_selected_action": [u.pk for u in users], "confirmed": "yes"}
    return client.post(USERS, data, follow=True)


def prepare_unlock(member, admin_user):
    user_lock(user=member, actor=admin_user)


def check_unlock(member):
    assert member.locked_at is None and member.failed_logins == 0
    return [("user.unlocked", "support")]


def prepare_activate(member, admin_user):
    member.pm_username = "NR"
    member.save()
    remote_access_grant(user=member, actor=admin_user)
    User.objects.filter(pk=member.pk).update(is_active=False, remote_access=False)


def check_activate(member):
    # The console's rule: re-activating never gives remote access back.
    assert member.is_active and not member.remote_access
    return [("user.activated", "support")]


def prepare_deactivate(member, admin_user):
    member.pm_username = "NR"
    member.save()
    remote_access_grant(user=member, actor=admin_user)
    signed_in_client(member)  # a browser of theirs, signed in


def check_deactivate(member):
    # Unlike a form that sets is_active, the service removes remote access and ends sessions.
    assert not member.is_active and not member.remote_access
    assert not member.sessions.filter(ended_at__isnull=True).exists()
    return [
        ("user.deactivated", "support"),
        ("remote_access.removed", "support"),
        ("sessions.ended", "support"),
    ]


def prepare_reset_pairing(member, admin_user):
    TOTPDevice.objects.create(user=member, name="Phone", confirmed=True)


def check_reset_pairing(member):
    assert not TOTPDevice.objects.filter(user=member).exists()
    assert member.two_factor_setup == "require"
    return [("mfa.pairing_reset", "support")]


def prepare_reset_link(member, admin_user):
    pass


def check_reset_link(member):
    assert [message.to for message in mail.outbox] == [[member.email]]
    assert "/password-reset/" in mail.outbox[0].body
    assert PASSWORD not in mail.outbox[0].body
    return [("password.reset_link_sent", "support")]


ACTIONS = {
    "unlock_users": (prepare_unlock, check_unlock),
    "activate_users": (prepare_activate, check_activate),
    "deactivate_users": (prepare_deactivate, check_deactivate),
    "reset_pairing": (prepare_reset_pairing, check_reset_pairing),
    "send_password_reset_link": (prepare_reset_link, check_reset_link),
}


def test_every_user_action_is_covered_here():
    assert {action.__name__ for action in UserAdmin.actions} == set(ACTIONS)


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_each_action_calls_the_service_and_audits_it_as_support(
    staff_client, admin_user, member, action
):
    prepare, check = ACTIONS[action]
    prepare(member, admin_user)
    since = last_event_id()
    mail.outbox.clear()
    response = act(staff_client, action, member)
    assert response.status_code == 200
    member.refresh_from_db()
    expected = check(member)
    found = [event for event in events_about(member, since=since) if event[0] != "mfa.code_sent"]
    assert found == expected
    # Every event is in the practice's own log, so the practice sees what support did.
    assert not AuditEvent.objects.filter(pk__gt=since).exclude(practice=member.practice).exists()


# --- Practices -----------------------------------------------------------------------------


def practice_form(practice, **changes) -> dict:
    data = {
        "name": practice.name,
        "time_zone": practice.time_zone,
        "office_networks": "\n".join(practice.office_networks.values_list("cidr", flat=True)),
        "two_factor_policy": practice.two_factor_policy,
        "lockout_threshold": practice.lockout_threshold,
        "auto_unlock_minutes": practice.auto_unlock_minutes,
        "idle_timeout_minutes": practice.idle_timeout_minutes,
        "password_profile": practice.password_profile,
        "password_expiry_days": practice.password_expiry_days,
        "sms_regions": practice.sms_regions,
        "sms_hourly_limit": practice.sms_hourly_limit,
        "password_min_length": practice.password_min_length,
        "password_history": practice.password_history,
        "dormant_after_days": practice.dormant_after_days,
        "access_review_days": practice.access_review_days,
        "providers-TOTAL_FORMS": "0",
        "providers-INITIAL_FORMS": "0",
    }
    for flag in (
        "two_factor_office_exempt",
        "notify_admins_on_lock",
        "one_session_per_user",
        "allow_self_pairing_reset",
    ):
        if getattr(practice, flag):
            data[flag] = "on"
    data.update(changes)
    return data


def test_a_practice_change_is_audited_as_support_with_before_and_after(staff_client, practice):
    since = last_event_id()
    response = staff_client.post(
        f"/admin/practice/practice/{practice.pk}/change/",
        practice_form(practice, lockout_threshold="3", office_networks="10.1.0.0/16"),
    )
    assert response.status_code == 302
    practice.refresh_from_db()
    assert practice.lockout_threshold == 3
    assert list(practice.office_networks.values_list("cidr", flat=True)) == ["10.1.0.0/16"]
    event = AuditEvent.objects.get(pk__gt=since, action="practice.settings_changed")
    assert event.actor.username == "support" and event.practice == practice
    assert event.details["before"]["lockout_threshold"] == 5
    assert event.details["after"] == {"lockout_threshold": 3, "office_networks": ["10.1.0.0/16"]}


def test_a_bad_office_network_is_refused_and_nothing_changes(staff_client, practice):
    since = last_event_id()
    response = staff_client.post(
        f"/admin/practice/practice/{practice.pk}/change/",
        practice_form(practice, lockout_threshold="3", office_networks="10.1.2.3/16"),
    )
    assert response.status_code == 200
    assert "host bits set" in response.content.decode()
    practice.refresh_from_db()
    assert practice.lockout_threshold == 5
    assert not AuditEvent.objects.filter(pk__gt=since).exists()


def test_a_practice_added_in_admin_is_created_by_the_service(staff_client):
    response = staff_client.post(
        "/admin/practice/practice/add/",
        {
            "code": "Hilltop",
            "name": "Hilltop Clinic",
            "time_zone": "America/Chicago",
            "office_networks": "192.168.5.0/24",
            "providers-TOTAL_FORMS": "0",
            "providers-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    practice = Practice.objects.get(code="hilltop")
    assert list(practice.office_networks.values_list("cidr", flat=True)) == ["192.168.5.0/24"]
    event = AuditEvent.objects.get(practice=practice, action="practice.created")
    assert event.actor.username == "support"


def test_a_practice_code_cannot_be_changed_and_practices_are_never_deleted(staff_client, practice):
    staff_client.post(
        f"/admin/practice/practice/{practice.pk}/change/", practice_form(practice, code="other")
    )
    practice.refresh_from_db()
    assert practice.code == "valley"
    response = staff_client.post(f"/admin/practice/practice/{practice.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Practice.objects.filter(pk=practice.pk).exists()


def test_providers_are_kept_per_practice(staff_client, practice, member, other_practice):
    # Support sees each practice's providers (and who is linked) and changes none of them: the
    # practice manages its providers in the console, through practice.providers, audited.
    provider = Provider.objects.create(practice=practice, name="Dr. Ada Park", npi="1234567893")
    Provider.objects.create(practice=other_practice, name="Dr. Other", npi="1234567893")
    member.provider = provider
    member.save()
    page = staff_client.get(f"/admin/practice/practice/{practice.pk}/change/").content.decode()
    assert "Dr. Ada Park" in page and "nina" in page and "Dr. Other" not in page
    assert 'name="providers-0-name"' not in page
    data = practice_form(
        practice,
        **{
            "providers-TOTAL_FORMS": "2",
            "providers-INITIAL_FORMS": "1",
            "providers-0-id": str(provider.pk),
            "providers-0-name": "Dr. Renamed",
            "providers-0-npi": "1003000126",
            "providers-0-DELETE": "on",
            "providers-1-name": "Dr. Added",
            "providers-1-npi": "1245319599",
        },
    )
    since = last_event_id()
    staff_client.post(f"/admin/practice/practice/{practice.pk}/change/", data)
    assert list(Provider.objects.filter(practice=practice).values_list("name", "npi")) == [
        ("Dr. Ada Park", "1234567893")
    ]
    assert not AuditEvent.objects.filter(pk__gt=since, action__startswith="provider.").exists()


# --- Support staff's own password and sign-in ---------------------------------------------


def test_the_admins_password_change_is_my_accounts_with_the_rules(staff_client, staff):
    response = staff_client.get("/admin/password_change/")
    assert response.status_code == 302 and response["Location"] == "/account/password/"
    response = staff_client.post(
        "/account/password/",
        {"current_password": PASSWORD, "new_password1": "a", "new_password2": "a"},
    )
    assert response.status_code == 200
    assert "at least 8 characters" in response.content.decode()
    staff.refresh_from_db()
    assert staff.check_password(PASSWORD)


def test_djangos_own_password_validation_runs_the_practice_rules(staff):
    # createsuperuser and any Django form that sets a password use AUTH_PASSWORD_VALIDATORS.
    with pytest.raises(ValidationError) as refused:
        validate_password("a", user=staff)
    assert "password_too_short" in {error.code for error in refused.value.error_list}
    validate_password("Quiet-Harbor-Lantern-42", user=staff)


def test_support_staff_are_locked_out_like_everyone_else(client, staff):
    for _ in range(5):
        client.post("/admin/login/", {"username": "support", "password": "wrong"})
    staff.refresh_from_db()
    assert staff.locked_at is not None
    response = client.post("/admin/login/", {"username": "support", "password": PASSWORD})
    assert "locked" in response.content.decode().lower()
    assert "_auth_user_id" not in client.session
