"""Item 14 of the hostile tester's report: emailed secrets in the proxy's access log.

The reset, invitation and email-change links are followed through each documented proxy, its
access log on, as a browser follows them (the page's script posts what follows the `#`, which
the browser never sends). Then the proxy's access log is read: it shows the links' pages, and
no token, nor the session cookie.
"""

import time
from urllib.parse import urlsplit

import pytest
from django.core import mail

from accounts.invitations import invitation_create, invitation_email
from accounts.models import User
from accounts.profile import email_change_request
from tests.account_helpers import link_in, link_secret
from tests.factories import UserFactory
from tests.gateway.test_proxies import Browser

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "Granite-River-42"


def open_link(browser: Browser, body: str) -> str:
    """As Chromium with the page's script: GET the link without its `#` part, post that part.
    Returns the step page's address."""
    link = link_in(body)
    parts = urlsplit(link)
    page_url = f"{parts.scheme}://{parts.netloc}{parts.path}"
    page = browser.get(page_url)
    assert page.status_code == 200, page.status_code
    data = {"csrfmiddlewaretoken": browser.form_token(page), "link": parts.fragment}
    response = browser.post(page_url, data)
    assert response.status_code == 302, response.status_code
    return f"{parts.scheme}://{parts.netloc}{response.headers['Location']}"


def set_password(browser: Browser, step: str) -> None:
    page = browser.get(step)
    assert page.status_code == 200, page.status_code
    data = {
        "csrfmiddlewaretoken": browser.form_token(page),
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
    }
    assert browser.post(step, data).status_code == 302


def access_log(gateway, *, holding: str) -> str:
    """The proxy's access log, once it shows `holding` (a proxy may write a moment late)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        text = gateway.access_log.read_text() if gateway.access_log.exists() else ""
        if holding in text:
            return text
        time.sleep(0.2)
    raise AssertionError(f"{gateway.name}'s access log never showed {holding}:\n{text[-2000:]}")


def test_item14_emailed_tokens_are_in_no_line_of_the_proxys_access_log(gateway, practice):
    mail.outbox = []
    nina = UserFactory(practice=practice, username="nina", email="nina@example.test")
    browser = Browser(gateway)

    # Forgot password, through the proxy.
    page = browser.get(f"{gateway.site}/password-reset/")
    data = {
        "csrfmiddlewaretoken": browser.form_token(page),
        "practice_code": "valley",
        "identifier": "nina",
    }
    assert browser.post(f"{gateway.site}/password-reset/", data).status_code == 302
    (reset,) = mail.outbox
    assert link_in(reset.body).startswith(f"{gateway.site}/password-reset/link/#")
    set_password(browser, open_link(browser, reset.body))
    assert User.objects.get(pk=nina.pk).check_password(NEW_PASSWORD)

    # An invitation.
    kim = UserFactory(practice=practice, username="kim", email="kim@example.test", password="!")
    invitation_email(user=kim, token=invitation_create(user=kim, actor=None))
    invitation = mail.outbox[-1]
    invitee = Browser(gateway)
    set_password(invitee, open_link(invitee, invitation.body))
    assert User.objects.get(pk=kim.pk).check_password(NEW_PASSWORD)

    # An email change, confirmed from the new mailbox.
    email_change_request(user=nina, new_email="nina.new@example.test")
    confirm = next(m for m in mail.outbox if m.to == ["nina.new@example.test"])
    confirmer = Browser(gateway)
    step = open_link(confirmer, confirm.body)
    page = confirmer.get(step)
    confirmer.post(step, {"csrfmiddlewaretoken": confirmer.form_token(page)})
    assert User.objects.get(pk=nina.pk).email == "nina.new@example.test"

    log = access_log(gateway, holding="/account/email/confirm/")
    assert "/password-reset/link/" in log and "/invite/link/" in log
    tokens = {
        "reset": link_secret(reset.body).partition(".")[2],
        "invitation": link_secret(invitation.body),
        "email change": link_secret(confirm.body),
    }
    for what, token in tokens.items():
        assert len(token) >= 20
        assert token not in log, f"{gateway.name}'s access log holds the {what} token"
    for cookie in browser.session.cookies:
        assert cookie.value not in log, f"{gateway.name}'s access log holds {cookie.name}"
