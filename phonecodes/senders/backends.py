"""Backends for development and tests: standard output, files, and an in-memory outbox."""

import sys
import threading
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from phonecodes import senders
from phonecodes.senders.base import BaseBackend, SendError, SmsMessage, VoiceMessage


def _as_text(message: SmsMessage | VoiceMessage) -> str:
    # The documented file format: "To: <E.164>", a blank line, then the text.
    return f"To: {message.to}\n\n{message.body}\n"


class ConsoleBackend(BaseBackend):
    """Writes each message to a stream (standard output by default), for `make demo`."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()

    def send(self, message: SmsMessage | VoiceMessage) -> None:
        with self._lock:
            self.stream.write(f"[{message.channel}] {_as_text(message)}{'-' * 60}\n")
            self.stream.flush()

    send_text = send_voice = send


class FileBackend(BaseBackend):
    """One file a message in settings.SMS_FILE_PATH (created if missing)."""

    def __init__(self, file_path: str | None = None):
        self.directory = Path(file_path or settings.SMS_FILE_PATH)

    def send(self, message: SmsMessage | VoiceMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        path = self.directory / f"{stamp}-{message.channel}-{uuid.uuid4().hex[:12]}.txt"
        path.write_text(_as_text(message), encoding="utf-8")

    send_text = send_voice = send


class LocmemBackend(BaseBackend):
    """Appends to phonecodes.senders.outbox, as Django's locmem email backend to mail.outbox."""

    def send(self, message: SmsMessage | VoiceMessage) -> None:
        senders.outbox.append(message)

    send_text = send_voice = send


class DisabledBackend(BaseBackend):
    """SMS_BACKEND="none": nothing is sent; pages do not offer text or voice codes."""

    def send(self, message: SmsMessage | VoiceMessage) -> None:
        raise SendError(SendError.FAILED, detail="SMS_BACKEND is none")

    send_text = send_voice = send
