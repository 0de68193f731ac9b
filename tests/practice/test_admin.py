import pytest

from practice.audit import audit_record
from practice.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_audit_log_is_readable_but_not_writable_in_admin_even_for_superusers(staff_client, member):
    event = audit_record(action="user.unlocked", target=member)
    assert staff_client.get("/admin/practice/auditevent/").status_code == 200
    assert staff_client.get(f"/admin/practice/auditevent/{event.pk}/change/").status_code == 200
    assert staff_client.get("/admin/practice/auditevent/add/").status_code == 403
    response = staff_client.post(
        f"/admin/practice/auditevent/{event.pk}/change/", {"action": "rewritten"}
    )
    assert response.status_code == 403
    assert (
        staff_client.post(
            f"/admin/practice/auditevent/{event.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert AuditEvent.objects.get(pk=event.pk).action == "user.unlocked"


def test_admin_user_page_never_shows_or_sets_a_password(staff_client, member):
    response = staff_client.get(f"/admin/accounts/user/{member.pk}/change/")
    assert response.status_code == 200
    body = response.content.decode()
    assert member.password not in body
    assert 'name="password"' not in body
    response = staff_client.get(f"/admin/accounts/user/{member.pk}/password/", follow=True)
    assert b'name="password1"' not in response.content


def test_admin_lists_practices_with_their_office_networks(staff_client, practice):
    response = staff_client.get(f"/admin/practice/practice/{practice.pk}/change/")
    assert response.status_code == 200
    assert b"office_networks" in response.content
