"""axe-core over the pages everyone meets, at desktop and phone sizes (WCAG 2.1 AA)."""

import pytest

from tests.browser.accessibility import assert_accessible, axe_violations
from tests.signin_helpers import browser_signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_check_finds_a_violation_where_there_is_one(page):
    page.set_content("<html lang='en'><body><main><img src='x.png'><input></main></body></html>")
    found = " ".join(axe_violations(page))
    assert "image-alt" in found and "label" in found


@pytest.mark.parametrize("path", ["/login/", "/p/valley/login/", "/password-reset/"])
def test_sign_in_pages_have_no_axe_violations(live_server, page, practice, path):
    page.goto(f"{live_server.url}{path}")
    assert_accessible(page)


@pytest.mark.parametrize(
    "path",
    ["/account/", "/account/password/", "/account/security/", "/console/", "/console/settings/"],
)
def test_signed_in_pages_have_no_axe_violations(live_server, page, context, admin_user, path):
    browser_signed_in(context, live_server.url, admin_user)
    page.goto(f"{live_server.url}{path}")
    assert_accessible(page)
