"""Serving the mozilla-django-oidc application (tests/oidc/rp/) on a port of its own, in a
process of its own, registered with PracticeGate as an application of `practice`."""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

from oidc.applications import application_create

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def relying_party_served(*, issuer: str, practice, database: Path, **application):
    """Yields the application's base URL (http://127.0.0.1:<port>) while it runs."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    registered = application_create(
        practice=practice,
        actor=None,
        name=application.pop("name", "Mozilla RP"),
        redirect_uris=[f"{base}/oidc/callback/"],
        **application,
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.oidc.rp.settings",
        "PYTHONPATH": str(ROOT),
        "RP_DATABASE": str(database),
        "RP_ISSUER": issuer,
        "RP_CLIENT_ID": registered.application.client_id,
        "RP_CLIENT_SECRET": registered.secret,
    }
    env.pop("DATABASE_URL", None)
    django = [sys.executable, "-m", "django"]
    subprocess.run([*django, "migrate", "-v", "0"], env=env, cwd=ROOT, check=True)  # noqa: S603
    server = subprocess.Popen(  # noqa: S603
        [*django, "runserver", f"127.0.0.1:{port}", "--noreload", "--nothreading"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{base}/failed/", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)
