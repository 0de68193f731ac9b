// The console's small enhancements; every page works without them.
(function () {
  "use strict";

  // "Allow remote access" needs a practice management username: enable the checkbox as one is
  // typed, and untick and disable it again when the username is cleared.
  var username = document.querySelector("[data-pm-username]");
  var remote = document.querySelector("[data-remote-access]");
  var note = document.querySelector("[data-remote-note]");
  if (username && remote) {
    var sync = function () {
      var linked = username.value.trim() !== "";
      remote.disabled = !linked;
      if (!linked) {
        remote.checked = false;
      }
      if (note) {
        note.hidden = linked;
      }
    };
    username.addEventListener("input", sync);
    sync();
  }

  // The list's filter checkboxes apply at once.
  document.querySelectorAll("form[data-autosubmit] input[type=checkbox]").forEach(function (box) {
    box.addEventListener("change", function () {
      box.form.submit();
    });
  });

  // Add user: the temporary password fields matter only when that choice is made.
  var temporary = document.querySelector("[data-temporary-fields]");
  var choices = document.querySelectorAll("input[name=then]");
  if (temporary && choices.length) {
    var show = function () {
      var chosen = document.querySelector("input[name=then]:checked");
      temporary.hidden = !chosen || chosen.value !== "temporary";
    };
    choices.forEach(function (choice) {
      choice.addEventListener("change", show);
    });
    show();
  }
})();
