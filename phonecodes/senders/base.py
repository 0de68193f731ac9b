"""What every text/voice backend takes and raises."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SmsMessage:
    """A text message to one E.164 number."""

    to: str
    body: str
    channel = "sms"


@dataclass(frozen=True)
class VoiceMessage:
    """A phone call that reads `sentences` aloud, with a pause between them."""

    to: str
    sentences: tuple[str, ...] = field(default_factory=tuple)
    channel = "voice"

    @property
    def body(self) -> str:
        """The call as text, for the console, file and locmem backends."""
        return "\n".join(self.sentences)


class SendError(Exception):
    """The message could not be sent. `reason` is "opted_out" or "failed"."""

    OPTED_OUT = "opted_out"
    FAILED = "failed"

    def __init__(self, reason: str, *, provider_code: int | None = None, detail: str = ""):
        super().__init__(f"{reason} ({provider_code})" if provider_code else reason)
        self.reason = reason
        self.provider_code = provider_code
        # For the log: the provider's words, never the message text (it holds a code).
        self.detail = detail


class BaseBackend:
    """Subclasses implement send_text and send_voice; both raise SendError on failure."""

    def send(self, message: SmsMessage | VoiceMessage) -> None:
        if isinstance(message, VoiceMessage):
            self.send_voice(message)
        else:
            self.send_text(message)

    def send_text(self, message: SmsMessage) -> None:
        raise NotImplementedError

    def send_voice(self, message: VoiceMessage) -> None:
        raise NotImplementedError
