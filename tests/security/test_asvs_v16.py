"""OWASP ASVS 5.0 V16 Security logging and error handling, Level 2: tests named by requirement
id. docs/SECURITY.md says how each is met, and holds the log inventory (V16.1.1)."""

import ast
import csv
import io
import json
import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import path
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

import config.settings as production_settings
from accounts.lockout import ADDRESS_FAILURE_LIMIT
from accounts.models import UserSession
from accounts.password_reset import ADDRESS_LIMIT
from mfa.recovery_codes.flows import recovery_codes_generate
from phonecodes.codes import SEND_LIMITS, PhoneCodeError, phone_code_send
from practice.audit import audit_line, audit_record
from practice.models import AuditEvent
from practice.vocabulary import AuditAction
from tests.account_helpers import link_open, link_secret
from tests.accounts.conftest import REMOTE, sign_in_post
from tests.factories import PASSWORD, StaffFactory, UserFactory
from tests.mfa.helpers import app_code, app_device, code_in, phone_device
from tests.security.conftest import section
from tests.signin_helpers import sign_in, signed_in_client

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
APPS = ("config", "practice", "phonecodes", "accounts", "mfa")
WRONG = "Wrong-Horse-9!"
NEW_PASSWORD = "Quiet-Harbor-Lantern-42"


def boom(request):
    raise RuntimeError("secret detail: SELECT password FROM accounts_user; key=hunter2")


urlpatterns = [path("boom/", boom)]


class RefusingEmailBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")


REFUSING_EMAIL = f"{__name__}.RefusingEmailBackend"


def actions_about(user) -> list[tuple[str, str]]:
    return [
        (event.action, event.details.get("reason", ""))
        for event in AuditEvent.objects.filter(target=user).order_by("id")
    ]


def new_events(since: int):
    return AuditEvent.objects.filter(pk__gt=since)


def last_event_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


# --- V16.1 Security logging documentation -----------------------------------------------------


def test_v16_1_1_the_inventory_names_every_logger_the_code_writes_to(security_md):
    text = section(security_md, "Logs")
    loggers = []
    for file in (module for app in APPS for module in (ROOT / app).rglob("*.py")):
        tree = ast.parse(file.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", "") == "getLogger"
                and node.args
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id == "__name__"
            ):
                relative = file.relative_to(ROOT).with_suffix("")
                loggers.append(".".join(relative.parts))
    assert "practice.audit" in loggers
    for name in [*loggers, "django.request", "django.security"]:
        assert f"`{name}`" in text, name
    assert "AuditEvent" in text


# --- V16.2 General logging ---------------------------------------------------------------------


def test_v16_2_1_an_event_says_when_where_who_and_what(client, office, member):
    sign_in_post(
        client, office.practice, "nina", WRONG, REMOTE_ADDR=REMOTE, HTTP_USER_AGENT="Firefox/128"
    )
    event = AuditEvent.objects.get(action="signin.failed", target=member)
    assert event.created_at is not None
    assert (event.ip_address, event.user_agent) == (REMOTE, "Firefox/128")
    assert (event.practice, event.target, event.details) == (
        office.practice,
        member,
        {"reason": "wrong_password"},
    )
    sign_in_post(client, office.practice, "nina", PASSWORD)
    event = AuditEvent.objects.get(action="signin.succeeded")
    assert event.actor == member and event.details == {"zone": "office", "second_factor": ""}


def test_v16_2_2_times_are_kept_in_utc_and_exported_with_their_offset(console, member):
    from django.conf import settings

    assert settings.USE_TZ and settings.TIME_ZONE == "UTC"
    event = audit_record(action=AuditAction.PROFILE_UPDATED, actor=member, target=member)
    event.refresh_from_db()
    assert event.created_at.utcoffset() == timedelta(0)
    assert json.loads(audit_line(event))["time"].endswith("+00:00")
    export = b"".join(console.get("/console/audit/export.csv").streaming_content).decode()
    (header, *rows) = list(csv.reader(io.StringIO(export)))
    assert header[0] == "time" and rows
    for row in rows:
        assert re.search(r"T\d\d:\d\d:\d\d\.?\d*[+-]\d\d:\d\d$", row[0]), row[0]


def test_v16_2_3_logs_go_only_where_the_inventory_says():
    config = production_settings.LOGGING
    handlers = {handler["class"] for handler in config["handlers"].values()}
    assert handlers == {"logging.StreamHandler"}  # standard error, for the deployment to ship
    # Django's own "mail_admins" handler mails no one: there are no ADMINS.
    assert getattr(production_settings, "ADMINS", []) == []


