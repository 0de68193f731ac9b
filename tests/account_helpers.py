"""Helpers for the My Account and password tests (issue 6): links and codes out of messages."""

import re
from pathlib import Path
from urllib.parse import urlsplit

LINK = re.compile(r"https?://\S+")
CODE = re.compile(r"\b(\d{6})\b")


def link_path(body: str) -> str:
    """The path of the one link in an email body."""
    links = LINK.findall(body)
    assert len(links) == 1, body
    return urlsplit(links[0]).path


def code_in(text: str) -> str:
    """The 6-digit code in a text message, or in a call's script (read digit by digit)."""
    match = CODE.search(text)
    if match is None:
        # A call reads "1. 2. 3. ..." before "Again, your code is:".
        digits = re.sub(r"[^0-9]", "", text.split("Again")[0])
        assert len(digits) == 6, text
        return digits
    return match.group(1)


def file_email_bodies(directory) -> list[str]:
    """The messages Django's file email backend wrote into `directory`, oldest first."""
    files = sorted(Path(directory).glob("*.log"), key=lambda p: p.stat().st_mtime_ns)
    return [path.read_text(encoding="utf-8") for path in files]


def file_sms_messages(directory) -> list[tuple[str, str]]:
    """(to, text) of each message the SMS file backend wrote into `directory`, oldest first."""
    messages = []
    for path in sorted(Path(directory).glob("*.txt"), key=lambda p: p.stat().st_mtime_ns):
        head, _, text = path.read_text(encoding="utf-8").partition("\n\n")
        assert head.startswith("To: "), head
        messages.append((head.removeprefix("To: "), text))
    return messages
