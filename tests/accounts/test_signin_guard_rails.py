"""The sign-in pipeline's guard rails: steps in order, the second factor required where the
policy says so whatever the list of stages, the list itself checked, and failures that only a
completed sign-in clears."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core.checks import run_checks
from django.test import override_settings
from django.utils import timezone

from accounts.models import User
from accounts.passwords import temporary_password_set
from accounts.signin import stage_classes
from practice.models import AuditEvent
from tests.accounts.conftest import REMOTE, sign_in_post
from tests.factories import PASSWORD
from tests.mfa.helpers import app_code, app_device

pytestmark = pytest.mark.django_db

STAGES = [
    "accounts.stages.CredentialsStage",
    "accounts.stages.LoginTimesStage",
    "accounts.stages.NetworkStage",
    "mfa.stages.SecondFactorStage",
    "accounts.stages.RequiredActionsStage",
]
NEW_PASSWORD = "Quiet-Harbor-Lantern-42"


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def wrong_code(client, clock):
    # A minute apart: django-otp's throttling delay after a wrong code has passed by then.
    clock.shift(timedelta(minutes=1))
    return client.post("/login/verify/", {"code": "000000"}, follow=True)


@pytest.fixture
def stages_setting():
    """Change SIGNIN_STAGES for one test (the stage classes are cached per process)."""

    def use(paths):
        stage_classes.cache_clear()
        return override_settings(SIGNIN_STAGES=paths)

    yield use
    stage_classes.cache_clear()


# --- Steps open in order --------------------------------------------------------------------


def test_the_password_change_step_is_unreachable_before_the_second_factor(
    client, office, member, admin_user
):
    app = app_device(member)
    temporary_password_set(user=member, password=PASSWORD, actor=admin_user)
    response = sign_in_post(client, office.practice, "nina", PASSWORD)
    assert response["Location"] == "/login/verify/"
    # The password was right, the second factor not yet passed: the forced change is not open.
    response = client.post(
        "/login/password/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/p/{office.practice.code}/login/"
    member.refresh_from_db()
    assert member.check_password(PASSWORD) and member.must_change_password
    assert SESSION_KEY not in client.session
    # The sign-in was stopped: the verify step is gone too.
    assert client.get("/login/verify/")["Location"] == "/login/"
    # In order, the same sign-in gets there.
    sign_in_post(client, office.practice, "nina", PASSWORD)
    response = client.post("/login/verify/", {"code": app_code(app)})
    assert response["Location"] == "/login/password/"
    assert client.get("/login/password/").status_code == 200


def test_the_verify_step_is_unreachable_once_passed(client, office, member, admin_user):
    app = app_device(member)
    temporary_password_set(user=member, password=PASSWORD, actor=admin_user)
    sign_in_post(client, office.practice, "nina", PASSWORD)
    client.post("/login/verify/", {"code": app_code(app)})
    response = client.get("/login/verify/")
    assert response["Location"] == f"/p/{office.practice.code}/login/"


def test_a_step_page_without_a_sign_in_goes_to_the_sign_in_page(client):
    for path in ("/login/password/", "/login/phone/", "/login/verify/", "/login/setup/"):
        assert client.get(path)["Location"] == "/login/"


# --- A second factor where the policy requires one, whatever SIGNIN_STAGES says ------------


def test_a_remote_sign_in_without_the_second_factor_stage_is_refused(
    client, office, member, stages_setting
):
    member.pm_username = "NR"
    member.remote_access = True
    member.save()
    without_second_factor = [path for path in STAGES if "SecondFactor" not in path]
    with stages_setting(without_second_factor):
        response = sign_in_post(client, office.practice, "nina", PASSWORD, REMOTE_ADDR=REMOTE)
    assert response.status_code == 200
    assert "invalid username or password" in response.content.decode().lower()
    assert SESSION_KEY not in client.session
    refused = AuditEvent.objects.get(action="signin.failed", target=member)
    assert refused.details["reason"] == "second_factor_missing"
    assert not AuditEvent.objects.filter(action="signin.succeeded").exists()


def test_an_office_sign_in_that_needs_no_second_factor_still_completes(client, office, member):
    response = sign_in_post(client, office.practice, "nina", PASSWORD)
    assert response["Location"] == "/account/"


# --- The list of stages is checked -------------------------------------------------------


def check_ids(paths) -> list[str]:
    with override_settings(SIGNIN_STAGES=paths):
        return [message.id for message in run_checks() if message.id.startswith("accounts.")]


def test_the_configured_stages_pass_the_check():
    assert check_ids(STAGES) == []


@pytest.mark.parametrize(
    "paths",
    [
        [path for path in STAGES if "SecondFactor" not in path],
        [path for path in STAGES if "Credentials" not in path],
        [STAGES[0], STAGES[1], STAGES[3], STAGES[2], STAGES[4]],
        [*STAGES, STAGES[3]],
    ],
    ids=["missing-second-factor", "missing-credentials", "out-of-order", "twice"],
)
def test_a_list_of_stages_that_skips_reorders_or_repeats_one_is_refused(paths):
    assert check_ids(paths) == ["accounts.E003"]


def test_a_stage_that_is_not_a_stage_is_refused():
    assert check_ids([*STAGES, "accounts.models.User"]) == ["accounts.E002"]
    assert check_ids([*STAGES, "accounts.nowhere.Stage"]) == ["accounts.E001"]


# --- Second-factor failures are not wiped by the right password -------------------------------


def test_wrong_codes_across_sign_ins_add_up_to_a_lock(client, office, member, clock):
    app_device(member)
    for _ in range(3):
        sign_in_post(client, office.practice, "nina", PASSWORD)
        wrong_code(client, clock)
    # A new sign-in with the right password does not give the guesser a fresh set of tries.
    sign_in_post(client, office.practice, "nina", PASSWORD)
    wrong_code(client, clock)
    member.refresh_from_db()
    assert member.locked_at is None and member.failed_logins == 4
    response = wrong_code(client, clock)
    member.refresh_from_db()
    assert member.locked_at is not None
    assert "locked" in response.content.decode().lower()


def test_only_a_completed_sign_in_clears_the_failures(client, office, member, clock):
    app = app_device(member)
    sign_in_post(client, office.practice, "nina", PASSWORD)
    wrong_code(client, clock)
    wrong_code(client, clock)
    member.refresh_from_db()
    assert member.failed_logins == 2
    clock.shift(timedelta(minutes=1))
    response = client.post("/login/verify/", {"code": app_code(app)})
    assert response["Location"] == "/account/"
    assert User.objects.get(pk=member.pk).failed_logins == 0


def test_the_right_password_does_not_count_as_a_failure(client, office, member):
    app_device(member)
    sign_in_post(client, office.practice, "nina", PASSWORD)
    assert User.objects.get(pk=member.pk).failed_logins == 0


# --- My Account names what happened, through real sign-ins -------------------------------------


def test_my_account_names_a_wrong_password_and_a_wrong_code(client, office, member, clock):
    app = app_device(member)
    sign_in_post(client, office.practice, "nina", "Wrong-Horse-9!")
    sign_in_post(client, office.practice, "nina", PASSWORD)
    wrong_code(client, clock)
    clock.shift(timedelta(minutes=1))
    client.post("/login/verify/", {"code": app_code(app)})
    signins = client.get("/account/").context["signins"]
    assert [row.result for row in signins] == [
        "Signed in (office)",
        "Sign-in refused: wrong verification code",
        "Sign-in refused: wrong password",
    ]
