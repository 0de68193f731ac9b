"""Sign COUNT users of one practice in at once against the database named by DATABASE_URL.

Run by tests/test_sqlite_concurrency.py as `python -m tests.sqlite_signins COUNT`, in a process
of its own, so that the settings point at a SQLite file: the suite's SQLite test database is in
memory, one connection shared by every thread, which would hide the locking under test. Creates
the practice (office network 127.0.0.0/8, so no second factor is asked) and its users, releases
one sign-in per user at the same moment, each from its own test client, and writes one line of
JSON to standard output: what each sign-in answered and how many "signed in" audit rows exist.
"""

import json
import sys

import django

PASSWORD = "Correct-Horse-9!"


def main(count: int) -> dict:
    django.setup()
    # After setup(): these import models.
    from django.test import Client
    from django.test.utils import setup_test_environment

    from accounts.users import user_create
    from practice.models import AuditEvent
    from practice.services import practice_create
    from tests.threads import run_together

    # The test client's host ("testserver") allowed, and mail kept in memory, as under pytest.
    setup_test_environment()
    practice = practice_create(
        code="valley", name="Valley Pediatrics", time_zone="UTC", office_networks=["127.0.0.0/8"]
    )
    for i in range(count):
        user_create(
            practice=practice,
            username=f"user{i}",
            email=f"user{i}@example.test",
            password=PASSWORD,
            actor=None,
        )

    def sign_in(i: int) -> list:
        # A failed request answers 500 (its traceback goes to the log, on standard error) rather
        # than raising: the test client's exception signal is global, so a raising client could
        # report another thread's error as its own.
        client = Client(raise_request_exception=False)
        response = client.post(
            f"/p/{practice.code}/login/", {"username": f"user{i}", "password": PASSWORD}
        )
        return [response.status_code, response.get("Location", "")]

    outcomes, _ = run_together(count, sign_in)
    audited = AuditEvent.objects.filter(practice=practice, action="signin.succeeded").count()
    return {"outcomes": outcomes, "audited": audited}


if __name__ == "__main__":
    sys.stdout.write(json.dumps(main(int(sys.argv[1]))) + "\n")
