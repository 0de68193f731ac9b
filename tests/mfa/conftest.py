import pytest

from mfa import sms
from tests.mfa.twilio_fake import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilioHttpClient


@pytest.fixture(autouse=True)
def sms_outbox():
    """The locmem SMS backend's outbox, emptied for each test (like mail.outbox)."""
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def fake_twilio(settings):
    """SMS_BACKEND=twilio with the real client over a scripted fake of Twilio's HTTP API."""
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_FROM_NUMBER = FROM_NUMBER
    settings.TWILIO_HTTP_CLIENT = "tests.mfa.twilio_fake.FakeTwilioHttpClient"
    FakeTwilioHttpClient.reset()
    yield FakeTwilioHttpClient
    FakeTwilioHttpClient.reset()


@pytest.fixture
def office(practice):
    """The test client's address (127.0.0.1) is inside the practice's office network."""
    from tests.factories import OfficeNetworkFactory

    return OfficeNetworkFactory(practice=practice, cidr="127.0.0.0/8", label="Front desk")
