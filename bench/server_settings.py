"""Settings of the gunicorn processes the bench and the two-server test start.

Production's settings (config.settings, read from the environment: DEBUG off, Argon2, the
database and Redis they are given), except one thing: static files are found where they are
(StaticFilesStorage) instead of in a `collectstatic` copy with a manifest, so nothing has to be
collected into the working tree first. Pages still render their static URLs; nothing measured
fetches a static file.
"""

from config.settings import *  # noqa: F403 - production's settings, one storage changed

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
