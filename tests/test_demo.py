"""`make demo`: restarts keep everyone signed in, the terminal shows the codes and emails plainly,
and the demo has a provider and a support staff sign-in."""

import io
import os
import re
import runpy
import shutil
import stat
import subprocess
import sys
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client
from django.utils.log import configure_logging

from accounts.models import User
from mfa.models import PhoneDevice
from phonecodes import senders
from practice.models import AuditEvent, Provider

ROOT = Path(__file__).resolve().parents[1]
DEMO_PASSWORD = "Harbor-Light-42!"  # noqa: S105 - the demo's printed password
CODE = re.compile(r"verification code is (\d{6})")

# --- The secret key outlives the process ----------------------------------------------------


def settings_process(tmp_path: Path, program: str, **env) -> subprocess.CompletedProcess:
    """`python -c program` with config.settings, in a copy of config/ whose var/ is tmp_path's."""
    if not (tmp_path / "config").exists():
        shutil.copytree(ROOT / "config", tmp_path / "config")
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DEBUG", "SECRET_KEY", "OIDC_"))
    }
    clean.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    return subprocess.run(  # noqa: S603 - our own interpreter, a fixed program
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        env=clean,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )


SIGN = "from django.core import signing; print(signing.dumps('nurse', salt='demo'))"


def check(signed: str) -> str:
    return f"from django.core import signing; print(signing.loads({signed!r}, salt='demo'))"


def test_a_restarted_demo_keeps_its_secret_key_so_sessions_and_links_still_work(tmp_path):
    first = settings_process(tmp_path, SIGN, DEBUG="1")
    assert first.returncode == 0, first.stderr
    signed = first.stdout.strip()
    # The next process (the demo restarted) accepts what the first one signed: a session
    # cookie, an emailed link, a sent code.
    second = settings_process(tmp_path, check(signed), DEBUG="1")
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "nurse"
    key_file = tmp_path / "var" / "secret_key"
    assert len(key_file.read_text()) >= 50
    # Owner-only, as the single sign-on key beside it, and in a folder git ignores.
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "var" / "oidc_signing_key.pem").stat().st_mode) == 0o600
    assert "/var/" in (ROOT / ".gitignore").read_text().split()


def test_production_still_refuses_to_start_without_a_secret_key(tmp_path):
    result = settings_process(tmp_path, SIGN, DEBUG="0")
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr
    assert not (tmp_path / "var" / "secret_key").exists()


# --- The terminal -----------------------------------------------------------------------------


@contextmanager
def demo_terminal(monkeypatch, settings):
    """What `make demo` prints, in one stream (its standard output and error, as a terminal
    shows them): the settings' logging, email and text backends as DEBUG=1 makes them.
    (Entered in the test itself: pytest puts its own sys.stdout back between a fixture's setup
    and the test.)"""
    for name in ("LOG_LEVEL", "EMAIL_BACKEND", "SMS_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DEBUG", "1")
    monkeypatch.setenv("SECRET_KEY", settings.SECRET_KEY)
    monkeypatch.setenv("OIDC_RSA_PRIVATE_KEY", settings.OIDC_RSA_PRIVATE_KEY)
    demo = runpy.run_path(str(ROOT / "config" / "settings.py"))
    settings.DEBUG = True
    settings.EMAIL_BACKEND = demo["EMAIL_BACKEND"]
    settings.SMS_BACKEND = demo["SMS_BACKEND"]
    terminal = io.StringIO()
    try:
        with redirect_stdout(terminal), redirect_stderr(terminal):
            configure_logging(settings.LOGGING_CONFIG, demo["LOGGING"])
            yield terminal
    finally:
        configure_logging(settings.LOGGING_CONFIG, django_settings.LOGGING)


def lines_with(text: str, terminal: str) -> list[str]:
    return [line for line in terminal.splitlines() if text in line]


