// Idle sign-out warning: two minutes before the practice's idle limit, offer "Stay signed in".
// The server decides (SessionGuardMiddleware); this only warns and, at zero, reloads the page so
// the server can sign the browser out and say why.
(function () {
  "use strict";
  var body = document.body;
  var limit = parseInt(body.getAttribute("data-idle-timeout"), 10);
  var box = document.getElementById("idle-warning");
  var form = document.getElementById("idle-keepalive");
  var countdown = document.getElementById("idle-countdown");
  if (!limit || !box || !form) { return; }

  var WARN_BEFORE = 120;
  var deadline;
  var timer;

  function format(seconds) {
    var m = Math.floor(seconds / 60);
    var s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function tick() {
    var left = Math.round((deadline - Date.now()) / 1000);
    if (left <= 0) {
      window.clearInterval(timer);
      window.location.reload();
      return;
    }
    if (left <= WARN_BEFORE) {
      countdown.textContent = format(left);
      if (box.hidden) {
        box.hidden = false;
        form.querySelector("button").focus();
      }
    }
  }

  function start(seconds) {
    deadline = Date.now() + seconds * 1000;
    box.hidden = true;
    window.clearInterval(timer);
    timer = window.setInterval(tick, 1000);
    tick();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      if (!response.ok) { window.location.reload(); return null; }
      return response.json();
    }).then(function (data) {
      if (data) { start(data.idle_seconds); }
    }).catch(function () { window.location.reload(); });
  });

  start(limit);
}());
