"""Issue 21 (a hostile tester's report), items 3, 4 and 11, through HTTP as the attacker sent them.

3. One sign-in attempt named like a date ("2024-13-45") made the audit log, its search, its CSV
   export and the user page's activity answer 500 from then on.
4. Django admin answered any lookup on any field: `?password__gte=<prefix>` told a password hash
   away through the result count, one character at a time.
11. A NUL byte in a Django admin filter reached PostgreSQL, which refuses it: a 500.

The property-based half of item 3 (any JSON in any event's details) is in
test_hostile_audit_words.py.
"""

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from practice.models import AuditEvent
from practice.vocabulary import AuditAction
from tests.factories import StaffFactory
from tests.signin_helpers import sign_in

pytestmark = pytest.mark.django_db

DATE_THAT_IS_NOT = "2024-13-45"


@pytest.fixture
def support(db):
    """Support staff (no practice) in /admin/, signed in with their own second factor."""
    staff = StaffFactory(username="support")
    client = Client()
    sign_in(client, staff, device=TOTPDevice.objects.create(user=staff, name="Key", confirmed=True))
    return client


def _body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def test_item3_a_sign_in_attempt_named_like_a_date_leaves_the_audit_log_readable(
    console, practice, member
):
    # The exact attack: anyone, not signed in, types the username on the practice's page.
    Client().post(
        f"/p/{practice.code}/login/", {"username": DATE_THAT_IS_NOT, "password": "anything"}
    )
    assert AuditEvent.objects.filter(
        practice=practice, action=AuditAction.SIGNIN_FAILED, target=None
    ).exists()
    # Any free text that reaches the log does the same: here the reason for a remote-access
    # grant, typed by the administrator, lands in the member's own activity.
    saved = console.post(
        f"/console/users/{member.pk}/",
        {
            "active": "on",
            "pm_username": "NREYES",
            "remote_access": "on",
            "remote_access_reason": DATE_THAT_IS_NOT,
            "role": member.practice_role_id,
            "two_factor_setup": member.two_factor_setup,
        },
    )
    assert saved.status_code == 302
    assert AuditEvent.objects.filter(
        target=member, action=AuditAction.REMOTE_ACCESS_GRANTED
    ).exists()

    pages = {
        "audit log": "/console/audit/",
        "search": f"/console/audit/?q={DATE_THAT_IS_NOT}",
        "CSV export": "/console/audit/export.csv",
        "user page": f"/console/users/{member.pk}/",
    }
    bodies = {}
    for name, url in pages.items():
        response = console.get(url)
        assert response.status_code == 200, name
        bodies[name] = _body(response)
    assert "Sign-in refused" in bodies["audit log"]
    assert DATE_THAT_IS_NOT in bodies["search"]
    assert "Sign-in refused" in bodies["CSV export"]
    assert DATE_THAT_IS_NOT in bodies["user page"]


@pytest.mark.parametrize(
    "stored",
    [
        '{"count": 1' + "0" * 5000 + "}",  # Python will not turn 4,300+ digits into an int
        '{"items": ' + "[" * 990 + "]" * 990 + "}",  # deeper than Python's recursion limit
    ],
    ids=["5001-digit number", "990 levels deep"],
)
def test_item3_details_python_cannot_read_leave_every_page_readable(
    console, support, practice, member, stored
):
    # Valid JSON that the database keeps but no code of ours writes (a restore, a script):
    # Django's own read of the column raised, and with it the page.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO practice_auditevent (practice_id, target_id, action, details, "
            "user_agent, created_at) VALUES (%s, %s, %s, %s, '', %s)",
            [practice.pk, member.pk, AuditAction.USER_CREATED, stored, timezone.now()],
        )
    event = AuditEvent.objects.get(action=AuditAction.USER_CREATED)
    for url in (
        "/console/audit/",
        "/console/audit/export.csv",
        f"/console/users/{member.pk}/",
    ):
        response = console.get(url)
        assert response.status_code == 200, url
        assert "User added" in _body(response), url
    for url in ("/admin/practice/auditevent/", f"/admin/practice/auditevent/{event.pk}/change/"):
        assert support.get(url).status_code == 200, url
