import io
import re

import pytest
from twilio.base.exceptions import TwilioRestException

from phonecodes.senders import SendError, SmsMessage, VoiceMessage, get_backend, send_message
from tests.phonecodes.twilio_fake import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER

TO = "+12025550143"


def test_file_backend_writes_one_file_a_message_in_the_documented_format(tmp_path, settings):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    send_message(SmsMessage(to=TO, body="Your code is 123456."))
    send_message(SmsMessage(to="+12025550187", body="Your code is 654321."))

    files = sorted((tmp_path / "sms").iterdir())
    assert len(files) == 2
    texts = {f.read_text() for f in files}
    assert f"To: {TO}\n\nYour code is 123456.\n" in texts
    assert "To: +12025550187\n\nYour code is 654321.\n" in texts


def test_console_backend_writes_to_its_stream():
    stream = io.StringIO()
    get_backend("console", stream=stream).send(SmsMessage(to=TO, body="Your code is 123456."))
    assert f"To: {TO}" in stream.getvalue()
    assert "Your code is 123456." in stream.getvalue()


def test_locmem_backend_keeps_an_outbox(sms_outbox, settings):
    settings.SMS_BACKEND = "locmem"
    send_message(VoiceMessage(to=TO, sentences=("1. 2. 3.", "Again:", "1. 2. 3.")))
    assert len(sms_outbox) == 1
    assert sms_outbox[0].channel == "voice"
    assert sms_outbox[0].body == "1. 2. 3.\nAgain:\n1. 2. 3."


def test_twilio_text_goes_to_the_messages_api(fake_twilio):
    send_message(SmsMessage(to=TO, body="Your code is 123456."))

    (request,) = fake_twilio.requests
    assert request.method == "POST"
    assert request.url == f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.auth == (ACCOUNT_SID, AUTH_TOKEN)
    assert request.data == {"To": TO, "From": FROM_NUMBER, "Body": "Your code is 123456."}


def test_twilio_voice_is_a_call_whose_twiml_says_each_sentence(fake_twilio):
    send_message(VoiceMessage(to=TO, sentences=("Your code:", "1. 2. 3.", "Again:", "1. 2. 3.")))

    (request,) = fake_twilio.requests
    assert request.url == f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"
    assert request.data["To"] == TO
    assert request.data["From"] == FROM_NUMBER
    twiml = request.data["Twiml"]
    assert re.findall(r"<Say>(.*?)</Say>", twiml) == [
        "Your code:",
        "1. 2. 3.",
        "Again:",
        "1. 2. 3.",
    ]
    assert twiml.count('<Pause length="1" />') == 3


def test_twilio_21610_is_reported_as_opted_out(fake_twilio):
    fake_twilio.answer_next((400, 21610, "Attempt to send to unsubscribed recipient"))
    with pytest.raises(SendError) as caught:
        send_message(SmsMessage(to=TO, body="Your code is 123456."))
    assert caught.value.reason == "opted_out"
    assert caught.value.provider_code == 21610
    # The real client raised its real exception underneath.
    assert isinstance(caught.value.__cause__, TwilioRestException)


@pytest.mark.parametrize(
    "outcome",
    [(400, 21211, "The 'To' number is not a valid phone number."), (500, 20500, "Internal")],
)
def test_other_twilio_errors_are_reported_as_failed(fake_twilio, outcome):
    fake_twilio.answer_next(outcome)
    with pytest.raises(SendError) as caught:
        send_message(SmsMessage(to=TO, body="Your code is 123456."))
    assert caught.value.reason == "failed"
    assert caught.value.provider_code == outcome[1]


def test_a_twilio_timeout_is_reported_as_failed(fake_twilio):
    fake_twilio.answer_next("timeout")
    with pytest.raises(SendError) as caught:
        send_message(VoiceMessage(to=TO, sentences=("1.",)))
    assert caught.value.reason == "failed"
    assert caught.value.provider_code is None
