/* Django admin, every page (templates/admin/base_site.html).
 *
 * Django's two-box filter widget (SelectFilter2.js, on a page with a `filter_horizontal` field
 * such as a group's permissions) draws the magnifier before each filter box as a <span> with an
 * aria-label. ARIA gives no name to a span without a role (axe: aria-prohibited-attr), so the
 * box's label, which holds only that icon, was read as nothing. The icon is an image that
 * labels the box: it gets the role of one. The widget is built after the page loads, so new
 * icons are watched for.
 */
(function () {
  "use strict";

  function nameIcons() {
    document
      .querySelectorAll(".search-label-icon[aria-label]:not([role])")
      .forEach(function (icon) {
        icon.setAttribute("role", "img");
      });
  }

  nameIcons();
  new MutationObserver(nameIcons).observe(document.body, { childList: true, subtree: true });
})();
