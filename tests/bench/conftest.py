"""The bench's app installed, as bench.settings installs it: the suite's settings, like
production's, leave it out (it is development tooling, not part of the product)."""

import pytest


@pytest.fixture(autouse=True)
def bench_installed(settings):
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "bench"]
