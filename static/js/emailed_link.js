/* The page an emailed link opens (accounts/emailed_links.py). The link's secret follows its "#",
 * which a browser never sends to a server, so no access log holds it. This script takes it out
 * of the address bar and the history, then posts it in the page's form. Without JavaScript the
 * page asks for the whole link instead. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-emailed-link]");
  var secret = window.location.hash.slice(1);
  if (!form || !secret) return;
  window.history.replaceState(null, "", window.location.pathname);
  form.elements.link.value = secret;
  form.submit();
})();
