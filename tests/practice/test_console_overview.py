"""The security overview on the console's home: counts, and sign-ins per day as an SVG chart."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.lockout import user_lock
from accounts.passwords import temporary_password_set
from accounts.remote_access import remote_access_grant
from practice.console.selectors.overview import security_overview
from practice.models import AuditEvent
from tests.factories import UserFactory
from tests.signin_helpers import sign_in

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 14, 15, 0, tzinfo=NY)


def count(body: str, label: str) -> int:
    return int(re.search(rf"<strong>(\d+)</strong> {label}", body).group(1))


@time_machine.travel(NOW, tick=False)
def test_counts_of_what_needs_attention(client, practice, admin_user):
    TOTPDevice.objects.create(user=admin_user, name="Phone", confirmed=True)
    locked = UserFactory(practice=practice)
    user_lock(user=locked, actor=admin_user)
    remote = UserFactory(practice=practice, pm_username="R")
    remote_access_grant(user=remote, actor=admin_user)
    TOTPDevice.objects.create(user=remote, name="Phone", confirmed=True)
    temporary_password_set(
        user=UserFactory(practice=practice), password="Blue-Canoe-Paddle-8", actor=admin_user
    )
    UserFactory(practice=practice, password_changed_at=NOW - timedelta(days=80))  # 10 days left
    UserFactory(practice=practice, password_changed_at=NOW - timedelta(days=70))  # 20 days left
    UserFactory(practice=practice, is_active=False)  # inactive users are not counted
    for days_ago in (1, 2, 8):
        AuditEvent.objects.create(
            practice=practice,
            target=locked,
            action="signin.failed",
            created_at=NOW - timedelta(days=days_ago),
        )
    sign_in(client, admin_user)
    body = client.get("/console/").content.decode()
    assert count(body, "locked") == 1
    assert count(body, "with remote access") == 1
    assert count(body, "without 2FA") == 4  # locked, temporary, and the two password users
    assert count(body, "temporary passwords") == 1
    assert count(body, "passwords expiring within 14 days") == 1
    assert count(body, "failed sign-ins in the last 7 days") == 2


@time_machine.travel(NOW, tick=False)
def test_the_chart_has_a_bar_per_day_for_14_days(practice, member):
    events = []
    for days_ago, action, n in [
        (0, "signin.succeeded", 4),
        (0, "signin.failed", 2),
        (13, "signin.failed", 1),
        (14, "signin.failed", 9),
    ]:
        events += [
            AuditEvent(
                practice=practice,
                target=member,
                action=action,
                created_at=NOW - timedelta(days=days_ago),
            )
            for _ in range(n)
        ]
    AuditEvent.objects.bulk_create(events)
    overview = security_overview(practice=practice)
    assert len(overview.chart.bars) == 14
    assert overview.chart.bars[-1].day == NOW.date()
    assert (overview.chart.bars[-1].succeeded, overview.chart.bars[-1].failed) == (4, 2)
    assert (overview.chart.bars[0].succeeded, overview.chart.bars[0].failed) == (0, 1)
    assert overview.chart.peak == 6
    assert overview.chart.bars[-1].failed_y == 0  # the peak day reaches the top
    assert all(bar.success_height == 0 for bar in overview.chart.bars[1:-1])


def test_the_chart_is_server_rendered_svg_without_inline_style(console, practice, member):
    AuditEvent.objects.create(
        practice=practice, target=member, action="signin.failed", created_at=timezone.now()
    )
    body = console.get("/console/").content.decode()
    svg = body.split('<svg class="chart__svg"')[1].split("</svg>")[0]
    assert svg.count('class="chart__failed"') == 14
    assert "0 signed in, 1 failed" in svg
    assert "style=" not in body and "<script>" not in body
