"""The same code sent twice at once is accepted once: real threads on PostgreSQL."""

from http.cookies import SimpleCookie

import pytest
from django.db import connection
from django.test import Client

from accounts.models import UserSession
from mfa.models import RecoveryCodeDevice
from mfa.recovery_codes.flows import recovery_codes_generate
from mfa.verification import device_code_verify as _verify
from phonecodes.codes import phone_code_send, phone_code_verify
from tests.factories import PASSWORD, OfficeNetworkFactory, PracticeFactory, UserFactory
from tests.mfa.helpers import app_code, app_device, code_in
from tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locking")


@pytest.fixture
def user():
    practice = PracticeFactory(code="valley")
    OfficeNetworkFactory(practice=practice, cidr="127.0.0.0/8")
    return UserFactory(practice=practice, username="nina")


def test_one_app_code_at_once_from_eight_requests(user):
    device = app_device(user)
    code = app_code(device)
    results, _ = run_together(8, lambda i: _verify(device, code, purpose="") is not None)
    assert results.count(True) == 1


def test_one_text_code_at_once_from_eight_requests(user, sms_outbox):
    phone_code_send(user=user, number="+12025550143", purpose="signin:race")
    code = code_in(sms_outbox[-1])
    results, _ = run_together(
        8, lambda i: phone_code_verify(user=user, purpose="signin:race", code=code)
    )
    assert results.count(True) == 1


def test_one_recovery_code_at_once_from_eight_requests(user):
    app_device(user)
    codes = recovery_codes_generate(user=user, actor=user)
    device = RecoveryCodeDevice.objects.get(user=user)
    results, _ = run_together(8, lambda i: _verify(device, codes[0], purpose="") is not None)
    assert results.count(True) == 1


def test_two_browsers_posting_the_same_app_code_sign_in_once(user):
    device = app_device(user)
    browsers = [Client(), Client()]
    for browser in browsers:
        browser.post("/p/valley/login/", {"username": "nina", "password": PASSWORD})
    code = app_code(device)
    results, _ = run_together(
        2, lambda i: browsers[i].post("/login/verify/", {"code": code}).get("Location")
    )
    assert sorted(results, key=str) == ["/account/", None]
    assert UserSession.objects.filter(user=user).count() == 1


def test_one_browser_double_submitting_a_text_code_signs_in_once(user, sms_outbox):
    from tests.mfa.helpers import phone_device

    phone_device(user)
    first = Client()
    first.post("/p/valley/login/", {"username": "nina", "password": PASSWORD})
    second = Client()
    second.cookies = SimpleCookie(first.cookies)
    code = code_in(sms_outbox[-1])
    browsers = [first, second]
    results, _ = run_together(
        2, lambda i: browsers[i].post("/login/verify/", {"code": code}).get("Location")
    )
    assert results.count("/account/") == 1
    assert UserSession.objects.filter(user=user).count() == 1
