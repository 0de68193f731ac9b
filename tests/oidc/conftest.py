import pytest

from tests.factories import OfficeNetworkFactory
from tests.oidc.helpers import make_application
from tests.oidc.receiver import Receiver


@pytest.fixture(autouse=True)
def logout_tokens_sent_at_once(settings):
    """Logout tokens go out before the ending returns (in production, a background thread:
    test_background.py runs that), and a failed one is not retried in the test's time."""
    settings.OIDC_BACKCHANNEL_IN_BACKGROUND = False
    settings.OIDC_BACKCHANNEL_RETRY_SECONDS = [60, 300]


@pytest.fixture
def receiver():
    """The application's back-channel logout endpoint (tests.oidc.receiver)."""
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def charts(practice, receiver):
    """A confidential application of the practice, with a back-channel logout URI."""
    return make_application(practice, name="Charts", backchannel_logout_uri=receiver.url)


@pytest.fixture
def office(practice):
    """The test client's own address (127.0.0.1) is inside the practice's office network."""
    return OfficeNetworkFactory(practice=practice, cidr="127.0.0.0/8", label="Front desk")
