"""Issue 17, item 3: within the 30-second resend wait, the verify page says exactly what
happened and never asks for a code that was not sent for this sign-in."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import timezone

from accounts.models import User
from tests.mfa.helpers import code_in, phone_device
from tests.mfa.test_signin_stage import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    start = timezone.now().replace(hour=18, minute=2, second=0, microsecond=0)
    with time_machine.travel(start, tick=False) as traveller:
        yield traveller


def text(response) -> str:
    html = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html).replace(" .", ".")


def local(practice) -> str:
    return timezone.now().astimezone(ZoneInfo(practice.time_zone)).strftime("%H:%M")


def test_a_second_sign_in_within_the_wait_is_told_when_it_can_ask(
    client, office, member, sms_outbox, clock
):
    phone_device(member)
    sign_in(client, office.practice)
    first_code = code_in(sms_outbox[-1])
    clock.shift(timedelta(seconds=7))

    other = Client()
    sign_in(other, office.practice)
    assert len(sms_outbox) == 1, "the wait held: no second text"
    page = other.get("/login/verify/")
    html = text(page)
    assert "You can ask for a new code in 23 seconds." in html
    assert (
        "No code has been sent for this sign-in yet: the code that went to ••0143 a moment ago "
        "was for another sign-in and does not work here."
    ) in html
    assert "We sent" not in html and "We texted" not in html
    assert 'name="code"' not in page.content.decode(), "no field for a code never sent"
    assert "A code was sent a moment ago" not in html

    # Typing the first browser's code here checks nothing and counts nothing.
    response = other.post("/login/verify/", {"code": first_code}, follow=True)
    assert "was for another sign-in and does not work here. Ask for one." in text(response)
    assert User.objects.get(pk=member.pk).failed_logins == 0
    assert SESSION_KEY not in other.session

    clock.shift(timedelta(seconds=24))
    other.post("/login/verify/", {"action": "resend"})
    assert len(sms_outbox) == 2
    sent = local(office.practice)
    clock.shift(timedelta(seconds=50))
    html = text(other.get("/login/verify/"))
    assert f"We sent a code to ••0143 at {sent}; it is still valid for 9 minutes." in html
    other.post("/login/verify/", {"code": code_in(sms_outbox[-1])})
    assert other.session[SESSION_KEY] == str(member.pk)


def test_the_first_sign_in_says_when_its_code_went_and_how_long_it_lasts(
    client, office, member, sms_outbox, clock
):
    phone_device(member)
    sign_in(client, office.practice)
    sent = local(office.practice)
    clock.shift(timedelta(seconds=61))
    html = text(client.get("/login/verify/"))
    assert f"We sent a code to ••0143 at {sent}; it is still valid for 8 minutes." in html
    assert "You can ask for a new code" not in html


def test_a_voice_code_says_it_called(client, office, member, sms_outbox, clock):
    phone_device(member, method="voice")
    sign_in(client, office.practice)
    html = text(client.get("/login/verify/"))
    assert f"We called ••0143 with a code at {local(office.practice)};" in html


def test_an_email_code_replaced_by_another_sign_in_is_said_so(
    client, office, member, sms_outbox, clock
):
    from django.core import mail

    phone_device(member)
    sign_in(client, office.practice)
    client.post("/login/verify/", {"action": "switch", "method": "email"})
    assert len(mail.outbox) == 1
    clock.shift(timedelta(seconds=90))  # past django-otp's email cooldown
    other = Client()
    sign_in(other, office.practice)
    other.post("/login/verify/", {"action": "switch", "method": "email"})
    assert len(mail.outbox) == 2
    html = text(client.get("/login/verify/"))
    assert "was replaced by one sent for another sign-in." in html
    assert 'name="code"' not in client.get("/login/verify/").content.decode()
