"""Sending text messages and voice calls, like Django's email backends.

settings.SMS_BACKEND names the backend: "console" (the default with DEBUG: print to standard
output), "file" (one file a message in settings.SMS_FILE_PATH), "locmem" (append to `outbox`, for
tests), "twilio" (Twilio's Messages and Calls APIs through the real twilio client) or "none"
(text and voice codes are not offered). A dotted path to a BaseBackend subclass works too.

Backends raise SendError: `opted_out` when the carrier says the number replied STOP (Twilio
error 21610), `failed` for anything else (an API error, a timeout). They never log the text of a
message: it holds a code.
"""

from django.conf import settings
from django.utils.module_loading import import_string

from phonecodes.senders.base import BaseBackend, SendError, SmsMessage, VoiceMessage

__all__ = [
    "BaseBackend",
    "SendError",
    "SmsMessage",
    "VoiceMessage",
    "get_backend",
    "outbox",
    "send_message",
    "sms_enabled",
]

BACKENDS = {
    "console": "phonecodes.senders.backends.ConsoleBackend",
    "file": "phonecodes.senders.backends.FileBackend",
    "locmem": "phonecodes.senders.backends.LocmemBackend",
    "twilio": "phonecodes.senders.twilio_backend.TwilioBackend",
    "none": "phonecodes.senders.backends.DisabledBackend",
}

# The locmem backend appends every message here (tests clear it), as django.core.mail.outbox.
outbox: list[SmsMessage | VoiceMessage] = []


def get_backend(name: str | None = None, **kwargs) -> BaseBackend:
    name = name or settings.SMS_BACKEND
    return import_string(BACKENDS.get(name, name))(**kwargs)


def sms_enabled() -> bool:
    """Whether text and voice codes can be sent at all (not with SMS_BACKEND="none")."""
    return settings.SMS_BACKEND != "none"


def send_message(message: SmsMessage | VoiceMessage, *, backend: str | None = None) -> None:
    """Send one text message or voice call; raises SendError."""
    get_backend(backend).send(message)
