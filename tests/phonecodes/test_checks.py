from phonecodes.checks import sms_backend_check


def ids(settings_overrides, settings):
    for name, value in settings_overrides.items():
        setattr(settings, name, value)
    return [problem.id for problem in sms_backend_check(None)]


def test_development_backends_are_fine_in_debug(settings):
    assert ids({"DEBUG": True, "SMS_BACKEND": "console"}, settings) == []


def test_production_warns_about_a_backend_that_sends_nothing(settings):
    assert ids({"DEBUG": False, "SMS_BACKEND": "file"}, settings) == ["phonecodes.W001"]


def test_production_refuses_the_fake_twilio_network_and_missing_credentials(settings):
    found = ids(
        {
            "DEBUG": False,
            "SMS_BACKEND": "twilio",
            "TWILIO_ACCOUNT_SID": "",
            "TWILIO_HTTP_CLIENT": "tests.phonecodes.twilio_fake.FakeTwilioHttpClient",
        },
        settings,
    )
    assert found == ["phonecodes.E001", "phonecodes.E002"]


def test_production_without_twilio_turns_text_codes_off_quietly(settings):
    assert ids({"DEBUG": False, "SMS_BACKEND": "none"}, settings) == []