def requests_of_the_demo(terminal: io.StringIO) -> None:
    """Support staff's sign-in, a 403, a CSRF failure and a forgotten password, in the demo."""
    call_command("seed_demo", stdout=io.StringIO())
    # Support staff sign in: the text code is printed as it was sent.
    support = Client()
    support.post("/admin/login/?next=/admin/", {"username": "support", "password": DEMO_PASSWORD})
    [code] = CODE.findall(terminal.getvalue())
    assert "[sms] To: +12025550100" in terminal.getvalue()
    assert support.post("/login/verify/", {"code": code})["Location"] == "/admin/"
    # A user of the practice where they may not go (403), and a form posted without its CSRF
    # token (403): one line each, no traceback.
    nurse = Client(enforce_csrf_checks=True)
    page = nurse.get("/p/demo/login/")
    nurse.post(
        "/p/demo/login/",
        {
            "username": "nurse",
            "password": DEMO_PASSWORD,
            "csrfmiddlewaretoken": page.context["csrf_token"],
        },
    )
    assert nurse.get("/console/settings/").status_code == 403
    assert nurse.post("/logout/").status_code == 403
    # A forgotten password: the email's address, subject and link, as they are.
    Client().post("/password-reset/", {"practice_code": "demo", "identifier": "nurse"})


@pytest.mark.django_db(transaction=True)
def test_the_demo_terminal_shows_codes_and_emails_plainly_and_the_rest_one_line_each(
    monkeypatch, settings
):
    with demo_terminal(monkeypatch, settings) as terminal:
        requests_of_the_demo(terminal)
    printed = terminal.getvalue()
    assert "Traceback" not in printed
    assert len(lines_with("Forbidden (Permission denied): /console/settings/", printed)) == 1
    assert len(lines_with("Forbidden (CSRF token missing.): /logout/", printed)) == 1
    # Audit events: one line each, in words, not JSON.
    [signed_in] = lines_with("audit: signin.succeeded practice=demo user=nurse", printed)
    assert "from=127.0.0.1" in signed_in and "zone=office" in signed_in
    assert lines_with("audit: signin.succeeded user=support", printed)
    assert '"action":' not in printed
    # The email, as a person reads it (not its MIME headers).
    email = printed.split("[email] To: nurse@demo.practicegate.test\n", 1)[1]
    assert email.startswith("Subject: ")
    link = rf"^{re.escape(settings.SITE_URL)}/password-reset/\S+$"
    assert re.search(link, email, re.MULTILINE)
    assert "Content-Transfer-Encoding" not in printed


def test_production_logs_keep_the_audit_events_as_json(monkeypatch, settings):
    monkeypatch.setenv("DEBUG", "0")
    monkeypatch.setenv("SECRET_KEY", settings.SECRET_KEY)
    logging = runpy.run_path(str(ROOT / "config" / "settings.py"))["LOGGING"]
    assert logging == {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"console": {"class": "logging.StreamHandler"}},
        "root": {"handlers": ["console"], "level": "INFO"},
        "loggers": {"django.db.backends": {"level": "WARNING"}},
    }


# --- A provider and a support staff sign-in ----------------------------------------------------


def test_seed_demo_twice_gives_one_provider_and_support_staff_who_sign_in_to_django_admin(
    db, client
):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=io.StringIO())
    [provider] = Provider.objects.filter(practice__code="demo")
    assert provider.npi == "1234567893"
    assert User.objects.get(provider=provider).username == "doctor"
    [staff] = User.objects.filter(practice__isnull=True)
    assert staff.is_staff and staff.username == "support"
    assert PhoneDevice.objects.filter(user=staff, confirmed=True).count() == 1
    assert AuditEvent.objects.filter(action="mfa.device_added", target=staff).count() == 1
    # The sign-in is printed with the others.
    printed = out.getvalue()
    assert re.search(rf"^support\s+{re.escape(DEMO_PASSWORD)}\s", printed, re.MULTILINE)
    assert f"{django_settings.SITE_URL}/admin/" in printed

    response = client.post(
        "/admin/login/?next=/admin/", {"username": "support", "password": DEMO_PASSWORD}
    )
    assert response["Location"] == "/login/verify/"
    [code] = CODE.findall(senders.outbox[-1].body)
    assert client.post("/login/verify/", {"code": code})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
