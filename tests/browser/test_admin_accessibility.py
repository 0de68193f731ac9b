"""Django admin, where support staff work across practices (issue 24): zero axe-core violations
on every page they use, at 1280x900, 390x844 and the issue's small phone, 360x740.

The pages come from the admin site's registry, so an admin registered later is checked too: for
each model its list (searched, filtered, by date), its add page (a failed save too), an object's
page and history, its delete page where there is one, and the page or message each of its
actions answers with. The site's own pages (the index, each app's page, the sign-in page) and
the invitation of a practice's first administrator are checked on their own.
"""

from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission
from django.test import RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from oidc.applications import application_create
from practice.models import AuditEvent
from practice.vocabulary import AuditAction
from tests.browser.accessibility import SIZES, axe_violations
from tests.browser.pages import DESKTOP, make_site
from tests.factories import OfficeNetworkFactory, PracticeFactory, StaffFactory
from tests.signin_helpers import browser_signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The vendored helper's desktop and phone, and the small phone.
ADMIN_SIZES = {**SIZES, "small phone": {"width": 360, "height": 740}}
REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)


def violations_on(page, name: str) -> list[str]:
    """The page's axe violations at each size, each line naming the page."""
    found = []
    for size_name, size in ADMIN_SIZES.items():
        page.set_viewport_size(size)
        found += [f"{name} ({size_name}): {violation}" for violation in axe_violations(page)]
    page.set_viewport_size(DESKTOP)
    return found


def admin_page_problems(page, name: str) -> list[str]:
    """An admin page's violations, and whether it has the site's header and our stylesheet
    (which underlines the links in its text) once."""
    found = violations_on(page, name)
    if page.locator("#site-name").inner_text() != "PracticeGate support":
        found.append(f"{name}: not the support site's header")
    if page.locator("link[rel=stylesheet][href*='/css/admin.']").count() != 1:
        found.append(f"{name}: static/css/admin.css not loaded once")
    return found


def visit(page, url: str) -> None:
    response = page.goto(url)
    assert response.status == 200, f"{url}: {response.status}"


@dataclass
class Support:
    site: object
    request: object  # the staff member's, for the admins' permission checks


@pytest.fixture
def support(live_server, page, practice, admin_user, member):
    """A practice as support meets it (office networks, a provider linked to a user, users in
    every state, audit events with details, an application, roles), a practice with nobody
    yet, and a support staff member signed in with their own second factor."""
    site = make_site(practice, admin_user, member)
    OfficeNetworkFactory(practice=practice, cidr="192.0.2.0/24", label="Back office")
    member.provider = site.provider
    member.save(update_fields=["provider"])
    application_create(
        practice=practice,
        actor=admin_user,
        name="Charts",
        redirect_uris=["https://charts.example.test/callback"],
    )
    PracticeFactory(code="solo", name="Solo")
    leads = Group.objects.create(name="Support leads")
    leads.permissions.set(Permission.objects.filter(codename__startswith="view_"))
    staff = StaffFactory(username="support", first_name="Sue", last_name="Port")
    device = TOTPDevice.objects.create(user=staff, name="Key", confirmed=True)
    # What Django admin records of a save there: the index's "Recent actions", a page's history.
    LogEntry.objects.log_actions(
        staff.pk, [practice], CHANGE, [{"changed": {"fields": ["Name"]}}], single_object=True
    )
    browser_signed_in(page.context, live_server.url, staff, device=device)
    as_staff = RequestFactory().get("/admin/")
    as_staff.user = staff
    return Support(site=site, request=as_staff)


def the_object(model, site):
    """The row whose pages are checked: the issue names the practice's and an audit event's."""
    chosen = {
        "practice.Practice": site.practice,
        "accounts.User": site.member,
        "practice.AuditEvent": AuditEvent.objects.filter(action=AuditAction.APP_CREATED).first(),
    }
    if model._meta.label in chosen:
        return chosen[model._meta.label]
    return model._default_manager.order_by("pk").first()


def search_term(model_admin, obj) -> str:
    """A word that finds `obj` through the list's first search field."""
    value = obj
    for part in model_admin.search_fields[0].lstrip("^=@").split("__"):
        value = getattr(value, part)
    return str(value)


