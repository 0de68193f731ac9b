"""A page that sends a phone code and asks for it back: My Account's phone change, the password
reset's phone step, the registration phone step.

Such a page asks for a code only when one was sent. Each keeps a small dict in the session (its
"state"); `code_step_send` sends through phonecodes.codes.phone_code_send and writes into it what
happened: the code that went out (by text or call, to which number, until when it works), or
why nothing went out and until when a new code cannot be asked for. `code_step` reads it back:
`CodeStep.sent` decides whether the page shows the "Verification code" field, and
`CodeStep.text` says in words what was sent, or what happened instead and when a code can be
sent (the refusals of phonecodes.codes: countries, the 30-second wait, the limits, a number that
replied STOP).
"""

import math
from dataclasses import dataclass

from django.utils import timezone

from phonecodes.codes import PhoneCodeError, phone_code_send, sent_message
from phonecodes.models import PhoneChannel
from phonecodes.numbers import number_ending

SENT_KEY = "code_sent"
REFUSED_KEY = "code_refused"

NOT_SENT = "No code has been sent to {destination} yet."
COOLDOWN_TEXT = (
    "Codes go out at most every 30 seconds, and one went to your phone a moment ago: you can "
    "ask for a code for this page in {wait}."
)
CHOOSE_CHANNEL = "Choose a text message or a call."


def code_step_send(request, state: dict, *, user, number: str, channel: str, purpose: str) -> bool:
    """Send a code for `purpose` to `number` and remember in `state` what happened; True if
    a code went out. A refusal is kept with its message, and with when a new code may be asked
    for when that is a matter of time."""
    now = timezone.now().timestamp()
    if channel not in PhoneChannel.values:
        state[REFUSED_KEY] = {"message": CHOOSE_CHANNEL, "code": "channel", "until": None}
        return False
    try:
        sent = phone_code_send(
            user=user, number=number, channel=channel, purpose=purpose, request=request
        )
    except PhoneCodeError as exc:
        state[REFUSED_KEY] = {
            "message": exc.message,
            "code": exc.code,
            "until": now + exc.seconds_left if exc.seconds_left else None,
        }
        return False
    state[SENT_KEY] = {
        "channel": channel,
        "number": number,
        "expires_at": sent.expires_at.timestamp(),
    }
    state.pop(REFUSED_KEY, None)
    return True


def code_step_tried(state: dict) -> bool:
    """Whether this page has tried to send a code yet (sent or refused): it sends by itself
    only once, as it opens; after that only the buttons send."""
    return SENT_KEY in state or REFUSED_KEY in state


def _seconds_text(seconds: int) -> str:
    return f"{seconds} second{'' if seconds == 1 else 's'}"


@dataclass(frozen=True)
class CodeStep:
    """What the page can say: the live code sent for it (`channel` "" when there is none), and
    the last refusal, if the last try sent nothing."""

    channel: str
    number: str
    seconds_valid: int
    expired: bool  # a code was sent for this page, and its 10 minutes have passed
    refusal: str
    refusal_code: str
    wait_seconds: int

    @property
    def sent(self) -> bool:
        """A code was sent for this page and still works: the page asks for it."""
        return bool(self.channel)

    @property
    def destination(self) -> str:
        return f"your phone ending in {number_ending(self.number)}"

    @property
    def sent_text(self) -> str:
        if not self.sent:
            return ""
        minutes = math.ceil(self.seconds_valid / 60)
        valid = f"It works for {minutes} more minute{'' if minutes == 1 else 's'}."
        return f"{sent_message(self.channel, self.number)} {valid}"

    @property
    def refusal_text(self) -> str:
        """Why the last try sent nothing, and when a code can be asked for."""
        if self.refusal_code == "cooldown":
            if not self.wait_seconds:
                return "" if self.sent else "You can ask for a code now."
            if self.sent:
                return f"You can ask for a new code in {_seconds_text(self.wait_seconds)}."
            return COOLDOWN_TEXT.format(wait=_seconds_text(self.wait_seconds))
        return self.refusal

    @property
    def text(self) -> str:
        """The page's one sentence or two about the code."""
        if self.sent:
            return " ".join(part for part in (self.sent_text, self.refusal_text) if part)
        if self.expired:
            said = f"The code we sent to {self.destination} has expired: ask for a new one."
        else:
            said = NOT_SENT.format(destination=self.destination)
        return " ".join(part for part in (said, self.refusal_text) if part)


def code_step(state: dict, number: str) -> CodeStep:
    """The code step of a page whose code goes to `number`, as `state` remembers it."""
    now = timezone.now().timestamp()
    sent = state.get(SENT_KEY) or {}
    ours = sent.get("number") == number
    live = ours and sent.get("expires_at", 0) > now
    refused = state.get(REFUSED_KEY) or {}
    until = refused.get("until")
    return CodeStep(
        channel=sent.get("channel", "") if live else "",
        number=number,
        seconds_valid=max(0, math.ceil(sent["expires_at"] - now)) if live else 0,
        expired=ours and not live,
        refusal=refused.get("message", ""),
        refusal_code=refused.get("code", ""),
        wait_seconds=max(0, math.ceil(until - now)) if until else 0,
    )
