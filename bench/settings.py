"""Settings of `manage.py bench`: the project's settings, plus the bench's app.

The bench is development tooling outside the product: config.settings does not install it, so
neither a deployment nor the test suite carries its command or its admin site. manage.py picks
this module when the command is `bench`.
"""

from config.settings import *  # noqa: F403 - the project's settings, one app added

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405
