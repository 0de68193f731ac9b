"""Twilio: Messages for text codes, Calls with TwiML <Say> for voice codes.

The real twilio client builds every request and raises its own errors; tests swap only its
HTTP layer (settings.TWILIO_HTTP_CLIENT, a dotted path to a twilio.http.HttpClient subclass).
"""

import logging

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from phonecodes.senders.base import BaseBackend, SendError, SmsMessage, VoiceMessage

logger = logging.getLogger(__name__)

# Twilio error 21610: "Attempt to send to unsubscribed recipient" (the number replied STOP).
OPTED_OUT_CODE = 21610
# A code is worth nothing after a few seconds of waiting: fail fast and offer another method.
TIMEOUT_SECONDS = 10


class TwilioBackend(BaseBackend):
    def __init__(self, *, account_sid=None, auth_token=None, from_number=None, http_client=None):
        self.account_sid = account_sid or settings.TWILIO_ACCOUNT_SID
        self.auth_token = auth_token or settings.TWILIO_AUTH_TOKEN
        self.from_number = from_number or settings.TWILIO_FROM_NUMBER
        if not (self.account_sid and self.auth_token and self.from_number):
            raise ImproperlyConfigured(
                "SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and "
                "TWILIO_FROM_NUMBER."
            )
        if http_client is None:
            client_path = getattr(settings, "TWILIO_HTTP_CLIENT", "")
            http_client = (
                import_string(client_path)()
                if client_path
                else TwilioHttpClient(timeout=TIMEOUT_SECONDS)
            )
        self.client = Client(self.account_sid, self.auth_token, http_client=http_client)

    def send_text(self, message: SmsMessage) -> None:
        with _translated_errors(message):
            self.client.messages.create(to=message.to, from_=self.from_number, body=message.body)

    def send_voice(self, message: VoiceMessage) -> None:
        with _translated_errors(message):
            self.client.calls.create(
                to=message.to, from_=self.from_number, twiml=str(voice_twiml(message))
            )


def voice_twiml(message: VoiceMessage) -> VoiceResponse:
    """Each sentence its own <Say>, with a one-second pause between them."""
    response = VoiceResponse()
    for index, sentence in enumerate(message.sentences):
        if index:
            response.pause(length=1)
        response.say(sentence)
    return response


class _translated_errors:
    """Turns the twilio client's errors (and network errors) into SendError."""

    def __init__(self, message):
        self.message = message

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None:
            return False
        if isinstance(exc, TwilioException):
            code = getattr(exc, "code", None)
            reason = SendError.OPTED_OUT if code == OPTED_OUT_CODE else SendError.FAILED
            # Only the status: Twilio's message text may repeat the phone number.
            detail = f"HTTP {getattr(exc, 'status', '?')}"
        elif isinstance(exc, requests.RequestException):
            code, reason, detail = None, SendError.FAILED, type(exc).__name__
        else:
            return False
        logger.warning(
            "Twilio %s failed: code=%s %s",
            self.message.channel,
            code,
            detail,
        )
        raise SendError(reason, provider_code=code, detail=detail) from exc
