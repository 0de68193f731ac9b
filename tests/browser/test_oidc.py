"""Single sign-on in real Chromium (issue 23): a browser opens an application of the practice
(mozilla-django-oidc, served by its own server), is sent to the practice's own sign-in page,
signs in with the password and, because this application always asks for one, the second
factor, and lands in the application signed in. The pages single sign-on adds are checked with
axe-core at desktop and phone size on the way."""

import pytest
from playwright.sync_api import expect

from oidc.models import ApplicationSignIn
from practice.models import AuditEvent
from tests.browser.accessibility import assert_accessible
from tests.factories import PASSWORD, OfficeNetworkFactory
from tests.mfa.helpers import app_code, app_device
from tests.oidc.rp.server import relying_party_served

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def issuer(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "OIDC_ISS_ENDPOINT": f"{live_server.url}/o",
    }
    return f"{live_server.url}/o"


def test_sign_in_to_an_application_through_the_practices_page_with_a_second_factor(
    live_server, page, issuer, practice, member, tmp_path
):
    # In the office, where the practice asks for no second factor; the application does.
    OfficeNetworkFactory(practice=practice, cidr="127.0.0.0/8")
    device = app_device(member)
    with relying_party_served(
        issuer=issuer,
        practice=practice,
        database=tmp_path / "rp.sqlite3",
        name="Charts",
        always_second_factor=True,
    ) as application:
        page.goto(f"{application}/whoami/")
        page.wait_for_url(f"{live_server.url}/p/valley/login/**")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        page.get_by_label("Username").fill("nina")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_label("Verification code")).to_be_visible()
        page.get_by_label("Verification code").fill(app_code(device))
        page.get_by_role("button", name="Verify").click()
        page.wait_for_url(f"{application}/whoami/")
        assert '"preferred_username": "nina"' in page.content()
    signin = ApplicationSignIn.objects.get(user=member)
    assert signin.amr == ["pwd", "otp", "mfa"]
    assert AuditEvent.objects.filter(action="app.signed_in", target=member).count() == 1


def test_the_refusal_page_says_why_and_leads_back_to_the_application(
    live_server, page, issuer, practice, member, admin_user
):
    from accounts.lockout import user_lock
    from oidc.applications import application_create
    from tests.signin_helpers import browser_signed_in

    registered = application_create(
        practice=practice,
        actor=None,
        name="Charts",
        redirect_uris=["http://127.0.0.1:9/callback"],
    )
    browser_signed_in(page.context, live_server.url, member)
    user_lock(user=member, actor=admin_user)
    page.goto(
        f"{issuer}/authorize/?response_type=code&client_id={registered.application.client_id}"
        "&redirect_uri=http://127.0.0.1:9/callback&scope=openid&state=s"
    )
    expect(page.get_by_role("heading", name="Your account is locked")).to_be_visible()
    back = page.get_by_role("link", name="Back to Charts")
    assert "error=access_denied" in back.get_attribute("href")
    assert_accessible(page)
