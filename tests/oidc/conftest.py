import pytest


@pytest.fixture(autouse=True)
def logout_tokens_sent_at_once(settings):
    """Logout tokens go out before the ending returns (in production, a background thread)."""
    settings.OIDC_BACKCHANNEL_IN_BACKGROUND = False
