"""System checks: the shortcuts that make development and tests easy are refused in production."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

DEV_SMS_BACKENDS = {"console", "file", "locmem"}


@register(Tags.security, deploy=True)
def sms_backend_check(app_configs, **kwargs):
    problems = []
    if settings.DEBUG:
        return problems
    if settings.SMS_BACKEND in DEV_SMS_BACKENDS:
        problems.append(
            Warning(
                f"SMS_BACKEND={settings.SMS_BACKEND!r} texts and calls no one, and writes each "
                "code where others can read it.",
                hint='Set SMS_BACKEND=twilio and the TWILIO_* variables, or "none" to turn text '
                "and voice codes off.",
                id="phonecodes.W001",
            )
        )
    if getattr(settings, "TWILIO_HTTP_CLIENT", ""):
        problems.append(
            Error(
                "TWILIO_HTTP_CLIENT replaces Twilio's network layer; it is for tests only.",
                hint="Remove TWILIO_HTTP_CLIENT from the production settings.",
                id="phonecodes.E001",
            )
        )
    if settings.SMS_BACKEND == "twilio" and not (
        settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_FROM_NUMBER
    ):
        problems.append(
            Error(
                "SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and "
                "TWILIO_FROM_NUMBER.",
                id="phonecodes.E002",
            )
        )
    return problems