def test_v16_2_4_the_export_and_the_log_stream_are_common_formats(console, member):
    event = audit_record(
        action=AuditAction.PROFILE_UPDATED, actor=member, target=member, details={"a": 1}
    )
    line = json.loads(audit_line(event))
    assert line["action"] == "profile.updated" and line["target"] == "nina"
    assert line["details"] == {"a": 1} and line["practice"] == "valley"
    response = console.get("/console/audit/export.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
        "time",
        "action",
        "action label",
        "actor",
        "target",
        "client address",
        "user agent",
        "description",
        "details",
    ]


def test_v16_2_5_no_password_code_or_token_reaches_a_log(client, office, member, caplog):
    caplog.set_level(logging.DEBUG)
    app = app_device(member)
    recovery = recovery_codes_generate(user=member, actor=member)
    sign_in_post(client, office.practice, "nina", WRONG)
    sign_in_post(client, office.practice, "nina", PASSWORD)
    code = app_code(app)
    client.post("/login/verify/", {"code": code})
    client.post("/logout/")
    sign_in_post(client, office.practice, "nina", PASSWORD)
    client.post("/login/verify/", {"action": "switch", "method": "recovery"})
    client.post("/login/verify/", {"code": recovery[0]})
    Client().post("/password-reset/", {"practice_code": "valley", "identifier": "nina"})
    reset_token = link_secret(mail.outbox[-1].body).partition(".")[2]
    secrets = [WRONG, PASSWORD, code, recovery[0], reset_token, app.key]
    logged = [json.dumps(event.details) + event.user_agent for event in AuditEvent.objects.all()]
    logged += [audit_line(event) for event in AuditEvent.objects.all()]
    logged += [record.getMessage() for record in caplog.records]
    assert len(logged) > 10
    for secret in secrets:
        assert not any(secret in line for line in logged), secret


# --- V16.3 Security events ----------------------------------------------------------------------


def test_v16_3_1_every_way_of_proving_who_you_are_is_logged(client, office, member, clock):
    app = app_device(member)
    sign_in_post(client, office.practice, "nina", WRONG)
    sign_in_post(client, office.practice, "nina", PASSWORD)
    client.post("/login/verify/", {"code": "000000"})
    clock.shift(timedelta(seconds=31))
    client.post("/login/verify/", {"code": app_code(app)})
    client.post("/account/confirm-password/", {"password": WRONG, "next": "/account/"})
    client.post("/account/confirm-password/", {"password": PASSWORD, "next": "/account/"})
    client.post("/logout/")
    assert actions_about(member) == [
        ("signin.failed", "wrong_password"),
        ("signin.failed", "second_factor"),
        ("signin.succeeded", ""),
        ("signin.failed", "reauth_password"),
        ("signout", "signed_out"),
    ]
    succeeded = AuditEvent.objects.get(action="signin.succeeded")
    assert succeeded.details == {"zone": "office", "second_factor": "app"}


def test_v16_3_1_a_wrong_code_during_a_password_reset_is_logged(client, member, sms_outbox):
    member.mobile_phone = "+12025550143"
    member.mobile_phone_verified_at = timezone.now()
    member.save()
    client.post("/password-reset/", {"practice_code": "valley", "identifier": "nina"})
    step = link_open(client, mail.outbox[-1].body)["Location"]
    client.get(step)
    right = code_in(sms_outbox[-1])
    client.post(step, {"action": "verify", "code": "000000" if right != "000000" else "111111"})
    failed = AuditEvent.objects.get(action="signin.failed", target=member)
    assert failed.details == {"reason": "phone_code", "during": "password_reset"}
    assert (
        "Password reset refused: wrong code sent to the phone"
        in signed_in_client(member).get("/account/").content.decode()
    )


def test_v16_3_2_refused_access_is_logged_with_who_asked(
    client, office, member, admin_user, caplog, practice
):
    sign_in_post(client, office.practice, "nina", PASSWORD, REMOTE_ADDR=REMOTE)
    assert ("signin.failed", "remote_access") in actions_about(member)
    browser = signed_in_client(member)
    caplog.set_level(logging.WARNING, logger="practice.console.access")
    assert browser.get("/console/settings/").status_code == 403
    (refused,) = [r for r in caplog.records if r.name == "practice.console.access"]
    assert f"user {member.pk}" in refused.getMessage()
    assert "/console/settings/" in refused.getMessage()
    caplog.clear()
    stranger = UserFactory(username="stranger")  # of another practice
    console = signed_in_client(admin_user)
    assert console.get(f"/console/users/{stranger.pk}/").status_code == 404
    (refused,) = [r for r in caplog.records if r.name == "practice.console.access"]
    assert f"user {admin_user.pk}" in refused.getMessage()
    assert str(stranger.pk) in refused.getMessage()
    # A session ended because access was taken away is logged with the reason.
    from accounts.lockout import user_lock

    user_lock(user=member, actor=admin_user)
    browser.get("/account/")
    assert ("sessions.ended", "locked") in actions_about(member)


