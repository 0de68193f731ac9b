from mfa.checks import sms_backend_check


def ids(settings_overrides, settings):
    for name, value in settings_overrides.items():
        setattr(settings, name, value)
    return [problem.id for problem in sms_backend_check(None)]


def test_development_backends_are_fine_in_debug(settings):
    assert ids({"DEBUG": True, "SMS_BACKEND": "console"}, settings) == []


def test_production_warns_about_a_backend_that_sends_nothing(settings):
    assert ids({"DEBUG": False, "SMS_BACKEND": "file"}, settings) == ["mfa.W001"]


def test_production_refuses_the_fake_twilio_network_and_missing_credentials(settings):
    found = ids(
        {
            "DEBUG": False,
            "SMS_BACKEND": "twilio",
            "TWILIO_ACCOUNT_SID": "",
            "TWILIO_HTTP_CLIENT": "tests.mfa.twilio_fake.FakeTwilioHttpClient",
        },
        settings,
    )
    assert found == ["mfa.E001", "mfa.E002"]
