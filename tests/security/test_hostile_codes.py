"""Issue 21, items 8, 9 and 12: text, voice and email codes an attacker could make us send."""

import html
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone
from django.utils.html import strip_tags
from django_otp.plugins.otp_totp.models import TOTPDevice

from mfa.models import PhoneDevice
from practice.models import AuditEvent
from tests.factories import PASSWORD, StaffFactory, UserFactory
from tests.mfa.helpers import app_device, reauth
from tests.practice.test_admin_write_path import practice_form
from tests.security.phone_setup_race import AT_ONCE, USERS, setups_at_once
from tests.signin_helpers import sign_in, signed_in_client
from tests.threads import run_together

ROOT = Path(__file__).resolve().parents[2]


# --- Item 9: two phone setups at once ------------------------------------------------------


def assert_one_setup_won_for_each_user(report: list[dict]) -> None:
    for user in report:
        statuses = [status for status, _, _ in user["answers"]]
        # Never a 500: one setup goes on to the code, the other says why not, plainly.
        assert statuses == [200] * (AT_ONCE - 1) + [302], user
        assert user["answers"][-1][1] == "/account/security/phone/confirm/"
        assert "A code was sent a moment ago" in user["answers"][0][2], user
        # One text, one code counted, one phone waiting for it: the loser sent nothing.
        assert (user["texts"], user["codes"], user["phones"]) == (1, 1, 1), user
        assert user["confirm_page"] == 200, user


