"""The bench's own database: created for the run, dropped afterwards; never the configured one.

On PostgreSQL it is `bench_<configured name>_<pid>` on the configured server. On SQLite it is a
file in a temporary directory (not in memory: the gunicorn processes the bench starts must open
the same database).
"""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connections
from django.test.utils import override_settings, setup_databases, teardown_databases


@contextmanager
def bench_database() -> Iterator[None]:
    """A fresh, migrated database for the run; `connection` points at it inside the block."""
    settings_dict = connections["default"].settings_dict
    with tempfile.TemporaryDirectory(prefix="bench-") as directory:
        if connections["default"].vendor == "sqlite":
            settings_dict["TEST"]["NAME"] = str(Path(directory) / "bench.sqlite3")
        else:
            # Never the name the test suite uses, so a bench can run beside `pytest`.
            settings_dict["TEST"]["NAME"] = f"bench_{settings_dict['NAME']}_{os.getpid()}"
        # What the test client needs, but not Django's setup_test_environment(): that one also
        # makes every template render send a signal the test client answers by copying the
        # context, which would slow template-heavy pages down as no server is. DEBUG off, as in
        # production (with it on, every query is also kept in memory).
        with override_settings(
            DEBUG=False,
            ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        ):
            old_config = setup_databases(
                verbosity=0, interactive=False, aliases={"default"}, serialized_aliases=set()
            )
            try:
                yield
            finally:
                teardown_databases(old_config, verbosity=0)


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL that names the database `settings_dict` is connected to now."""
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{settings_dict['NAME']}"
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = quote(settings_dict.get("HOST") or "localhost", safe="")
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(settings_dict['NAME'], safe='')}"
