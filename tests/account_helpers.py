"""Helpers for the My Account and password tests (issue 6): links and codes out of messages."""

import re
from urllib.parse import urlsplit

from django.test import Client

from tests.signin_helpers import sign_in

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


def signed_in_client(user, *, zone: str = "office", user_agent: str = "") -> Client:
    """Another browser, signed in as `user` (its own session and UserSession row)."""
    client = Client(HTTP_USER_AGENT=user_agent) if user_agent else Client()
    sign_in(client, user, zone=zone)
    return client
