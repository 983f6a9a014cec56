/* Red Vest console: the few behaviours that need script. No inline handlers, so a strict CSP can forbid them. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.getElementById("menu-toggle");
    var bar = document.getElementById("topbar");
    if (toggle && bar) {
      bar.classList.add("has-toggle");
      toggle.addEventListener("click", function () {
        var open = bar.classList.toggle("menu-open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }
    // Live pages (the on-duty board, the dashboard, a spot check) reload themselves every N seconds,
    // unless the user is typing in a field (a reload would lose what they typed).
    var every = parseInt(document.body.getAttribute("data-refresh") || "", 10);
    if (every > 0) {
      window.setInterval(function () {
        var active = document.activeElement;
        if (active && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName)) { return; }
        window.location.reload();
      }, every * 1000);
    }
    // Forms that need a second thought carry data-confirm="question".
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
    // "Select all" boxes tick every box of the same form (bulk approval).
    document.querySelectorAll("input[data-select-all]").forEach(function (all) {
      all.addEventListener("change", function () {
        document.querySelectorAll("input[name='" + all.getAttribute("data-select-all") + "']").forEach(function (box) {
          box.checked = all.checked;
        });
      });
    });
  });
})();
