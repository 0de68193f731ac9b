"""Production settings derive what they can from ALLOWED_HOSTS."""

import json
import os
import subprocess
import sys
from pathlib import Path

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
