/* The header's menu on a narrow screen: the "Menu" button shows and hides the navigation and
 * the Sign out button. Without JavaScript (or on a wide screen) they are simply always shown. */
(function () {
  "use strict";
  var header = document.querySelector("[data-collapsible-header]");
  if (!header) return;
  var button = header.querySelector("[data-menu-button]");
  var menu = document.getElementById(button.getAttribute("aria-controls"));
  header.classList.add("site-header--collapsible");
  button.hidden = false;
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    menu.classList.toggle("site-menu--open", open);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      button.setAttribute("aria-expanded", "false");
      menu.classList.remove("site-menu--open");
      button.focus();
    }
  });
})();
