import pytest
from django.core.cache import cache

from phonecodes import senders
from tests.factories import AdminFactory, PracticeFactory, UserFactory
from tests.phonecodes.twilio_fake import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilioHttpClient
from tests.signin_helpers import sign_in


@pytest.fixture
def practice(db):
    return PracticeFactory(code="valley", name="Valley Pediatrics")


@pytest.fixture
def admin_user(practice):
    return AdminFactory(practice=practice, username="avery", first_name="Avery", last_name="Admin")


@pytest.fixture
def member(practice):
    return UserFactory(practice=practice, username="nina", first_name="Nina", last_name="Reyes")


@pytest.fixture
def console(client, admin_user):
    """A client signed in as the practice's administrator (office network, no second factor)."""
    sign_in(client, admin_user)
    return client


@pytest.fixture(autouse=True)
def empty_cache():
    """Rate limits live in the cache: each test starts with none counted."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def sms_outbox():
    """The locmem SMS backend's outbox, emptied for each test (like mail.outbox)."""
    senders.outbox.clear()
    yield senders.outbox
    senders.outbox.clear()


@pytest.fixture
def fake_twilio(settings):
    """SMS_BACKEND=twilio with the real client over a scripted fake of Twilio's HTTP API."""
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_FROM_NUMBER = FROM_NUMBER
    settings.TWILIO_HTTP_CLIENT = "tests.phonecodes.twilio_fake.FakeTwilioHttpClient"
    FakeTwilioHttpClient.reset()
    yield FakeTwilioHttpClient
    FakeTwilioHttpClient.reset()
