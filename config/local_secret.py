"""Secrets of local development, generated once and kept in a file that git ignores (var/).

With DEBUG and no secret in the environment, `make demo` needs one that outlives the process:
a new SECRET_KEY at every restart would sign everyone out and void every emailed link, and a
new OpenID Connect signing key would void every token issued. Production takes both from the
environment and never comes here. Read by config.settings before the apps load: nothing here
may import Django models.
"""

import os
from collections.abc import Callable
from pathlib import Path


def local_secret(path: Path, make: Callable[[], str]) -> str:
    """The secret kept at `path`; made with `make()` and written there (owner-only) when there
    is none yet."""
    if path.exists():
        return path.read_text()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside, then linked into place only if no secret is there yet: of two processes
    # starting at once (runserver and its reloader), one secret wins and both read it (never
    # half a file, never two secrets).
    partial = path.with_name(f"{path.name}.{os.getpid()}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(make())
    try:
        os.link(partial, path)
    except FileExistsError:
        pass
    finally:
        partial.unlink()
    return path.read_text()
