"""Office or remote: the client address, trusted proxies, and the remote-access grant."""

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import override_settings
from django.utils import timezone

from accounts.models import User
from accounts.remote_access import remote_access_grant
from accounts.sessions import AUTH_SESSION_KEY
from practice.models import AuditEvent
from tests.accounts.conftest import REMOTE, sign_in_post
from tests.factories import PASSWORD, OfficeNetworkFactory
from tests.mfa.helpers import app_code, app_device

pytestmark = pytest.mark.django_db

NOT_ENABLED = "Remote access is not enabled for your account. Ask your practice administrator."


@pytest.fixture
def office_net(practice):
    return OfficeNetworkFactory(practice=practice, cidr="10.20.0.0/16")


def test_office_address_signs_in_as_office(client, office_net, member):
    sign_in_post(client, office_net.practice, "nina", PASSWORD, REMOTE_ADDR="10.20.3.4")
    assert client.session[AUTH_SESSION_KEY]["zone"] == "office"


def test_remote_without_the_grant_is_refused_with_the_message(client, office_net, member):
    response = sign_in_post(client, office_net.practice, "nina", PASSWORD, REMOTE_ADDR=REMOTE)
    assert NOT_ENABLED in response.content.decode()
    assert SESSION_KEY not in client.session
    event = AuditEvent.objects.get(action="signin.failed")
    assert event.details["reason"] == "remote_access"
    assert event.ip_address == REMOTE


def test_remote_with_the_grant_signs_in_as_remote(client, office_net, member, admin_user):
    member.pm_username = "nreyes"
    member.save()
    remote_access_grant(user=member, actor=admin_user)
    device = app_device(member)
    response = sign_in_post(client, office_net.practice, "nina", PASSWORD, REMOTE_ADDR=REMOTE)
    # A remote sign-in always asks for the second factor.
    assert response["Location"] == "/login/verify/"
    client.post("/login/verify/", {"code": app_code(device)}, REMOTE_ADDR=REMOTE)
    assert client.session[AUTH_SESSION_KEY]["zone"] == "remote"


def test_an_ended_time_limited_grant_lapses_and_is_audited(client, office_net, member, admin_user):
    member.pm_username = "nreyes"
    member.save()
    remote_access_grant(
        user=member, actor=admin_user, until=timezone.now() + timedelta(hours=1), reason="locum"
    )
    # The grant's end passes (no grant can be given with an end in the past).
    User.objects.filter(pk=member.pk).update(remote_access_until=timezone.now())
    response = sign_in_post(client, office_net.practice, "nina", PASSWORD, REMOTE_ADDR=REMOTE)
    assert NOT_ENABLED in response.content.decode()
    member.refresh_from_db()
    assert member.remote_access is False
    assert AuditEvent.objects.get(action="remote_access.removed").details["reason"] == "expired"


def test_a_forwarded_for_header_from_a_client_is_not_believed(client, office_net, member):
    response = sign_in_post(
        client,
        office_net.practice,
        "nina",
        PASSWORD,
        REMOTE_ADDR=REMOTE,
        HTTP_X_FORWARDED_FOR="10.20.3.4",
    )
    assert NOT_ENABLED in response.content.decode()


@override_settings(TRUSTED_PROXIES=[__import__("ipaddress").ip_network("192.0.2.10/32")])
def test_the_entry_appended_by_a_trusted_proxy_is_the_client(client, office_net, member):
    # The client forged "10.20.3.4"; our proxy appended the address it really saw.
    response = sign_in_post(
        client,
        office_net.practice,
        "nina",
        PASSWORD,
        REMOTE_ADDR="192.0.2.10",
        HTTP_X_FORWARDED_FOR=f"10.20.3.4, {REMOTE}",
    )
    assert NOT_ENABLED in response.content.decode()
    sign_in_post(
        client,
        office_net.practice,
        "nina",
        PASSWORD,
        REMOTE_ADDR="192.0.2.10",
        HTTP_X_FORWARDED_FOR="10.20.3.4",
    )
    assert client.session[AUTH_SESSION_KEY]["zone"] == "office"
