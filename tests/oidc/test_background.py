"""Item 5 of issue 23, as it runs in production: the logout tokens go out in a thread of their
own once the ending commits, so the administrator's page never waits for an application, and a
failed send is tried again a few seconds later, in the background too."""

import time

import pytest

from oidc.models import LogoutDelivery
from practice.models import AuditEvent
from tests.factories import AdminFactory, PracticeFactory, UserFactory
from tests.oidc.helpers import make_application, sign_in_to, userinfo
from tests.oidc.receiver import Receiver
from tests.signin_helpers import signed_in_client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def background(settings):
    settings.OIDC_BACKCHANNEL_IN_BACKGROUND = True
    settings.OIDC_BACKCHANNEL_RETRY_SECONDS = [1, 60]


@pytest.fixture
def slow_receiver():
    server = Receiver(delay=3.0)
    yield server
    server.close()


def test_item5_the_administrators_page_never_waits_for_an_application(background, slow_receiver):
    practice = PracticeFactory(code="valley")
    admin = AdminFactory(practice=practice, username="avery")
    member = UserFactory(practice=practice, username="nina")
    charts = make_application(practice, name="Charts", backchannel_logout_uri=slow_receiver.url)
    browser = signed_in_client(member)
    tokens = sign_in_to(browser, charts)
    console = signed_in_client(admin)
    started = time.monotonic()
    response = console.post(f"/console/users/{member.pk}/deactivate/")
    took = time.monotonic() - started
    assert response.status_code == 302
    # The application takes 3 s to answer; the page came back long before.
    assert took < 2.0, took
    assert userinfo(tokens["access_token"]).status_code == 401
    assert len(slow_receiver.wait_for(1)) == 1
    deadline = time.monotonic() + 10
    while not LogoutDelivery.objects.filter(delivered_at__isnull=False).exists():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert AuditEvent.objects.filter(action="app.logout_sent").count() == 1


def test_item5_a_failed_send_is_tried_again_in_the_background(background):
    receiver = Receiver(status=500)
    try:
        practice = PracticeFactory(code="valley")
        member = UserFactory(practice=practice, username="nina")
        charts = make_application(practice, name="Charts", backchannel_logout_uri=receiver.url)
        browser = signed_in_client(member)
        sign_in_to(browser, charts)
        browser.post("/logout/")
        receiver.wait_for(1)
        receiver.status = 200
        assert len(receiver.wait_for(2)) == 2
        deadline = time.monotonic() + 10
        while not LogoutDelivery.objects.filter(delivered_at__isnull=False).exists():
            assert time.monotonic() < deadline
            time.sleep(0.1)
        delivery = LogoutDelivery.objects.get()
        assert delivery.attempts == 2
        actions = list(
            AuditEvent.objects.filter(action__startswith="app.logout")
            .order_by("id")
            .values_list("action", flat=True)
        )
        assert actions == ["app.logout_failed", "app.logout_sent"]
    finally:
        receiver.close()