def test_v16_3_3_anti_automation_refusals_are_logged(client, practice, member, caplog, clock):
    for i in range(ADDRESS_FAILURE_LIMIT + 1):
        sign_in_post(client, practice, f"guess{i}", WRONG, REMOTE_ADDR=REMOTE)
    slowed = AuditEvent.objects.filter(action="signin.failed", details__reason="address_slowed")
    assert slowed.count() == 1 and slowed.get().ip_address == REMOTE
    # Text codes past the toll-fraud limit (5 in 15 minutes, 30 seconds apart).
    (_, most), _ = SEND_LIMITS
    with pytest.raises(PhoneCodeError, match="Too many codes"):
        for i in range(most + 1):
            clock.shift(timedelta(seconds=31))
            phone_code_send(user=member, number="+12025550143", purpose=f"signin:{i}")
    assert AuditEvent.objects.filter(action="mfa.code_refused", target=member).exists()
    # A forged form (no CSRF token) is refused and logged by Django.
    caplog.set_level(logging.WARNING, logger="django.security.csrf")
    forged = Client(enforce_csrf_checks=True)
    assert forged.post(f"/p/{practice.code}/login/", {"username": "nina"}).status_code == 403
    assert any(r.name == "django.security.csrf" for r in caplog.records)


def test_v16_3_3_a_sign_in_step_opened_out_of_order_is_logged(client, office, member, caplog):
    app_device(member)
    sign_in_post(client, office.practice, "nina", PASSWORD)
    since = last_event_id()
    caplog.set_level(logging.INFO)
    response = client.post(
        "/login/password/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings or new_events(since).exists()


def test_v16_3_3_reset_requests_refused_by_the_address_limit_are_logged(client, caplog):
    for _ in range(ADDRESS_LIMIT):
        client.post("/password-reset/", {"practice_code": "valley", "identifier": "nobody"})
    since = last_event_id()
    caplog.set_level(logging.INFO)
    response = client.post("/password-reset/", {"practice_code": "valley", "identifier": "x"})
    assert "Too many reset requests" in response.content.decode()
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings or new_events(since).exists()


@override_settings(ROOT_URLCONF=__name__)
def test_v16_3_4_unexpected_errors_are_logged_with_their_traceback(caplog):
    caplog.set_level(logging.ERROR, logger="django.request")
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info and "boom" in record.getMessage()


def test_v16_3_4_a_mail_server_or_text_provider_that_fails_is_logged(
    client, member, settings, caplog, fake_twilio
):
    caplog.set_level(logging.WARNING)
    settings.EMAIL_BACKEND = REFUSING_EMAIL
    sign_in(client, member)
    change = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    client.post("/account/password/", {"current_password": PASSWORD, **change})
    assert any(r.name == "accounts.notices" and r.exc_info for r in caplog.records)
    fake_twilio.answer_next("timeout")
    with pytest.raises(PhoneCodeError):
        phone_code_send(user=member, number="+12025550143", purpose="signin:down")
    assert any(r.name == "phonecodes.senders.twilio_backend" for r in caplog.records)
    assert AuditEvent.objects.filter(action="mfa.code_send_failed", target=member).exists()


# --- V16.4 Log protection ------------------------------------------------------------------------


def test_v16_4_1_control_characters_never_reach_a_log_line(client, practice, console, caplog):
    sign_in_post(
        client,
        practice,
        "ghost\r\nsignin.succeeded nina",
        WRONG,
        HTTP_USER_AGENT="Evil\r\n2025-01-01 signin.succeeded",
    )
    event = AuditEvent.objects.get(action="signin.failed")
    assert "\n" not in event.details.get("username", "") + event.user_agent
    assert "\r" not in event.details.get("username", "") + event.user_agent
    assert "\n" not in audit_line(event)
    caplog.set_level(logging.WARNING, logger="practice.console.access")
    assert console.get("/console/audit/?user=1%0d%0aforged").status_code == 404
    assert caplog.records
    for record in caplog.records:
        assert "\n" not in record.getMessage() and "\r" not in record.getMessage()
    # A spreadsheet opening the export does not run what a visitor typed.
    AuditEvent.objects.create(
        practice=practice,
        action="signin.failed",
        user_agent='=HYPERLINK("http://evil.example")',
        created_at=event.created_at,
    )
    export = b"".join(console.get("/console/audit/export.csv").streaming_content).decode()
    agents = [row[6] for row in csv.reader(io.StringIO(export))]
    assert '\'=HYPERLINK("http://evil.example")' in agents


def test_v16_4_2_no_page_or_code_path_changes_or_deletes_an_event(member):
    staff = StaffFactory(username="support")
    device = TOTPDevice.objects.create(user=staff, name="Key", confirmed=True)
    staff_client = signed_in_client(staff, zone="remote", device=device)
    event = audit_record(action=AuditAction.PROFILE_UPDATED, actor=member, target=member)
    event.action = "signin.succeeded"
    for attempt in (
        event.save,
        event.delete,
        lambda: AuditEvent.objects.filter(pk=event.pk).update(action="x"),
        lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
    ):
        with pytest.raises(TypeError), transaction.atomic():
            attempt()
    change = f"/admin/practice/auditevent/{event.pk}/change/"
    assert staff_client.post(change, {"action": "signin.succeeded"}).status_code == 403
    delete = f"/admin/practice/auditevent/{event.pk}/delete/"
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == "profile.updated"


def test_v16_4_2_the_database_refuses_to_change_an_event(member):
    from django.db import DatabaseError

    event = audit_record(action=AuditAction.PROFILE_UPDATED, actor=member, target=member)
    table = AuditEvent._meta.db_table
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET action = %s WHERE id = %s", ["x", event.pk])  # noqa: S608


def test_v16_4_3_every_event_also_goes_to_the_log_stream_once_committed(
    member, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.INFO, logger="practice.audit")
    with django_capture_on_commit_callbacks(execute=True):
        event = audit_record(action=AuditAction.PROFILE_UPDATED, actor=member, target=member)
    (record,) = [r for r in caplog.records if r.name == "practice.audit"]
    line = json.loads(record.getMessage())
    assert line["id"] == event.pk and line["action"] == "profile.updated"
    # An event whose change was rolled back is not shipped either.
    caplog.clear()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        audit_record(action=AuditAction.PROFILE_UPDATED, actor=member, target=member)
        raise RuntimeError("the change failed")
    assert not [r for r in caplog.records if r.name == "practice.audit"]


# --- V16.5 Error handling ------------------------------------------------------------------------


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_v16_5_1_an_unexpected_error_shows_a_generic_page():
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body
    for leak in ("hunter2", "SELECT", "RuntimeError", "Traceback", "accounts_user"):
        assert leak not in body


def test_v16_5_2_a_mail_server_that_is_down_changes_nothing_the_user_sees(client, member, settings):
    settings.EMAIL_BACKEND = REFUSING_EMAIL
    response = client.post(
        "/password-reset/", {"practice_code": "valley", "identifier": "nina"}, follow=True
    )
    assert response.redirect_chain == [("/password-reset/sent/", 302)]
    sign_in(client, member)
    change = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    response = client.post("/account/password/", {"current_password": PASSWORD, **change})
    assert response["Location"] == "/account/"
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)


