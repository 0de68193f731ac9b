"""Two phone setups at once on My Account, for each of a few users (issue 21, item 9).

`setups_at_once(users)` runs in the test's own process on PostgreSQL. On SQLite the test runs
this module (`python -m tests.security.phone_setup_race`) against a SQLite file, in a process of
its own: the suite's SQLite database is in memory, where a second writer fails at once with
"database table is locked" instead of waiting its turn as it does on a file. It then writes one
line of JSON to standard output: what each user's setups answered, and what was sent and kept.
"""

import json
import re
import sys

import django

USERS = 4
AT_ONCE = 2


def user_number(index: int) -> str:
    return f"+120255501{60 + index:02d}"


def setups_at_once(users) -> list[dict]:
    """Post "add this phone" AT_ONCE times at the same moment for each user, from one browser.

    For each user: the answers (status, where to, the form's errors), how many texts went to
    their number, how many codes were recorded and how many unconfirmed phones were kept.
    """
    from http.cookies import SimpleCookie

    from django.test import Client

    from mfa.models import PhoneDevice
    from phonecodes import senders
    from phonecodes.models import PhoneCode
    from tests.mfa.helpers import reauth
    from tests.signin_helpers import sign_in
    from tests.threads import run_together

    browsers = []
    for index, user in enumerate(users):
        # A failed request answers 500 rather than raising: the test client's exception signal
        # is global, so a raising client could report another thread's error as its own.
        first = Client(raise_request_exception=False)
        sign_in(first, user)
        reauth(first)
        for _ in range(AT_ONCE):
            # The same browser twice (a double click, or two tabs): one session.
            browser = Client(raise_request_exception=False)
            browser.cookies = SimpleCookie(first.cookies)
            browsers.append((index, browser))

    def add(i: int) -> tuple[int, int, str, str]:
        index, browser = browsers[i]
        response = browser.post(
            "/account/security/phone/add/", {"number": user_number(index), "method": "sms"}
        )
        return index, response.status_code, response.get("Location", ""), _errors(response)

    answers, _ = run_together(len(browsers), add)
    report = []
    for index, user in enumerate(users):
        report.append(
            {
                "answers": sorted(
                    (
                        [status, location, errors]
                        for i, status, location, errors in answers
                        if i == index
                    ),
                    key=lambda answer: answer[0],
                ),
                "texts": sum(1 for message in senders.outbox if message.to == user_number(index)),
                "codes": PhoneCode.objects.filter(user=user).count(),
                "phones": PhoneDevice.objects.filter(user=user, confirmed=False).count(),
                # The browser goes on to the code of the setup that won.
                "confirm_page": browsers[index * AT_ONCE][1]
                .get("/account/security/phone/confirm/")
                .status_code,
            }
        )
    return report


def _errors(response) -> str:
    """The page's error summary in plain text (not response.context: the signal that fills it
    is global, and another thread's page could land in it)."""
    from django.utils.html import strip_tags

    found = re.search(r'<div class="error-summary.*?</div>', response.content.decode(), re.S)
    return " ".join(strip_tags(found.group(0)).split()) if found else ""


def main() -> list[dict]:
    django.setup()
    # After setup(): these import models.
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    from tests.factories import PracticeFactory, UserFactory

    # The test client's host ("testserver") allowed, mail kept in memory, as under pytest.
    setup_test_environment()
    call_command("migrate", verbosity=0)
    practice = PracticeFactory(code="valley")
    users = [UserFactory(practice=practice, username=f"user{i}") for i in range(USERS)]
    return setups_at_once(users)


if __name__ == "__main__":
    sys.stdout.write(json.dumps(main()) + "\n")
