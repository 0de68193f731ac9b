"""MySecurePractice's two-step verification at registration: the invited user's phone."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.utils import timezone

from accounts.invitations import invitation_create, invitation_link
from accounts.users import user_create
from phonecodes import senders as sms
from practice.console.selectors.user_page import user_registration
from practice.models import AuditEvent
from tests.account_helpers import link_open
from tests.accounts.conftest import sign_in_post
from tests.mfa.helpers import code_in

pytestmark = pytest.mark.django_db

PASSWORD = "Harbor-Light-42!"


@pytest.fixture(autouse=True)
def _sms_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def invited(office, admin_user):
    user = user_create(
        practice=office.practice,
        username="newdoc",
        email="newdoc@example.test",
        first_name="Noor",
        last_name="Doc",
        mobile_phone="+12025550143",
        actor=admin_user,
    )
    user.verify_phone_at_registration = True
    user.save(update_fields=["verify_phone_at_registration"])
    return user


def register(client, user):
    token = invitation_create(user=user, actor=None)
    link_open(client, invitation_link(token))
    client.post("/invite/set/", {"new_password1": PASSWORD, "new_password2": PASSWORD})


def test_the_first_sign_in_asks_for_a_code_sent_to_the_phone(client, invited):
    register(client, invited)
    response = sign_in_post(client, invited.practice, "newdoc", PASSWORD)
    assert response["Location"] == "/login/phone/"
    page = client.get("/login/phone/", follow=True).content.decode()
    assert "Verify your phone" in page
    assert "ending in 0143" in page
    assert [m.to for m in sms.outbox] == ["+12025550143"]
    assert SESSION_KEY not in client.session

    response = client.post("/login/phone/", {"action": "verify", "code": "000000"})
    assert "Invalid code" in response.content.decode()
    invited.refresh_from_db()
    assert invited.failed_logins == 1
    assert invited.mobile_phone_verified_at is None

    response = client.post("/login/phone/", {"action": "verify", "code": code_in(sms.outbox[-1])})
    assert response["Location"] == "/account/"
    assert client.session[SESSION_KEY] == str(invited.pk)
    invited.refresh_from_db()
    assert invited.mobile_phone_verified_at is not None
    assert AuditEvent.objects.filter(action="phone.verified", target=invited).exists()


def test_call_me_instead_reads_the_code(client, invited):
    register(client, invited)
    sign_in_post(client, invited.practice, "newdoc", PASSWORD)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client.get("/login/phone/")
        page = client.post("/login/phone/", {"action": "voice"}, follow=True).content.decode()
        assert "You can ask for a new code in 30 seconds." in page  # the resend cooldown
        traveller.shift(timedelta(seconds=31))
        page = client.post("/login/phone/", {"action": "voice"}, follow=True).content.decode()
        assert "We are calling your phone ending in 0143" in page
    call = sms.outbox[-1]
    assert call.sentences  # a voice message
    client.post("/login/phone/", {"action": "verify", "code": code_in(call)})
    assert client.session[SESSION_KEY] == str(invited.pk)


def test_the_console_shows_phone_not_verified_until_it_is(client, invited):
    register(client, invited)

    def registration():
        invited.refresh_from_db()
        return user_registration(invited).text

    assert registration() == "phone not verified"
    sign_in_post(client, invited.practice, "newdoc", PASSWORD)
    client.get("/login/phone/")
    client.post("/login/phone/", {"action": "verify", "code": code_in(sms.outbox[-1])})
    assert registration() == "registered"


def test_without_the_setting_no_code_is_asked(client, invited):
    invited.verify_phone_at_registration = False
    invited.save()
    register(client, invited)
    response = sign_in_post(client, invited.practice, "newdoc", PASSWORD)
    assert response["Location"] == "/account/"
    assert sms.outbox == []


def test_without_text_codes_no_code_is_asked(client, invited, settings):
    settings.SMS_BACKEND = "none"
    register(client, invited)
    response = sign_in_post(client, invited.practice, "newdoc", PASSWORD)
    assert response["Location"] == "/account/"