def test_v16_5_2_a_text_provider_that_is_down_leaves_the_other_methods(
    client, office, member, fake_twilio
):
    phone = phone_device(member)
    app_device(member)
    phone.last_used_at = timezone.now()  # the text is the method tried first
    phone.save()
    fake_twilio.answer_next("timeout")
    sign_in_post(client, office.practice, "nina", PASSWORD)
    page = client.get("/login/verify/").content.decode()
    assert "We could not send the code" in page and "Authenticator app" in page
    assert SESSION_KEY not in client.session


def test_v16_5_3_an_error_while_signing_in_leaves_nobody_signed_in(office, member, monkeypatch):
    import accounts.signin

    original = accounts.signin.audit_record

    def failing(*, action, **kwargs):
        if action == AuditAction.SIGNIN_SUCCEEDED:
            raise RuntimeError("the audit log is unavailable")
        return original(action=action, **kwargs)

    monkeypatch.setattr(accounts.signin, "audit_record", failing)
    browser = Client(raise_request_exception=False)
    response = sign_in_post(browser, office.practice, "nina", PASSWORD)
    assert response.status_code == 500
    assert SESSION_KEY not in browser.session
    assert browser.get("/account/").status_code == 302
    assert browser.get("/auth/verify").status_code == 401
    assert not UserSession.objects.filter(user=member).exists()
