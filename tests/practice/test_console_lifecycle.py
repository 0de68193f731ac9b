"""The console's lifecycle pages: "Access ends on", "Offboard", the settings, access reviews."""

import csv
import io
from datetime import timedelta

import pytest
from django.core import mail
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.invitations import invitation_create
from accounts.models import AccessReview, Invitation, Role
from accounts.remote_access import remote_access_grant
from practice.models import AuditEvent
from tests.factories import ProviderFactory, UserFactory
from tests.practice.test_console_user import save
from tests.signin_helpers import signed_in_client

pytestmark = pytest.mark.django_db


def test_access_ends_on_is_one_field_on_the_user_page(console, member):
    page = console.get(f"/console/users/{member.pk}/").content.decode()
    assert ">Access ends on</label>" in page
    day = member.practice.today() + timedelta(days=20)
    response = save(console, member, access_ends_on=day.isoformat())
    assert "Saved the changes" in response.content.decode()
    member.refresh_from_db()
    assert member.access_ends_on == day
    assert AuditEvent.objects.filter(action="user.access_end_changed", target=member).exists()


def test_an_end_date_of_today_ends_access_at_once(console, member):
    browser = signed_in_client(member)
    save(console, member, access_ends_on=member.practice.today().isoformat())
    assert "your access ended" in browser.get("/account/", follow=True).content.decode()


def test_offboarding_lists_what_will_happen_then_does_it_all(console, member, admin_user):
    member.pm_username = "NR"
    member.provider = ProviderFactory(practice=member.practice)
    member.save()
    remote_access_grant(user=member, actor=admin_user)
    TOTPDevice.objects.create(user=member, name="Phone", confirmed=True)
    browser = signed_in_client(member)
    page = console.get(f"/console/users/{member.pk}/offboard/").content.decode()
    for words in (
        "end 1 active session now",
        "remove their remote access",
        "remove their sign-in methods: Phone",
        "no password reset link works",
        "keep their link to the provider Dr. Ada Park",
        ">Confirm offboarding</button>",
    ):
        assert words in page, words
    assert not AuditEvent.objects.filter(action="user.offboarded").exists()

    mail.outbox.clear()
    response = console.post(f"/console/users/{member.pk}/offboard/", follow=True)
    assert "is offboarded" in response.content.decode()
    member.refresh_from_db()
    assert not member.is_active and not member.remote_access
    assert not member.has_usable_password() and member.provider is not None
    assert not TOTPDevice.objects.filter(user=member).exists()
    actions = set(AuditEvent.objects.filter(target=member).values_list("action", flat=True))
    assert {
        "user.deactivated",
        "remote_access.removed",
        "sessions.ended",
        "mfa.devices_removed",
        "password.cleared",
        "user.offboarded",
    } <= actions
    assert [m.to for m in mail.outbox] == [[member.email]]
    assert browser.get("/account/").status_code == 302


def test_offboarding_voids_an_open_invitation(console, practice, admin_user):
    invited = UserFactory(practice=practice)
    invited.set_unusable_password()
    invited.save()
    invitation_create(user=invited, actor=admin_user)
    console.post(f"/console/users/{invited.pk}/offboard/")
    assert not Invitation.objects.filter(user=invited, voided_at__isnull=True).exists()


def test_an_administrator_cannot_offboard_themselves(console, admin_user):
    response = console.post(f"/console/users/{admin_user.pk}/offboard/", follow=True)
    assert "cannot be offboarded" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_offboarding_another_practices_user_is_a_404(console, stranger):
    assert console.get(f"/console/users/{stranger.pk}/offboard/").status_code == 404
    assert console.post(f"/console/users/{stranger.pk}/offboard/").status_code == 404


def test_the_settings_offer_the_lifecycle_rules(console, practice):
    from tests.practice.test_console_settings import post

    body = console.get("/console/settings/").content.decode()
    for label in ("Deactivate after days without sign-in", "Access review every (days)"):
        assert f">{label}</label>" in body
    post(console, dormant_after_days="60", access_review_days="30")
    practice.refresh_from_db()
    assert (practice.dormant_after_days, practice.access_review_days) == (60, 30)


def test_a_review_from_start_to_finish_with_a_csv_for_the_file(
    console, practice, member, admin_user
):
    member.pm_username = "NR"
    member.save()
    remote_access_grant(user=member, actor=admin_user)
    manager = UserFactory(practice=practice, role=Role.USER_MANAGER, username="morgan")
    body = console.get("/console/reviews/").content.decode()
    assert ">Start review</button>" in body
    console.post("/console/reviews/start/")
    review = AccessReview.objects.get()
    page = console.get("/console/reviews/").content.decode()
    assert ">Finish review</button>" in page and "Keep" in page and "Remove" in page
    items = {(item.user.username, item.kind): item for item in review.items.all()}
    # Finishing with lines unmarked is refused, and says how many.
    response = console.post(
        "/console/reviews/", {f"item-{items[('nina', 'remote_access')].pk}": "remove"}
    )
    assert response.status_code == 400
    assert "not marked" in response.content.decode()
    response = console.post(
        "/console/reviews/",
        {
            f"item-{items[('nina', 'remote_access')].pk}": "remove",
            f"item-{items[('morgan', 'role')].pk}": "keep",
            f"item-{items[('avery', 'role')].pk}": "keep",
        },
        follow=True,
    )
    assert "Review finished: 2 kept, 1 removed." in response.content.decode()
    member.refresh_from_db()
    manager.refresh_from_db()
    assert not member.remote_access and manager.role == Role.USER_MANAGER
    export = console.get(f"/console/reviews/{review.pk}/export.csv")
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert rows[0][:3] == ["user", "username", "holds"]
    assert {row[1]: row[5] for row in rows[1:]} == {
        "nina": "Remove",
        "morgan": "Keep",
        "avery": "Keep",
    }


def test_the_overview_says_when_the_next_review_is_due(console, practice):
    practice.access_review_days = 90
    practice.save()
    body = console.get("/console/").content.decode()
    assert "Next access review due" in body


def test_another_practices_review_export_is_a_404(console, other_practice):
    from accounts.reviews import review_start

    review = review_start(practice=other_practice, actor=None)
    assert console.get(f"/console/reviews/{review.pk}/export.csv").status_code == 404
