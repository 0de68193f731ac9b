"""What a username may be: ASCII letters and digits, and . _ - @ (an email address works).

Typed text is NFKC-normalised first, so full-width "ｎｉｎａ" is "nina". Everything else is
refused with a plain message naming the character: control characters (CR/LF would split a
header or a log line), zero-width and bidi characters (invisible, or reversing what is shown),
and letters of other scripts (a Cyrillic "а" looks like a Latin "a": "nаdia" is not "nadia").
One alphabet also keeps "the same username, ignoring case" the same rule on SQLite and
PostgreSQL, whose case folding differ beyond ASCII. Names (first, last) may use any script.
"""

import string
import unicodedata

from django.core.exceptions import ValidationError

ALLOWED = frozenset(string.ascii_letters + string.digits + "._-@")
MAX_LENGTH = 150


def normalize_username(value: str) -> str:
    """The username as stored and looked up: NFKC, without surrounding spaces."""
    return unicodedata.normalize("NFKC", value).strip()


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, "")
    shown = ch if ch.isprintable() and not ch.isspace() else ""
    return f"“{shown}” (U+{ord(ch):04X} {name})" if shown else f"U+{ord(ch):04X} {name}".strip()


def validate_username(value: str) -> None:
    if not value:
        raise ValidationError("A username is required.", code="username_required")
    if len(value) > MAX_LENGTH:
        raise ValidationError(
            "A username can be at most %(max)d characters.",
            code="username_too_long",
            params={"max": MAX_LENGTH},
        )
    refused = [ch for ch in dict.fromkeys(value) if ch not in ALLOWED]
    if refused:
        raise ValidationError(
            "A username may hold only the letters A to Z, digits and . _ - @; "
            "it cannot hold %(chars)s.",
            code="username_characters",
            params={"chars": ", ".join(_describe(ch) for ch in refused[:3])},
        )
