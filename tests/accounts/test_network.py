"""Office or remote: the client address, trusted proxies, and the remote-access grant."""

import ipaddress
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from accounts.lockout import ADDRESS_FAILURE_LIMIT
from accounts.models import User, UserSession
from accounts.password_reset import ADDRESS_LIMIT
from accounts.remote_access import remote_access_grant
from accounts.sessions import AUTH_SESSION_KEY
from practice.models import AuditEvent
from tests.accounts.conftest import REMOTE, sign_in_post
from tests.factories import PASSWORD, OfficeNetworkFactory, UserFactory
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


@override_settings(TRUSTED_PROXIES=[ipaddress.ip_network("192.0.2.10/32")])
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


# --- One client, one address: IPv4-mapped IPv6, ports, and what proxies write ----------------

# A proxy on the practice's own network, inside its office network 10.20.0.0/16: its address
# must never stand in for a client's.
OFFICE_PROXY = "10.20.0.2"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def test_an_ipv4_mapped_office_address_is_the_office(client, office_net, member):
    # What a dual-stack listener reports for an IPv4 client at 10.20.3.4.
    response = sign_in_post(
        client, office_net.practice, "nina", PASSWORD, REMOTE_ADDR="::ffff:10.20.3.4"
    )
    assert NOT_ENABLED not in response.content.decode()
    assert client.session[SESSION_KEY] == str(member.pk)
    assert client.session[AUTH_SESSION_KEY]["zone"] == "office"
    assert AuditEvent.objects.get(action="signin.succeeded").ip_address == "10.20.3.4"
    assert UserSession.objects.get(user=member).ip_address == "10.20.3.4"


def test_an_ipv4_mapped_remote_address_is_audited_as_ipv4(client, office_net, member):
    response = sign_in_post(
        client, office_net.practice, "nina", PASSWORD, REMOTE_ADDR=f"::ffff:{REMOTE}"
    )
    assert NOT_ENABLED in response.content.decode()
    assert AuditEvent.objects.get(action="signin.failed").ip_address == REMOTE


@pytest.mark.parametrize(
    ("proxies", "peer"),
    [
        (["192.0.2.10/32"], "::ffff:192.0.2.10"),
        (["::ffff:192.0.2.0/120"], "192.0.2.10"),
    ],
    ids=["mapped-peer", "mapped-setting"],
)
def test_an_ipv4_mapped_proxy_is_matched_against_trusted_proxies(
    client, office_net, member, proxies, peer
):
    with override_settings(TRUSTED_PROXIES=[ipaddress.ip_network(p) for p in proxies]):
        sign_in_post(
            client,
            office_net.practice,
            "nina",
            PASSWORD,
            REMOTE_ADDR=peer,
            HTTP_X_FORWARDED_FOR="::ffff:10.20.3.4",
        )
    assert client.session[AUTH_SESSION_KEY]["zone"] == "office"
    assert AuditEvent.objects.get(action="signin.succeeded").ip_address == "10.20.3.4"


def test_an_office_network_stored_ipv4_mapped_matches_its_ipv4_clients(client, member):
    # A row saved before office networks were normalised (the factory skips validation).
    OfficeNetworkFactory(practice=member.practice, cidr="::ffff:10.20.0.0/112")
    sign_in_post(client, member.practice, "nina", PASSWORD, REMOTE_ADDR="10.20.3.4")
    assert client.session[AUTH_SESSION_KEY]["zone"] == "office"


@override_settings(TRUSTED_PROXIES=[ipaddress.ip_network(f"{OFFICE_PROXY}/32")])
@pytest.mark.parametrize(
    ("appended", "audited"),
    [
        (f"{REMOTE}:5678", REMOTE),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        (f"[::ffff:{REMOTE}]:443", REMOTE),
    ],
)
def test_a_proxy_entry_with_a_port_is_the_client(client, office_net, member, appended, audited):
    # The client forged an office address; our proxy appended the remote one it saw, port and all.
    response = sign_in_post(
        client,
        office_net.practice,
        "nina",
        PASSWORD,
        REMOTE_ADDR=OFFICE_PROXY,
        HTTP_X_FORWARDED_FOR=f"10.20.3.4, {appended}",
    )
    assert NOT_ENABLED in response.content.decode()
    assert SESSION_KEY not in client.session
    assert AuditEvent.objects.get(action="signin.failed").ip_address == audited


@override_settings(TRUSTED_PROXIES=[ipaddress.ip_network(f"{OFFICE_PROXY}/32")])
@pytest.mark.parametrize("appended", ["unknown", "", "10.20.3.4:https"])
def test_an_unreadable_proxy_entry_makes_the_client_unknown_and_remote(
    client, office_net, member, appended
):
    # Neither the office proxy's own address nor what the client wrote left of the entry.
    response = sign_in_post(
        client,
        office_net.practice,
        "nina",
        PASSWORD,
        REMOTE_ADDR=OFFICE_PROXY,
        HTTP_X_FORWARDED_FOR=f"10.20.3.4, {appended}",
    )
    assert NOT_ENABLED in response.content.decode()
    assert SESSION_KEY not in client.session
    assert AuditEvent.objects.get(action="signin.failed").ip_address is None


# Two ways one client can appear: the same IPv4 address plain and IPv4-mapped, and two
# addresses of the one IPv6 /64 a subscriber is given.
SAME_CLIENT = [(REMOTE, f"::ffff:{REMOTE}"), ("2001:db8:1:2::1", "2001:db8:1:2::2")]


@pytest.mark.parametrize("forms", SAME_CLIENT, ids=["ipv4-mapped", "ipv6-64"])
def test_failed_sign_ins_from_one_client_are_counted_together(client, practice, forms):
    UserFactory(practice=practice, username="u0")
    for i in range(ADDRESS_FAILURE_LIMIT):
        sign_in_post(client, practice, f"ghost{i}", "Wrong-Horse-9!", REMOTE_ADDR=forms[i % 2])
    response = sign_in_post(client, practice, "u0", PASSWORD, REMOTE_ADDR=forms[0])
    assert "too many failed sign-in attempts from your network" in response.content.decode().lower()


@pytest.mark.parametrize("forms", SAME_CLIENT, ids=["ipv4-mapped", "ipv6-64"])
def test_password_reset_requests_from_one_client_are_limited_together(client, practice, forms):
    def ask(address):
        return client.post(
            "/password-reset/",
            {"practice_code": practice.code, "identifier": "nobody"},
            REMOTE_ADDR=address,
        )

    for i in range(ADDRESS_LIMIT):
        assert ask(forms[i % 2]).status_code == 302
    response = ask(forms[1])
    assert "Too many reset requests from your network" in response.content.decode()
