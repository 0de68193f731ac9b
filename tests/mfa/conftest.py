import pytest


@pytest.fixture
def office(practice):
    """The test client's address (127.0.0.1) is inside the practice's office network."""
    from tests.factories import OfficeNetworkFactory

    return OfficeNetworkFactory(practice=practice, cidr="127.0.0.0/8", label="Front desk")
