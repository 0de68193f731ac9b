"""Fixtures of the security tests: an office network, and empty outboxes and rate limits."""

import pytest
from django.core import mail
from django.core.cache import cache

from phonecodes import senders as sms
from tests.factories import OfficeNetworkFactory


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
    """The test client's address (127.0.0.1) is inside the practice's office network."""
    return OfficeNetworkFactory(practice=practice, cidr="127.0.0.0/8", label="Front desk")