def model_pages(page, base_url: str, model, support):
    """Drives the browser through the pages of one registered model, yielding each one's name."""
    model_admin = admin.site._registry[model]
    info = (model._meta.app_label, model._meta.model_name)
    changelist = base_url + reverse("admin:{}_{}_changelist".format(*info))
    obj = the_object(model, support.site)
    label = model._meta.verbose_name_plural

    visit(page, changelist)
    yield f"{label}: list"
    if model_admin.search_fields:
        visit(page, f"{changelist}?q={search_term(model_admin, obj)}")
        expect(page.locator("#result_list tbody tr").first).to_be_visible()
        yield f"{label}: list, searched"
    if model_admin.list_filter:
        visit(page, changelist)
        # The first choice of each filter after "All", as the page's own links offer it.
        filters = page.locator("#changelist-filter details")
        hrefs = [
            filters.nth(i).locator("li a").nth(1).get_attribute("href")
            for i in range(filters.count())
        ]
        for i, href in enumerate(hrefs):
            visit(page, changelist + href)
            yield f"{label}: list, filtered by its filter {i + 1}"
    if model_admin.date_hierarchy:
        visit(page, changelist)
        page.locator("nav.toplinks a").first.click()
        expect(page.locator("nav.toplinks .date-back")).to_be_visible()
        yield f"{label}: list, by date"
    if model_admin.has_add_permission(support.request):
        add = base_url + reverse("admin:{}_{}_add".format(*info))
        visit(page, add)
        yield f"{label}: add"
        page.locator("input[name=_save]").click()
        expect(page.locator(".errornote")).to_be_visible()
        yield f"{label}: add, saved empty"
    if obj is not None:
        visit(page, base_url + reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
        yield f"{label}: {obj}"
        visit(page, base_url + reverse("admin:{}_{}_history".format(*info), args=[obj.pk]))
        yield f"{label}: {obj}, history"
        if model_admin.has_delete_permission(support.request, obj):
            visit(page, base_url + reverse("admin:{}_{}_delete".format(*info), args=[obj.pk]))
            yield f"{label}: {obj}, delete"
        visit(page, changelist)
        actions = page.locator("select[name=action] option:not([value=''])")
        for value in [actions.nth(i).get_attribute("value") for i in range(actions.count())]:
            visit(page, changelist)
            page.locator(f"input.action-select[value='{obj.pk}']").check()
            page.locator("select[name=action]").select_option(value)
            page.get_by_role("button", name="Go").click()
            page.wait_for_load_state()
            yield f"{label}: action {value} on {obj}"


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_every_page_of_each_registered_admin_has_no_axe_violations(
    live_server, page, support, model
):
    found = []
    for name in model_pages(page, live_server.url, model, support):
        found += admin_page_problems(page, name)
    assert not found, "\n".join(found)


def test_the_admin_index_app_pages_and_sign_in_have_no_axe_violations(live_server, page, support):
    found = []
    visit(page, f"{live_server.url}/admin/")
    expect(page.get_by_role("heading", name="Recent actions")).to_be_visible()
    found += admin_page_problems(page, "index")
    for app_label in sorted({model._meta.app_label for model in REGISTERED}):
        visit(page, live_server.url + reverse("admin:app_list", args=[app_label]))
        found += admin_page_problems(page, f"{app_label}: app page")
    # The header's "Change password": support staff change theirs where everyone does.
    page.get_by_role("link", name="Change password").click()
    expect(page).to_have_url(f"{live_server.url}/account/password/")
    found += violations_on(page, "change password")
    page.context.clear_cookies()
    visit(page, f"{live_server.url}/admin/")
    expect(page).to_have_url(f"{live_server.url}/admin/login/?next=/admin/")
    found += violations_on(page, "sign-in")
    assert not found, "\n".join(found)


def test_inviting_a_practices_first_administrator_has_no_axe_violations(live_server, page, support):
    found = []
    visit(page, f"{live_server.url}/admin/practice/practice/")
    page.get_by_role("checkbox", name="Select this object for an action - Solo (solo)").check()
    page.locator("select[name=action]").select_option("invite_first_administrator")
    page.get_by_role("button", name="Go").click()
    expect(
        page.get_by_role("heading", name="Invite the first administrator of Solo")
    ).to_be_visible()
    found += admin_page_problems(page, "invite the first administrator")
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Email").fill("not an address")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    found += admin_page_problems(page, "invite the first administrator, a wrong address")
    assert not found, "\n".join(found)
