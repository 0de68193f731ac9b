import os
import secrets
import subprocess
import sys
from pathlib import Path

from mfa.checks import sms_backend_check


def ids(settings_overrides, settings):
    for name, value in settings_overrides.items():
        setattr(settings, name, value)
    return [problem.id for problem in sms_backend_check(None)]


def test_development_backends_are_fine_in_debug(settings):
    assert ids({"DEBUG": True, "SMS_BACKEND": "console"}, settings) == []


def test_production_warns_about_a_backend_that_sends_nothing(settings):
    assert ids({"DEBUG": False, "SMS_BACKEND": "file"}, settings) == ["mfa.W001"]


def test_production_refuses_the_fake_twilio_network_and_missing_credentials(settings):
    found = ids(
        {
            "DEBUG": False,
            "SMS_BACKEND": "twilio",
            "TWILIO_ACCOUNT_SID": "",
            "TWILIO_HTTP_CLIENT": "tests.mfa.twilio_fake.FakeTwilioHttpClient",
        },
        settings,
    )
    assert found == ["mfa.E001", "mfa.E002"]


def test_production_without_twilio_turns_text_codes_off_quietly(settings):
    assert ids({"DEBUG": False, "SMS_BACKEND": "none"}, settings) == []


def test_check_deploy_is_clean_with_a_real_secret_and_host(tmp_path):
    """The production settings, as a fresh deployment sets them: nothing to report."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DEBUG",
            "SMS_BACKEND",
            "TWILIO_ACCOUNT_SID",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="gate.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    result = subprocess.run(  # noqa: S603 - our own manage.py with a fixed argument list
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
