"""0011_login_windows_per_day: existing login windows survive, and a day may then hold two."""

from datetime import time

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

pytestmark = pytest.mark.django_db(transaction=True)


def latest_but(app: str, name: str) -> list[tuple[str, str]]:
    """Every app at its latest migration, except `app` at `name`."""
    leaves = MigrationLoader(None).graph.leaf_nodes()
    return [(app, name) if leaf[0] == app else leaf for leaf in leaves]


BEFORE = latest_but("accounts", "0010_user_practice_role_required")
AFTER = latest_but("accounts", "0011_login_windows_per_day")


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_schema():
    apps = migrate(BEFORE)
    yield apps
    # Leave the database as the other tests expect it.
    migrate(MigrationLoader(None).graph.leaf_nodes())


def test_existing_windows_survive_and_a_second_window_a_day_is_then_allowed(old_schema):
    Practice = old_schema.get_model("practice", "Practice")
    User = old_schema.get_model("accounts", "User")
    LoginWindow = old_schema.get_model("accounts", "LoginWindow")
    PracticeRole = old_schema.get_model("practice", "PracticeRole")
    practice = Practice.objects.create(code="valley", name="Valley Pediatrics")
    user = User.objects.create(
        practice=practice,
        practice_role=PracticeRole.objects.create(practice=practice, name="User"),
        username="nina",
        login_times_restricted=True,
        login_week=[[0, "07:00", "19:00"], [4, "22:00", "06:00"]],
    )
    LoginWindow.objects.create(user=user, weekday=0, start=time(7), end=time(19))
    LoginWindow.objects.create(user=user, weekday=4, start=time(22), end=time(6))
    # Before: one window a day.
    with pytest.raises(IntegrityError), transaction.atomic():
        LoginWindow.objects.create(user=user, weekday=0, start=time(20), end=time(21))

    apps = migrate(AFTER)
    User = apps.get_model("accounts", "User")
    LoginWindow = apps.get_model("accounts", "LoginWindow")
    user = User.objects.get(username="nina")
    assert list(LoginWindow.objects.filter(user=user).values_list("weekday", "start", "end")) == [
        (0, time(7), time(19)),
        (4, time(22), time(6)),
    ]
    assert user.login_week == [[0, "07:00", "19:00"], [4, "22:00", "06:00"]]
    assert user.login_times_restricted
    LoginWindow.objects.create(user=user, weekday=0, start=time(20), end=time(21))
    assert LoginWindow.objects.filter(user=user, weekday=0).count() == 2
    # Two windows of one day cannot start at the same minute.
    with pytest.raises(IntegrityError), transaction.atomic():
        LoginWindow.objects.create(user=user, weekday=0, start=time(20), end=time(22))
