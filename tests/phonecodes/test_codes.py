import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from phonecodes.codes import (
    PhoneCodeError,
    phone_code_send,
    phone_code_verify,
)
from phonecodes.models import PhoneCode
from practice.models import AuditEvent
from tests.factories import PracticeFactory, UserFactory

NUMBER = "+12025550143"
OTHER_NUMBER = "+12025550187"
PURPOSE = "signin:abc123"


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def last_code(outbox) -> str:
    return re.search(r"\b(\d{6})\b", outbox[-1].body).group(1)


def send(user, purpose=PURPOSE, number=NUMBER, channel="sms"):
    return phone_code_send(user=user, number=number, channel=channel, purpose=purpose)


def test_a_texted_code_verifies_once(member, sms_outbox):
    send(member)
    assert sms_outbox[-1].to == NUMBER
    assert sms_outbox[-1].channel == "sms"
    code = last_code(sms_outbox)

    assert phone_code_verify(user=member, purpose=PURPOSE, code=code) is True
    assert phone_code_verify(user=member, purpose=PURPOSE, code=code) is False


def test_the_code_is_not_stored_in_plaintext(member, sms_outbox):
    send(member)
    code = last_code(sms_outbox)
    row = PhoneCode.objects.get(user=member)
    assert code not in row.code_hash
    assert code not in str(AuditEvent.objects.filter(target=member).values_list("details"))


def test_a_code_is_bound_to_its_purpose_and_user(member, practice, sms_outbox):
    send(member, purpose="signin:first")
    code = last_code(sms_outbox)
    other = UserFactory(practice=practice)

    assert phone_code_verify(user=member, purpose="signin:second", code=code) is False
    assert phone_code_verify(user=other, purpose="signin:first", code=code) is False
    assert phone_code_verify(user=member, purpose="signin:first", code=code) is True


def test_a_code_expires_after_ten_minutes(member, sms_outbox, clock):
    send(member, purpose="signin:a")
    first = last_code(sms_outbox)
    clock.shift(timedelta(minutes=9, seconds=59))
    assert phone_code_verify(user=member, purpose="signin:a", code=first) is True

    sent = send(member, purpose="signin:b")
    second = last_code(sms_outbox)
    assert sent.expires_at == timezone.now() + timedelta(minutes=10)
    clock.shift(timedelta(minutes=10, seconds=1))
    assert phone_code_verify(user=member, purpose="signin:b", code=second) is False


def test_a_new_code_replaces_the_old_one_and_keeps_the_count_of_wrong_tries(
    member, sms_outbox, clock
):
    send(member)
    old = last_code(sms_outbox)
    for _ in range(4):
        assert phone_code_verify(user=member, purpose=PURPOSE, code="000000") is False
    clock.shift(timedelta(seconds=31))
    send(member)
    new = last_code(sms_outbox)

    assert phone_code_verify(user=member, purpose=PURPOSE, code=old) is False  # the 5th wrong try
    # Five wrong tries for this sign-in: even the right new code is refused now.
    assert phone_code_verify(user=member, purpose=PURPOSE, code=new) is False


def test_wrong_tries_are_limited(member, sms_outbox):
    send(member)
    code = last_code(sms_outbox)
    for _ in range(5):
        phone_code_verify(user=member, purpose=PURPOSE, code="not a code")
    assert phone_code_verify(user=member, purpose=PURPOSE, code=code) is False


def test_resending_waits_thirty_seconds(member, sms_outbox, clock):
    send(member)
    clock.shift(timedelta(seconds=12))
    with pytest.raises(PhoneCodeError) as caught:
        send(member)
    assert caught.value.code == "cooldown"
    assert caught.value.seconds_left == 18
    assert "18 seconds" in caught.value.message
    assert len(sms_outbox) == 1

    clock.shift(timedelta(seconds=18, milliseconds=1))
    send(member)
    assert len(sms_outbox) == 2


def test_at_most_five_codes_in_fifteen_minutes_per_user(member, sms_outbox, clock):
    for _ in range(5):
        send(member)
        clock.shift(timedelta(seconds=31))
    with pytest.raises(PhoneCodeError) as caught:
        send(member, number=OTHER_NUMBER)
    assert caught.value.code == "rate_limited"
    assert len(sms_outbox) == 5
    assert AuditEvent.objects.filter(
        target=member, action="mfa.code_refused", details__reason="rate_limited"
    ).exists()

    clock.shift(timedelta(minutes=15))
    send(member)
    assert len(sms_outbox) == 6


