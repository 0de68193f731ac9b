"""Helpers for the My Account and password tests (issue 6): links and codes out of messages."""

import re
from pathlib import Path
from urllib.parse import urlsplit

LINK = re.compile(r"https?://\S+")
CODE = re.compile(r"\b(\d{6})\b")


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def link_in(body: str) -> str:
    """The one link in an email body."""
    links = LINK.findall(body)
    assert len(links) == 1, body
    return links[0]


def link_path(body: str) -> str:
    """The path of the one link in an email body (all of it a browser sends to the server)."""
    return urlsplit(link_in(body)).path


def link_secret(body: str) -> str:
    """The secret of the one link in an email body: what follows its `#`."""
    secret = urlsplit(link_in(body)).fragment
    assert secret, body
    return secret


def link_open(client, body: str, *, follow: bool = False):
    """Open the emailed link as a browser does: GET its page (the browser sends no `#` part),
    then post the `#` part as the page's script does. Returns the answer to that post: a
    redirect to the link's step page."""
    path = link_path(body)
    page = client.get(path)
    assert page.status_code == 200, page
    found = CSRF_INPUT.search(page.content.decode())
    data = {"link": link_secret(body), "csrfmiddlewaretoken": found.group(1) if found else ""}
    return client.post(path, data, follow=follow)


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
