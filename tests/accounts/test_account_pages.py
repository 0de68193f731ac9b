"""Every My Account and reset page: no inline script or style (strict CSP), never cached."""

import re

import pytest
from django.core import mail
from django.core.cache import cache

from tests.account_helpers import link_open
from tests.factories import PASSWORD
from tests.signin_helpers import sign_in

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>")


def assert_strict(response):
    assert response.status_code == 200
    body = response.content.decode()
    assert not INLINE_SCRIPT.search(body)
    assert "style=" not in body
    assert "no-store" in response["Cache-Control"]
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_signed_in_pages(client, member):
    sign_in(client, member)
    for path in ("/account/", "/account/password/", "/account/confirm-password/"):
        assert_strict(client.get(path))
    client.post(
        "/account/",
        {"email": member.email, "mobile_phone": "+12025550143", "current_password": PASSWORD},
    )
    assert_strict(client.get("/account/phone/"))


def test_reset_pages(client, member):
    cache.clear()
    assert_strict(client.get("/password-reset/"))
    response = client.post(
        "/password-reset/", {"practice_code": "valley", "identifier": "nina"}, follow=True
    )
    assert_strict(response)
    assert_strict(link_open(client, mail.outbox[0].body, follow=True))
