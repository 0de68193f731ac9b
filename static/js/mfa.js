/* Two-factor pages. A classic script, loaded before django-otp-webauthn's module script. */
(function () {
  "use strict";

  // django-otp-webauthn's script calls gettext() for its status texts; we ship English only,
  // so the JavaScript catalog is not needed.
  if (typeof window.gettext !== "function") {
    window.gettext = function (text) { return text; };
  }

  // "Time left" for a text, voice or email code: [data-countdown] holds the seconds left.
  function formatSeconds(seconds) {
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function startCountdowns() {
    var nodes = document.querySelectorAll("[data-countdown]");
    nodes.forEach(function (node) {
      var endsAt = Date.now() + parseInt(node.getAttribute("data-countdown"), 10) * 1000;
      var output = node.querySelector("[data-countdown-value]");
      // "23 seconds" for a short wait, "9:41" for a code's time left.
      var inSeconds = node.getAttribute("data-countdown-unit") === "seconds";
      function tick() {
        var left = Math.max(0, Math.round((endsAt - Date.now()) / 1000));
        if (output) {
          output.textContent = inSeconds
            ? left + (left === 1 ? " second" : " seconds")
            : formatSeconds(left);
        }
        if (left === 0) {
          node.textContent = node.getAttribute("data-expired-text") || "";
          return;
        }
        window.setTimeout(tick, 1000);
      }
      tick();
    });
  }

  // After a security key or passkey is registered, go where the server says (the security
  // page, or on with the sign-in).
  document.addEventListener("otp_webauthn.register_complete", function (event) {
    var response = event.detail && event.detail.response;
    if (response && response.redirect_url) {
      window.location.assign(response.redirect_url);
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", startCountdowns);
  } else {
    startCountdowns();
  }
})();
