"""Issue 17, item 9: the small words on My Account, the password pages, the lockout email, the
STOP message and the time-zone selects."""

import re

import pytest
from django.core import mail
from django.test import Client

from accounts.invitations import invitation_create, invitation_link
from accounts.models import User
from practice.models import AuditEvent
from practice.time_zones import time_zone_choices, time_zone_label
from tests.account_helpers import link_open
from tests.accounts.conftest import sign_in_post
from tests.factories import PASSWORD, UserFactory
from tests.signin_helpers import sign_in, signed_in_client

pytestmark = pytest.mark.django_db


def page(client, path="/account/") -> str:
    return client.get(path).content.decode()


def test_one_sign_in_event_is_said_in_the_singular(client, office, member):
    sign_in_post(client, office.practice, "nina", PASSWORD)
    html = page(client)
    assert "Your last sign-in event." in html
    assert "last 1 sign-in events" not in html


def test_several_sign_in_events_are_counted(client, office, member):
    for _ in range(3):
        sign_in_post(Client(), office.practice, "nina", PASSWORD)
    sign_in(client, member)
    assert "Your last 3 sign-in events." in page(client)


def test_sign_out_all_other_sessions_only_when_there_are_others(client, member):
    sign_in(client, member)
    assert "Sign out all other sessions" not in page(client)
    signed_in_client(member)
    assert "Sign out all other sessions" in page(client)


def test_a_rule_the_server_found_broken_says_not_met_once(client, member):
    sign_in(client, member)
    response = client.post(
        "/account/password/",
        {
            "current_password": PASSWORD,
            "new_password1": PASSWORD,
            "new_password2": PASSWORD,
        },
    )
    html = response.content.decode()
    history = re.search(r'data-rule="history".*?</li>', html, re.S).group(0)
    assert history.count("not met") == 1
    assert "(not met)" not in history


def invitation_page(practice) -> str:
    kim = UserFactory(practice=practice, username="kim")
    kim.set_unusable_password()
    kim.save(update_fields=["password"])
    token = invitation_create(user=kim, actor=None)
    return link_open(Client(), invitation_link(token), follow=True).content.decode()


def test_the_invitation_page_sets_a_first_password_without_a_history_rule(practice):
    html = invitation_page(practice)
    assert ">Set password</button>" in html
    assert "Change password" not in html
    assert "Not one of your last" not in html


def test_the_password_change_page_keeps_its_history_rule_and_button(client, member):
    sign_in(client, member)
    html = page(client, "/account/password/")
    assert "Not one of your last 6 passwords" in html
    assert ">Change password</button>" in html


def test_the_lockout_email_names_the_console_page_and_links_to_it(
    client, office, member, admin_user, settings
):
    settings.SITE_URL = "https://gate.example.org"
    for _ in range(5):
        sign_in_post(client, office.practice, "nina", "Wrong-Horse-9!")
    (message,) = [m for m in mail.outbox if "locked" in m.subject]
    assert "User Administration" not in message.body
    assert "Login locked" in message.body
    assert f"https://gate.example.org/console/users/{member.pk}/" in message.body
    assert AuditEvent.objects.filter(action="user.locked", target=member).exists()


def test_time_zones_are_grouped_with_the_practices_first_and_no_underscores():
    choices = time_zone_choices(first="Europe/London")
    groups = [group for group, _ in choices]
    assert groups[0] == "Common"
    assert "America" in groups and "Europe" in groups
    common = choices[0][1]
    assert common[0] == ("Europe/London", "Europe / London")
    assert ("America/New_York", "Eastern (New York)") in common
    assert ("America/Los_Angeles", "Pacific (Los Angeles)") in common
    values = [value for _, zones in choices for value, _ in zones]
    assert len(values) == len(set(values)), "each zone once, so one option is selected"
    assert all("_" not in label for _, zones in choices for _, label in zones)
    america = dict(choices[groups.index("America")][1])
    assert america["America/Argentina/Buenos_Aires"] == "Argentina / Buenos Aires"
    assert time_zone_label("America/Port_of_Spain") == "America / Port of Spain"


def test_the_settings_select_has_optgroups_and_the_practices_zone_selected(console, practice):
    practice.time_zone = "America/Chicago"
    practice.save()
    html = page(console, "/console/settings/")
    select = re.search(r'<select name="time_zone".*?</select>', html, re.S).group(0)
    assert '<optgroup label="Common">' in select
    assert select.count("selected") == 1
    first = re.search(r'<optgroup label="Common">\s*<option value="([^"]+)"', select).group(1)
    assert first == "America/Chicago"
    assert "Buenos_Aires<" not in select


def test_my_accounts_select_is_grouped_too(client, member):
    sign_in(client, member)
    html = page(client)
    select = re.search(r'<select name="time_zone".*?</select>', html, re.S).group(0)
    assert "The practice&#x27;s time zone" in select or "The practice's time zone" in select
    assert '<optgroup label="Common">' in select
    assert User.objects.filter(pk=member.pk, time_zone="").exists()
