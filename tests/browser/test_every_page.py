"""Checks that hold on every page (tests/browser/pages.py visits them all, failed saves too):
nothing wider than a 360 or 390 px phone, no ARIA reference to an id that is not there, zero
axe-core violations at 1280x900 and 390x844, and console content as wide as the header."""

import pytest

from tests.browser.accessibility import SIZES, axe_violations
from tests.browser.pages import DESKTOP, PHONE_WIDTHS, TOURS, make_site

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every id an attribute points at must be on the page: a screen reader otherwise reads nothing.
DANGLING_IDS = """() => {
  const found = [];
  for (const [selector, attr] of [
    ['[aria-describedby]', 'aria-describedby'], ['[aria-labelledby]', 'aria-labelledby'],
    ['[aria-controls]', 'aria-controls'], ['label[for]', 'for'],
  ]) {
    for (const el of document.querySelectorAll(selector)) {
      for (const id of el.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) {
          found.push(`${attr}="${id}" on <${el.localName} id="${el.id}">`);
        }
      }
    }
  }
  return found;
}"""

PAGE_WIDTH = "() => document.documentElement.scrollWidth"


@pytest.fixture
def site(practice, admin_user, member):
    return make_site(practice, admin_user, member)


@pytest.mark.parametrize("tour", TOURS)
def test_no_page_is_wider_than_a_360_or_390_px_phone(live_server, page, site, tour):
    too_wide = []
    for name in TOURS[tour](page, live_server.url, site):
        for width in PHONE_WIDTHS:
            page.set_viewport_size({"width": width, "height": 844})
            scroll_width = page.evaluate(PAGE_WIDTH)
            if scroll_width > width:
                too_wide.append(f"{name} at {width}: {scroll_width} px")
        page.set_viewport_size(DESKTOP)
    assert not too_wide, "\n".join(too_wide)


@pytest.mark.parametrize("tour", TOURS)
def test_no_aria_reference_or_label_points_to_a_missing_id(live_server, page, site, tour):
    dangling = []
    for name in TOURS[tour](page, live_server.url, site):
        dangling += [f"{name}: {found}" for found in page.evaluate(DANGLING_IDS)]
    assert not dangling, "\n".join(dangling)


@pytest.mark.parametrize("tour", TOURS)
def test_every_page_has_no_axe_violations_at_desktop_and_phone_size(live_server, page, site, tour):
    violations = []
    for name in TOURS[tour](page, live_server.url, site):
        for size_name, size in SIZES.items():
            page.set_viewport_size(size)
            violations += [f"{name} ({size_name}): {found}" for found in axe_violations(page)]
        page.set_viewport_size(DESKTOP)
    assert not violations, "\n".join(violations)


CONTENT_AND_HEADER = """() => {
  const header = document.querySelector('.site-header__inner').getBoundingClientRect();
  const main = document.querySelector('main');
  const style = getComputedStyle(main);
  const box = main.getBoundingClientRect();
  const left = box.left + parseFloat(style.paddingLeft);
  const right = box.right - parseFloat(style.paddingRight);
  const headerStyle = getComputedStyle(document.querySelector('.site-header__inner'));
  return {
    header: [Math.round(header.left + parseFloat(headerStyle.paddingLeft)),
             Math.round(header.right - parseFloat(headerStyle.paddingRight))],
    content: [Math.round(left), Math.round(right)],
  };
}"""


@pytest.mark.parametrize("width", [1280, 1600])
def test_console_content_lines_up_with_the_header_on_every_console_page(
    live_server, page, site, width
):
    page.set_viewport_size({"width": width, "height": 900})
    misaligned = []
    for name in TOURS["console"](page, live_server.url, site):
        edges = page.evaluate(CONTENT_AND_HEADER)
        if edges["content"] != edges["header"]:
            misaligned.append(f"{name}: content {edges['content']}, header {edges['header']}")
    assert not misaligned, "\n".join(misaligned)
