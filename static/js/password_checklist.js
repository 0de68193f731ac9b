/* The live password checklist: ticks the rules a browser can check (length and the kinds of
   character) as the user types. The server renders the rules from the practice's policy and
   checks every one of them again on submit; this only helps before that. */
(function () {
  "use strict";

  // Mirrors accounts.passwords.CHARACTER_CLASSES (a symbol is anything not a letter or digit).
  var CLASSES = {
    lower: /\p{Ll}/u,
    upper: /\p{Lu}/u,
    digit: /\p{Nd}/u,
    symbol: /[^\p{L}\p{N}]/u
  };

  function isMet(item, value) {
    var rule = item.getAttribute("data-rule");
    if (rule === "length") {
      // Count characters as Python does (code points), not UTF-16 units.
      return Array.from(value).length >= Number(item.getAttribute("data-min"));
    }
    return CLASSES[rule] ? CLASSES[rule].test(value) : null;
  }

  function update(input, list) {
    var value = input.value;
    list.querySelectorAll("[data-live]").forEach(function (item) {
      var met = isMet(item, value);
      if (met === null) {
        return;
      }
      item.setAttribute("data-state", met ? "met" : "pending");
      var state = item.querySelector(".checklist__state");
      if (state) {
        state.textContent = met ? "(done)" : "(not yet)";
      }
    });
  }

  document.querySelectorAll("[data-password-checklist]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("data-password-checklist"));
    if (!list) {
      return;
    }
    list.classList.add("checklist--live");
    input.addEventListener("input", function () {
      update(input, list);
    });
    if (input.value) {
      update(input, list);
    }
  });
})();