@pytest.mark.django_db(transaction=True)
def test_item9_two_phone_setups_at_once_one_wins_never_a_500_postgres(practice):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite: the test below runs the same setups against a SQLite file")
    users = [UserFactory(practice=practice, username=f"user{i}") for i in range(USERS)]
    assert_one_setup_won_for_each_user(setups_at_once(users))


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="the suite runs on PostgreSQL: the test above",
)
def test_item9_two_phone_setups_at_once_one_wins_never_a_500_sqlite(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings_test",
        DATABASE_URL=f"sqlite:///{tmp_path / 'gate.sqlite3'}",
    )
    done = subprocess.run(  # noqa: S603 - our own module with a fixed argument list
        [sys.executable, "-m", "tests.security.phone_setup_race"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert_one_setup_won_for_each_user(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.django_db(transaction=True)
def test_item9_the_desk_and_my_account_adding_the_same_phone_at_once(
    practice, admin_user, member, sms_outbox
):
    """The console's "Set up two-factor now" (a text) shares the setup: the same rule."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locking with threads in one process")
    member.mobile_phone = "+12025550177"
    member.mobile_phone_verified_at = timezone.now()
    member.save(update_fields=["mobile_phone", "mobile_phone_verified_at"])
    desk = Client(raise_request_exception=False)
    sign_in(desk, admin_user, device=TOTPDevice.objects.create(user=admin_user, confirmed=True))
    own = Client(raise_request_exception=False)
    sign_in(own, member)
    reauth(own)
    posts = [
        lambda: desk.post(
            f"/console/users/{member.pk}/set-up-2fa/", {"method": "text", "password": PASSWORD}
        ),
        lambda: own.post(
            "/account/security/phone/add/", {"number": "+12025550177", "method": "sms"}
        ),
    ]
    statuses, _ = run_together(2, lambda i: posts[i]().status_code)
    # One goes on to the code (302); the other shows its form again with the wait (the
    # console's 400, My Account's 200): never a 500.
    assert sorted(statuses) in ([200, 302], [302, 400])
    assert len(sms_outbox) == 1
    assert PhoneDevice.objects.filter(user=member, confirmed=False).count() == 1


# --- Item 12: email codes at sign-in on the password alone --------------------------------


def page_text(response) -> str:
    return " ".join(html.unescape(strip_tags(response.content.decode())).split())


def test_item12_email_codes_on_the_password_alone_are_capped_per_hour(
    client, office, member, clock
):
    """Someone with only the password signs in again and again and asks for the email code
    each time, once a minute (django-otp's own wait): 5 emails an hour, then the page says
    when another can be sent; an hour after the first, one can."""
    app_device(member)
    mail.outbox = []
    pages = []
    for _ in range(12):
        client.post(f"/p/{office.practice.code}/login/", {"username": "nina", "password": PASSWORD})
        pages.append(
            page_text(
                client.post("/login/verify/", {"action": "switch", "method": "email"}, follow=True)
            )
        )
        clock.shift(timedelta(seconds=61))
    assert len(mail.outbox) == 5
    # The sixth asked 5 x 61 seconds after the first: the hour has 55 minutes to go.
    assert (
        "Too many codes were emailed to you in the last hour. You can ask for a new one in "
        "55 minutes, or choose another method." in pages[5]
    )
    assert "in 49 minutes" in pages[-1]
    # The administrators can see it: one row, however often it was asked for after.
    refused = AuditEvent.objects.filter(action="mfa.code_refused", target=member)
    assert [event.details for event in refused] == [{"reason": "rate_limited", "channel": "email"}]

    clock.shift(timedelta(minutes=48))
    client.post(f"/p/{office.practice.code}/login/", {"username": "nina", "password": PASSWORD})
    client.post("/login/verify/", {"action": "switch", "method": "email"})
    assert len(mail.outbox) == 6


def test_item12_emergency_declarations_on_the_password_alone_email_the_admins_3_times_an_hour(
    client, office, member, admin_user, clock
):
    """The same kind: declaring an emergency takes only the password of an emergency access
    account, and emails every administrator a reason of the declarer's choosing."""
    member.emergency_access = True
    member.login_times_restricted = True
    member.save()
    app_device(member)
    mail.outbox = []
    for _ in range(6):
        client.post(f"/p/{office.practice.code}/login/", {"username": "nina", "password": PASSWORD})
        assert client.post("/login/emergency/", {"reason": "Call 555 0100 now"}).status_code == 302
        clock.shift(timedelta(minutes=1))
    assert len(mail.outbox) == 3
    # Each declaration is still in the audit log.
    assert AuditEvent.objects.filter(action="emergency.declared", target=member).count() == 6


# --- Item 8: toll fraud through the +1 zone -----------------------------------------------


def my_account(user) -> Client:
    browser = signed_in_client(user)
    reauth(browser)
    return browser


def add_phone(browser, number: str, method: str = "sms"):
    return browser.post("/account/security/phone/add/", {"number": number, "method": method})


@pytest.mark.parametrize(
    "number, why",
    [
        ("+1 876 210 1234", "its country is Jamaica"),
        ("+1 809 234 5678", "its country is Dominican Republic"),
        ("+1 900 200 1234", "it is a premium-rate number"),
    ],
)
@pytest.mark.parametrize("method", ["sms", "voice"])
def test_item8_plus_one_allowed_refuses_jamaica_the_dominican_republic_and_premium_rate(
    member, fake_twilio, number, why, method
):
    response = add_phone(my_account(member), number, method)
    assert response.status_code == 200
    page = page_text(response)
    accepted = (
        "Voice codes can only go to mobile or landline numbers"
        if method == "voice"
        else "Text codes can only go to mobile numbers"
    )
    assert f"This number is not accepted: {why}. {accepted} in these countries: " in page
    assert "United States, Canada." in page
    assert fake_twilio.requests == []
    assert not PhoneDevice.objects.filter(user=member).exists()


def test_item8_a_us_mobile_is_accepted(member, fake_twilio):
    response = add_phone(my_account(member), "+1 202 555 0187")
    assert response["Location"] == "/account/security/phone/confirm/"
    (sent,) = fake_twilio.requests
    assert sent.data["To"] == "+12025550187"


def test_item8_a_landline_takes_calls_but_not_texts(practice, member, fake_twilio):
    practice.sms_regions = "GB"
    practice.save(update_fields=["sms_regions"])
    landline = "+44 20 7946 0958"
    refused = page_text(add_phone(my_account(member), landline, "sms"))
    assert "This number is not accepted: it is a landline number." in refused
    assert "Text codes can only go to mobile numbers in this country: United Kingdom." in refused
    response = add_phone(my_account(member), landline, "voice")
    assert response["Location"] == "/account/security/phone/confirm/"
    assert [request.url.rsplit("/", 1)[-1] for request in fake_twilio.requests] == ["Calls.json"]


def test_item8_support_cannot_write_a_calling_code_for_a_country(practice):
    staff = StaffFactory(username="support")
    staff_client = signed_in_client(
        staff, device=TOTPDevice.objects.create(user=staff, name="Key", confirmed=True)
    )
    path = f"/admin/practice/practice/{practice.pk}/change/"
    form = practice_form(practice, sms_regions="+1")
    page = page_text(staff_client.post(path, form))
    assert "“+1” is a calling code, not a country (it covers 25 of them)." in page
    practice.refresh_from_db()
    assert practice.sms_regions == "US, CA"

    assert staff_client.post(path, {**form, "sms_regions": "us,ca gb"}).status_code == 302
    practice.refresh_from_db()
    assert practice.sms_regions == "US, CA, GB"


def test_item8_the_practice_cap_stops_the_next_send_within_the_hour_across_users(
    practice, admin_user, fake_twilio, clock
):
    practice.sms_hourly_limit = 3
    practice.save(update_fields=["sms_hourly_limit"])
    users = [UserFactory(practice=practice, username=f"user{i}") for i in range(5)]
    answers = []
    for index, user in enumerate(users[:4]):
        answers.append(add_phone(my_account(user), f"+120255501{60 + index:02d}"))
        clock.shift(timedelta(minutes=1))
    assert [answer.status_code for answer in answers] == [302, 302, 302, 200]
    assert len(fake_twilio.requests) == 3
    assert (
        "Your practice has sent as many text and voice codes as it may in an hour. You can ask "
        "for a new one in 57 minutes, or choose another method." in page_text(answers[3])
    )
    # The administrators see it in the practice's audit log.
    audit = page_text(signed_in_client(admin_user).get("/console/audit/"))
    assert "Code not sent (limit reached)" in audit
    assert "The practice's hourly limit of text and voice codes" in audit

    clock.shift(timedelta(minutes=57))
    assert add_phone(my_account(users[4]), "+12025550164").status_code == 302
    assert len(fake_twilio.requests) == 4


@pytest.mark.django_db(transaction=True)
def test_item8_plus_one_stored_before_means_the_us_and_canada():
    """Migration practice 0006: "1" meant every +1 country; it becomes US and CA. Any other
    calling code keeps the numbers it allowed; text that allowed nothing still does."""
    before = [("practice", "0005_practice_roles")]
    after = [("practice", "0006_practice_sms_regions")]
    stored = {"valley": "1", "harbor": "+1, 44", "odd": "abc", "none": ""}
    try:
        Practice = migrate(before).get_model("practice", "Practice")
        for code, codes in stored.items():
            Practice.objects.create(code=code, name=code, sms_country_codes=codes)
        Practice = migrate(after).get_model("practice", "Practice")
        assert dict(Practice.objects.values_list("code", "sms_regions")) == {
            "valley": "US, CA",
            "harbor": "US, CA, GB, GG, IM, JE",
            "odd": "",
            "none": "",
        }
        Practice = migrate(before).get_model("practice", "Practice")
        assert dict(Practice.objects.values_list("code", "sms_country_codes")) == {
            "valley": "1",
            "harbor": "1, 44",
            "odd": "",
            "none": "",
        }
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps
