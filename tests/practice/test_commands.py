import io

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command

from accounts.models import Invitation, Role, User
from practice.models import AuditEvent, OfficeNetwork, Practice
from tests.account_helpers import link_open

pytestmark = pytest.mark.django_db


def run(*args, stdin: str | None = None, monkeypatch=None) -> str:
    out = io.StringIO()
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_practice_with_repeated_office_networks():
    out = run(
        "create_practice",
        "Valley",
        "--name",
        "Valley Pediatrics",
        "--timezone",
        "America/Chicago",
        "--office-network",
        "10.1.0.0/16",
        "--office-network",
        "2001:db8::/48",
    )
    practice = Practice.objects.get(code="valley")
    assert practice.name == "Valley Pediatrics"
    assert practice.time_zone == "America/Chicago"
    assert sorted(OfficeNetwork.objects.values_list("cidr", flat=True)) == [
        "10.1.0.0/16",
        "2001:db8::/48",
    ]
    assert "/p/valley/login/" in out
    assert AuditEvent.objects.filter(action="practice.created", practice=practice).exists()


def test_create_practice_refuses_a_bad_network_and_creates_nothing():
    with pytest.raises(CommandError, match="is not a network"):
        run("create_practice", "valley", "--name", "V", "--office-network", "10.0.0.0/40")
    assert not Practice.objects.exists()


def test_create_practice_refuses_an_unknown_time_zone():
    with pytest.raises(CommandError, match="is not a time zone"):
        run("create_practice", "valley", "--name", "V", "--timezone", "Mars/Olympus")
    assert not Practice.objects.exists()


def test_create_practice_refuses_a_duplicate_code():
    run("create_practice", "valley", "--name", "V")
    with pytest.raises(CommandError, match="already exists"):
        run("create_practice", "VALLEY", "--name", "V2")


def test_create_user_with_password_stdin_makes_the_first_user_administrator(monkeypatch):
    run("create_practice", "valley", "--name", "Valley Pediatrics")
    out = run(
        "create_user",
        "valley",
        "JDoe",
        "--email",
        "jdoe@example.test",
        "--first-name",
        "Jane",
        "--last-name",
        "Doe",
        "--phone",
        "+12025550143",
        "--role",
        "user",
        "--password-stdin",
        stdin="Sturdy-Lamp-51!\n",
        monkeypatch=monkeypatch,
    )
    user = User.objects.get(username="JDoe")
    assert user.role == Role.ADMIN  # the first user of a practice administers it
    assert check_password("Sturdy-Lamp-51!", user.password)  # trailing newline dropped
    assert not user.must_change_password
    assert user.mobile_phone == "+12025550143"
    assert user.mobile_phone_verified_at is None
    assert "Practice administrator" in out

    run(
        "create_user",
        "valley",
        "second",
        "--email",
        "s@example.test",
        "--password-stdin",
        stdin="Sturdy-Lamp-52!\n",
        monkeypatch=monkeypatch,
    )
    assert User.objects.get(username="second").role == Role.USER


def test_create_user_refuses_a_password_that_breaks_the_practice_rules(monkeypatch):
    run("create_practice", "valley", "--name", "Valley Pediatrics")
    with pytest.raises(CommandError, match="Add an upper-case letter"):
        run(
            "create_user",
            "valley",
            "jdoe",
            "--email",
            "j@example.test",
            "--password-stdin",
            stdin="lowercase-only-1!\n",
            monkeypatch=monkeypatch,
        )
    assert not User.objects.exists()


def test_create_user_refuses_a_case_variant_of_an_existing_username(monkeypatch):
    run("create_practice", "valley", "--name", "Valley Pediatrics")
    run("create_user", "valley", "jdoe", "--email", "j@example.test")
    with pytest.raises(CommandError, match="already taken"):
        run("create_user", "valley", "JDOE", "--email", "j2@example.test")


def test_create_user_refuses_a_bad_phone_number():
    run("create_practice", "valley", "--name", "Valley Pediatrics")
    with pytest.raises(CommandError, match="not a valid phone number"):
        run("create_user", "valley", "jdoe", "--email", "j@example.test", "--phone", "12")


def test_create_user_without_a_password_prints_a_working_invitation_link(client):
    run("create_practice", "valley", "--name", "Valley Pediatrics")
    out = run("create_user", "valley", "jdoe", "--email", "j@example.test")
    user = User.objects.get(username="jdoe")
    assert not user.has_usable_password()
    link = next(word for word in out.split() if "/invite/" in word)
    # On the site's own address (SITE_URL), as the emails' links are.
    assert link.startswith(settings.SITE_URL.rstrip("/") + "/invite/")
    assert "#" in link  # the token after it, never sent in a request line

    response = link_open(client, link)
    assert response.status_code == 302  # the token moves into the session
    response = client.get(response["Location"])
    assert b"New password" in response.content
    response = client.post(
        response.wsgi_request.path,
        {"new_password1": "Sturdy-Lamp-51!", "new_password2": "Sturdy-Lamp-51!"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Sturdy-Lamp-51!")
    assert Invitation.objects.get(user=user).used_at is not None
    # The link works once.
    response = link_open(client, link, follow=True)
    assert response.status_code == 400


def test_create_user_for_an_unknown_practice_fails_clearly():
    with pytest.raises(CommandError, match="No practice with code 'nowhere'"):
        run("create_user", "nowhere", "jdoe", "--email", "j@example.test")


def test_seed_demo_is_idempotent_and_prints_the_sign_ins():
    first = run("seed_demo")
    counts = (Practice.objects.count(), User.objects.count(), AuditEvent.objects.count())
    second = run("seed_demo")
    assert counts == (Practice.objects.count(), User.objects.count(), AuditEvent.objects.count())
    assert first == second
    demo = Practice.objects.get(code="demo")
    users = {u.username: u for u in User.objects.filter(practice=demo)}
    assert users["admin"].role == Role.ADMIN
    assert users["locked"].locked_at is not None
    assert users["doctor"].remote_access
    assert users["newhire"].must_change_password
    assert users["frontdesk"].login_times_restricted
    for username in users:
        assert username in first
