"""The default SQLite database takes concurrent writers: they wait their turn, none fails.

Against a SQLite file, in processes of their own running the production settings (Argon2
included): the suite's own SQLite test database is in memory, one connection that every thread
shares, where "database is locked" cannot happen. Without the SQLite OPTIONS in
config/settings.py, 11 of the 12 commands and about half of the sign-ins fail with "database is
locked".
"""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Correct-Horse-9!"

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="about SQLite's locking",
)


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Path:
    """A migrated SQLite file, shared by this module's tests (each adds its own practice)."""
    path = tmp_path_factory.mktemp("sqlite") / "gate.sqlite3"
    manage("migrate", "--verbosity", "0", database=path)
    return path


def environment(database: Path) -> dict:
    """The production settings in development mode, on `database`, as a fresh clone runs them."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "DEBUG", "EMAIL_", "SMS_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="1",
        SECRET_KEY="test-only",
        DATABASE_URL=f"sqlite:///{database}",
    )
    return env


def manage(*args: str, database: Path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own manage.py with a fixed argument list
        [sys.executable, "manage.py", *args],
        capture_output=True,
        text=True,
        env=environment(database),
        cwd=ROOT,
        timeout=60,
        check=True,
    )


def test_twelve_create_user_commands_at_once_all_succeed(database):
    manage("create_practice", "north", "--name", "North Clinic", database=database)
    count = 12
    commands = [
        subprocess.Popen(  # noqa: S603 - our own manage.py with a fixed argument list
            [
                sys.executable,
                "manage.py",
                "create_user",
                "north",
                f"user{i}",
                "--email",
                f"user{i}@example.test",
                "--password-stdin",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment(database),
            cwd=ROOT,
        )
        for i in range(count)
    ]
    # Every password goes in before any command is waited for, so they all run side by side.
    for command in commands:
        command.stdin.write(PASSWORD + "\n")
        command.stdin.close()
    failures = []
    for command in commands:
        # A traceback fits in the pipe's buffer, so waiting before reading cannot hang.
        if command.wait(timeout=60) != 0:
            failures.append(command.stderr.read().strip().splitlines()[-1:])
        command.stdout.close()
        command.stderr.close()
    assert failures == []

    with sqlite3.connect(database) as db:
        usernames = {
            name
            for (name,) in db.execute(
                "SELECT u.username FROM accounts_user u"
                " JOIN practice_practice p ON p.id = u.practice_id WHERE p.code = 'north'"
            )
        }
    assert usernames == {f"user{i}" for i in range(count)}


def test_sixteen_sign_ins_at_once_all_succeed(database):
    result = subprocess.run(  # noqa: S603 - our own interpreter, a fixed program
        [sys.executable, "-m", "tests.sqlite_signins", "16"],
        capture_output=True,
        text=True,
        env=environment(database),
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    # On failure, the end of the server log says why ("database is locked").
    # The practice's first user is its administrator, who lands on the console.
    assert sorted(report["outcomes"]) == sorted([[302, "/console/"]] + [[302, "/account/"]] * 15), (
        result.stderr[-3000:]
    )
    assert report["audited"] == 16