def test_at_most_five_codes_in_fifteen_minutes_per_number(practice, sms_outbox, clock):
    users = UserFactory.create_batch(6, practice=practice)
    for user in users[:5]:
        send(user)
    with pytest.raises(PhoneCodeError) as caught:
        send(users[5])
    assert caught.value.code == "rate_limited"


def test_at_most_ten_codes_a_day(member, sms_outbox, clock):
    for _ in range(2):
        for _ in range(5):
            send(member)
            clock.shift(timedelta(seconds=31))
        clock.shift(timedelta(minutes=15))
    with pytest.raises(PhoneCodeError) as caught:
        send(member)
    assert caught.value.code == "rate_limited"
    clock.shift(timedelta(days=1))
    send(member)


def test_only_e164_numbers_of_the_allowed_countries(member, sms_outbox):
    with pytest.raises(PhoneCodeError) as caught:
        send(member, number="2025550143")
    assert caught.value.code == "invalid_number"
    with pytest.raises(PhoneCodeError) as caught:
        send(member, number="+442079460958")
    assert caught.value.code == "country_not_allowed"
    assert "in these countries: United States, Canada" in caught.value.message
    assert sms_outbox == []


def test_a_practice_may_allow_more_countries(db, sms_outbox):
    user = UserFactory(practice=PracticeFactory(sms_regions="US, CA, GB"))
    send(user, number="+447400123456")
    assert sms_outbox[-1].to == "+447400123456"


def test_a_voice_code_reads_the_digits_twice(member, sms_outbox):
    send(member, channel="voice")
    message = sms_outbox[-1]
    assert message.channel == "voice"
    digits = [s for s in message.sentences if re.fullmatch(r"(\d\. ){5}\d\.", s)]
    assert len(digits) == 2
    code = digits[0].replace(". ", "").rstrip(".")
    assert phone_code_verify(user=member, purpose=PURPOSE, code=code) is True


def test_twilio_text_carries_the_code(member, fake_twilio):
    send(member)
    (request,) = fake_twilio.requests
    assert request.url.endswith("/Messages.json")
    assert request.data["To"] == NUMBER
    code = re.search(r"\b(\d{6})\b", request.data["Body"]).group(1)
    assert phone_code_verify(user=member, purpose=PURPOSE, code=code) is True


def test_twilio_voice_call_reads_the_digits_slowly_twice(member, fake_twilio):
    send(member, channel="voice")
    (request,) = fake_twilio.requests
    assert request.url.endswith("/Calls.json")
    assert request.data["To"] == NUMBER
    said = re.findall(r"<Say>(.*?)</Say>", request.data["Twiml"])
    spoken_codes = [s for s in said if re.fullmatch(r"(\d\. ){5}\d\.", s)]
    assert len(spoken_codes) == 2 and spoken_codes[0] == spoken_codes[1]
    code = spoken_codes[0].replace(". ", "").rstrip(".")
    assert phone_code_verify(user=member, purpose=PURPOSE, code=code) is True


def test_an_opted_out_number_gets_the_plain_message_and_an_audit_and_no_count(
    member, fake_twilio, clock
):
    for _ in range(6):
        fake_twilio.answer_next((400, 21610, "Attempt to send to unsubscribed recipient"))
        with pytest.raises(PhoneCodeError) as caught:
            send(member)
        assert caught.value.code == "opted_out"
        # It names the number to text START to: the one the codes come from.
        assert caught.value.message == (
            "This number has opted out of text messages. Text START to +1 202 555 0100 from "
            "that phone, then try again, or choose another method."
        )
        clock.shift(timedelta(seconds=31))

    assert AuditEvent.objects.filter(target=member, action="mfa.code_opted_out").count() == 6
    event = AuditEvent.objects.filter(target=member, action="mfa.code_opted_out").first()
    assert event.details["provider_code"] == 21610
    assert event.details["number"] == "+1••••••0143"
    member.refresh_from_db()
    assert member.failed_logins == 0
    # Six refusals by the carrier used none of the five codes the limit allows.
    assert send(member).expires_at > timezone.now()


@pytest.mark.parametrize("outcome", [(500, 20500, "Internal Server Error"), "timeout"])
def test_other_twilio_failures_say_could_not_send(member, fake_twilio, outcome):
    fake_twilio.answer_next(outcome)
    with pytest.raises(PhoneCodeError) as caught:
        send(member)
    assert caught.value.code == "send_failed"
    assert "could not send" in caught.value.message.lower()
    assert "another method" in caught.value.message
    assert AuditEvent.objects.filter(target=member, action="mfa.code_send_failed").exists()
    assert not PhoneCode.objects.filter(user=member, status="sent").exists()
