"""The user page says where the user can reach through the gateway right now, and why not."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.lockout import user_lock
from accounts.login_times import login_windows_set
from accounts.models import User
from accounts.remote_access import remote_access_grant
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def gateway_hosts(settings):
    settings.GATEWAY_ALLOWED_HOSTS = {
        "ehr.valley.test": "valley",
        "files.example.test": "",
        "ehr.hill.test": "hill",
    }


def reach(console, user) -> str:
    page = console.get(f"/console/users/{user.pk}/").content.decode()
    start = page.index('<h2 id="gateway-title">')
    return page[start : page.index("</section>", start)]


def rows(section: str) -> dict[str, str]:
    """Application -> the row's text, tags stripped."""
    import re

    found = {}
    body = section[section.index("<tbody>") :]
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        found[cells[0]] = " | ".join(cells[1:])
    return found


@pytest.fixture(autouse=True)
def office_network(practice):
    from tests.factories import OfficeNetworkFactory

    OfficeNetworkFactory(practice=practice, cidr="10.20.0.0/16")


def test_without_office_networks_there_is_no_office(console, member):
    from practice.models import OfficeNetwork

    OfficeNetwork.objects.all().delete()
    member.practice.office_cidrs = []
    member.practice.save()
    assert rows(reach(console, member))["ehr.valley.test"] == (
        "no office network is set | no: remote access is not allowed"
    )


def test_the_practices_applications_and_where_from(console, member):
    section = reach(console, member)
    assert "Through the gateway" in section
    assert rows(section) == {
        "ehr.valley.test": "yes | no: remote access is not allowed",
        "files.example.test": "yes | no: remote access is not allowed",
    }
    assert "ehr.hill.test" not in section  # another practice's application


def test_with_the_grant_from_outside_with_a_second_factor(console, member, admin_user):
    member.pm_username = "nreyes"
    member.save()
    remote_access_grant(user=member, actor=admin_user, until=timezone.now() + timedelta(days=3))
    assert rows(reach(console, member))["ehr.valley.test"] == (
        "yes | yes, with a second factor at sign-in"
    )
    # The grant has ended, even before anything records that it has.
    User.objects.filter(pk=member.pk).update(remote_access_until=timezone.now())
    assert rows(reach(console, member))["ehr.valley.test"] == (
        "yes | no: remote access is not allowed"
    )


@pytest.mark.parametrize(
    "change, words",
    [
        ("lock", "no: account locked"),
        ("deactivate", "no: account not active"),
        ("login_times", "no: outside login times"),
    ],
)
def test_the_same_reasons_as_the_gateway(console, admin_user, change, words):
    user = UserFactory(practice=admin_user.practice, username="omar")
    with time_machine.travel(datetime(2026, 1, 5, 15, tzinfo=UTC), tick=False):  # Mon 10:00
        if change == "lock":
            user_lock(user=user, actor=admin_user)
        elif change == "deactivate":
            user.is_active = False
            user.save()
        else:
            login_windows_set(
                user=user, actor=admin_user, restricted=True, windows={0: (time(7), time(9))}
            )
        assert rows(reach(console, user))["ehr.valley.test"] == f"{words} | {words}"


def test_a_practice_requiring_a_second_factor_says_so_for_the_office(console, member, admin_user):
    from tests.mfa.helpers import app_device

    # The administrator has one: without, the console would send them to set one up first.
    app_device(admin_user)
    practice = member.practice
    practice.two_factor_policy = "require"
    practice.save()
    assert rows(reach(console, member))["ehr.valley.test"].startswith(
        "yes, with a second factor at sign-in |"
    )


def test_without_a_gateway_the_section_is_not_shown(console, member, settings):
    settings.GATEWAY_ALLOWED_HOSTS = {"ehr.hill.test": "hill"}
    page = console.get(f"/console/users/{member.pk}/").content.decode()
    assert "Through the gateway" not in page


def test_the_section_costs_no_query(console, member, settings, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    console.get(f"/console/users/{member.pk}/")
    settings.GATEWAY_ALLOWED_HOSTS = {}
    with CaptureQueriesContext(connection) as without:
        console.get(f"/console/users/{member.pk}/")
    settings.GATEWAY_ALLOWED_HOSTS = {"ehr.valley.test": "valley"}
    with django_assert_num_queries(len(without.captured_queries)):
        console.get(f"/console/users/{member.pk}/")
