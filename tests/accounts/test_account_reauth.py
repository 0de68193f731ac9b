"""/account/confirm-password/ (accounts:reauth): type the password again before a risky change."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import UserSession
from accounts.reauth import REAUTH_SESSION_KEY, reauth_required
from practice.models import AuditEvent
from tests.factories import PASSWORD
from tests.signin_helpers import sign_in, signed_in_client

pytestmark = pytest.mark.django_db


def test_url_and_labelled_controls(client, member):
    assert reverse("accounts:reauth") == "/account/confirm-password/"
    sign_in(client, member)
    body = client.get("/account/confirm-password/?next=/account/password/").content.decode()
    assert ">Password</label>" in body
    assert ">Confirm</button>" in body
    assert 'name="next" value="/account/password/"' in body


def test_needs_sign_in(client):
    assert client.get("/account/confirm-password/")["Location"].startswith("/login/")


def test_right_password_goes_back_to_next(client, member):
    sign_in(client, member)
    response = client.post(
        "/account/confirm-password/", {"password": PASSWORD, "next": "/account/security/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/account/security/"
    assert REAUTH_SESSION_KEY in client.session


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/steal", "//evil.example/", "javascript:alert(1)", ""]
)
def test_next_outside_our_site_is_not_followed(client, member, next_url):
    sign_in(client, member)
    response = client.post("/account/confirm-password/", {"password": PASSWORD, "next": next_url})
    assert response["Location"] == "/account/"


def test_wrong_password_counts_towards_lockout(client, member):
    sign_in(client, member)
    response = client.post("/account/confirm-password/", {"password": "Wrong-Pass-1!"})
    assert response.status_code == 200
    assert "That password is not right." in response.content.decode()
    assert REAUTH_SESSION_KEY not in client.session
    member.refresh_from_db()
    assert member.failed_logins == 1
    assert AuditEvent.objects.get(action="signin.failed").details == {"reason": "reauth_password"}


def test_the_attempt_that_locks_signs_the_user_out(client, member, practice):
    sign_in(client, member)
    for _ in range(practice.lockout_threshold):
        response = client.post("/account/confirm-password/", {"password": "Wrong-Pass-1!"})
    assert response["Location"] == f"/p/{practice.code}/login/"
    member.refresh_from_db()
    assert member.locked_at is not None
    assert client.get("/account/").status_code == 302


def test_reauth_required_sends_here_and_back(client, member):
    # Signed in a while ago: the password typed then no longer counts as recent.
    sign_in(client, member, minutes_ago=10)

    @reauth_required
    def risky(request):
        return HttpResponse("done")

    request = RequestFactory().get("/account/security/")
    request.session = client.session
    response = risky(request)
    assert response["Location"] == "/account/confirm-password/?next=%2Faccount%2Fsecurity%2F"

    client.post("/account/confirm-password/", {"password": PASSWORD})
    request.session = client.session
    assert risky(request).content == b"done"


@pytest.mark.parametrize("where", ["my account", "console"])
def test_a_wrong_password_typed_again_that_locks_ends_every_session_wherever_it_was_typed(
    client, practice, admin_user, member, where
):
    """One re-authentication (accounts.reauth.password_again_checked), one behaviour: the
    attempt that locks the account ends every session of it, this browser's and the others'."""
    device = TOTPDevice.objects.create(user=admin_user, name="Phone", confirmed=True)
    sign_in(client, admin_user, device=device)
    other_browser = signed_in_client(admin_user)
    practice.lockout_threshold = 1
    practice.save()
    if where == "console":
        TOTPDevice.objects.create(user=member, name="Nina's phone", confirmed=True)
        url = f"/console/users/{member.pk}/reset-2fa/"
    else:
        url = "/account/confirm-password/"
    response = client.post(url, {"password": "Wrong-Pass-1!"})
    assert response.status_code == 302
    assert response["Location"] == f"/p/{practice.code}/login/"
    assert not UserSession.objects.filter(user=admin_user, ended_at__isnull=True).exists()
    assert other_browser.get("/account/").status_code == 302
