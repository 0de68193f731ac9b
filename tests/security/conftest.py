"""Fixtures of the security tests: the office network the test client sits in, empty outboxes
and rate limits, a frozen clock, and the text of docs/SECURITY.md (documentation requirements
are checked against it)."""

from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from phonecodes import senders as sms
from tests.factories import OfficeNetworkFactory

SECURITY_MD = Path(__file__).resolve().parents[2] / "docs" / "SECURITY.md"


@pytest.fixture(autouse=True)
def clean_slate():
    """Rate limits live in the cache; messages in the outboxes. Each test starts with none."""
    cache.clear()
    sms.outbox.clear()
    mail.outbox = []
    yield
    cache.clear()
    sms.outbox.clear()


@pytest.fixture
def office(practice):
    """The test client's own address (127.0.0.1) is inside the practice's office network."""
    return OfficeNetworkFactory(practice=practice, cidr="127.0.0.0/8", label="Front desk")


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture(scope="session")
def security_md() -> str:
    return SECURITY_MD.read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    """The body of the `## heading` section of a Markdown document (up to the next `## `), its
    whitespace collapsed so that where a line wraps does not matter."""
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return " ".join(text[start : end if end != -1 else len(text)].split())
