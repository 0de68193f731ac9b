"""axe-core (vendored from npm: tests/browser/vendor/axe.min.js, MPL-2.0) in real Chromium.

The script is evaluated through DevTools, not added as a <script>: the pages' strict
Content-Security-Policy (rightly) refuses inline scripts.
"""

from pathlib import Path

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
# WCAG 2.1 A and AA, which the product's pages are held to.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def axe_violations(page) -> list[str]:
    """One line per violation: the rule and the elements it found, empty when there are none."""
    page.evaluate(AXE)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    return [
        f"{v['id']} ({v['impact']}): {', '.join(n['target'][0] for n in v['nodes'][:3])}"
        for v in result["violations"]
    ]


def assert_accessible(page) -> None:
    """No axe violation on the page as it is, at desktop and at phone size."""
    original = page.viewport_size
    try:
        for name, size in SIZES.items():
            page.set_viewport_size(size)
            found = axe_violations(page)
            assert found == [], f"{name}: {found}"
    finally:
        page.set_viewport_size(original)
