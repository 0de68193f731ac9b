/* Where focus goes when a page opens after a form was sent.
 *
 * A failed form: its error summary ([data-error-summary], role="alert") takes focus, so it is
 * seen and read out; a link in it moves focus to its field (and scrolls its label into view).
 * A successful save on a long page: the view redirects to the saved section's #fragment; that
 * section ([data-saved-section], tabindex="-1") takes focus, and the confirmation message moves
 * into it, where the person is looking. Without JavaScript the browser still scrolls there.
 */
(function () {
  "use strict";

  function focusField(id) {
    var field = document.getElementById(id);
    if (!field) return false;
    var label = document.querySelector('label[for="' + id + '"]');
    field.focus({ preventScroll: true });
    (label || field).scrollIntoView({ block: "center" });
    return true;
  }

  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (link && focusField(link.getAttribute("href").slice(1))) event.preventDefault();
    });
    return;
  }

  var id = window.location.hash.slice(1);
  var section = id && document.getElementById(id);
  if (section && section.hasAttribute("data-saved-section")) {
    var messages = document.querySelector(".messages");
    var heading = section.querySelector("h2, h1");
    if (messages && heading) heading.after(messages);
    section.focus({ preventScroll: true });
    section.scrollIntoView({ block: "start" });
  }
})();
