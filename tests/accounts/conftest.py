import pytest

from tests.factories import OfficeNetworkFactory

REMOTE = "203.0.113.9"  # TEST-NET-3: outside every office network


@pytest.fixture
def office(practice):
    """The test client's own address (127.0.0.1) is inside the practice's office network."""
    return OfficeNetworkFactory(practice=practice, cidr="127.0.0.0/8", label="Front desk")


def sign_in_post(client, practice, username, password, *, follow=False, **extra):
    return client.post(
        f"/p/{practice.code}/login/",
        {"username": username, "password": password},
        follow=follow,
        **extra,
    )
