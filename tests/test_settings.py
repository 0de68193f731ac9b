"""Production settings derive what they can from ALLOWED_HOSTS."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from jwcrypto import jwk

PRINT = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.OTP_WEBAUTHN_RP_ID, s.OTP_WEBAUTHN_ALLOWED_ORIGINS, s.SMS_BACKEND]))"
)


def production_settings(**env) -> list:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DEBUG", "OTP_", "SMS_"))}
    clean.update(DJANGO_SETTINGS_MODULE="config.settings", SECRET_KEY="x" * 50, **env)
    result = subprocess.run(  # noqa: S603 - our own interpreter, a fixed program
        [sys.executable, "-c", PRINT],
        capture_output=True,
        text=True,
        env=clean,
        cwd=Path(__file__).resolve().parents[1],
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def test_passkeys_belong_to_the_first_host_name_over_https():
    rp_id, origins, _ = production_settings(ALLOWED_HOSTS="10.0.0.5,gate.example.org")
    assert rp_id == "gate.example.org"
    assert origins == ["https://gate.example.org"]


def test_text_codes_are_off_in_production_until_twilio_is_configured():
    assert production_settings(ALLOWED_HOSTS="gate.example.org")[2] == "none"
    assert (
        production_settings(ALLOWED_HOSTS="gate.example.org", TWILIO_ACCOUNT_SID="AC1")[2]
        == "twilio"
    )


SIGNING_KEY = (
    jwk.JWK.generate(kty="RSA", size=2048).export_to_pem(private_key=True, password=None).decode()
)


def check_deploy(tmp_path, **overrides) -> subprocess.CompletedProcess:
    """manage.py check --deploy with the production settings, as a fresh deployment sets them."""
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
        SITE_URL="https://gate.example.org",
        # Single sign-on's signing key (docs/oidc.md), which production must have.
        OIDC_RSA_PRIVATE_KEY=SIGNING_KEY,
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    env.update(overrides)
    return subprocess.run(  # noqa: S603 - our own manage.py with a fixed argument list
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[1],
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_a_real_secret_host_and_site_url(tmp_path):
    result = check_deploy(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_refuses_a_deployment_without_its_signing_key(tmp_path):
    result = check_deploy(tmp_path, OIDC_RSA_PRIVATE_KEY="")
    assert result.returncode != 0
    assert "oidc.E001" in result.stdout + result.stderr


def test_check_deploy_refuses_a_missing_or_plain_http_site_url(tmp_path):
    for site_url in ("", "http://gate.example.org", "https://gate.example.org/path"):
        result = check_deploy(tmp_path, SITE_URL=site_url)
        assert result.returncode != 0
        assert "practice.E001" in result.stdout + result.stderr
