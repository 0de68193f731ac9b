"""Emergency access end to end in real Chromium: refused by login times, declared with a reason,
second factor from the authenticator app, signed in; the administrator is emailed and sees the
active emergency in the console. Each page is checked with axe at desktop and phone sizes."""

import time

import pyotp
import pytest
import time_machine
from django.core import mail
from playwright.sync_api import expect

from accounts.models import UserSession
from tests.browser.accessibility import assert_accessible
from tests.factories import PASSWORD, OfficeNetworkFactory
from tests.mfa.helpers import app_device, totp_for
from tests.signin_helpers import browser_signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "Covering the on-call shift tonight"


def test_an_emergency_access_account_declares_an_emergency_and_signs_in(
    live_server, page, browser, practice, member, admin_user
):
    OfficeNetworkFactory(practice=practice, cidr="127.0.0.0/8")
    member.emergency_access = True
    member.login_times_restricted = True  # and no window: never allowed
    member.save()
    app: pyotp.TOTP = totp_for(app_device(member))

    page.goto(f"{live_server.url}/p/valley/login/")
    page.get_by_label("Username").fill("nina")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not allowed at this time")
    assert_accessible(page)

    page.get_by_role("button", name="Declare an emergency").click()
    page.get_by_label("Reason").fill(REASON)
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()

    # The second factor is still asked, in the office too.
    expect(page.get_by_label("Verification code")).to_be_visible()
    with time_machine.travel(time.time() + 30, tick=True):
        page.get_by_label("Verification code").fill(app.at(time.time()))
        page.get_by_role("button", name="Verify").click()
        page.wait_for_url("**/account/")
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()

    (notice,) = mail.outbox
    assert notice.to == [admin_user.email] and REASON in notice.body
    assert UserSession.objects.get(user=member).emergency_reason == REASON

    # The administrator sees it in the console.
    context = browser.new_context()
    browser_signed_in(context, live_server.url, admin_user)
    console = context.new_page()
    console.goto(f"{live_server.url}/console/")
    emergencies = console.get_by_role("region", name="Active emergencies")
    expect(emergencies).to_contain_text("Nina Reyes")
    expect(emergencies).to_contain_text(REASON)
    context.close()
