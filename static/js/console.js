// Small behaviours shared by every console page: copy buttons, confirmations before destructive
// actions (forms carrying data-confirm), selects that submit their form (data-autosubmit), print
// buttons (data-print), a busy note on slow forms (data-busy), the phone navigation drawer, and
// computed geometry. The Content-Security-Policy allows no inline script,
// no event-handler attribute and no style attribute, so these live here: face boxes carry
// data-box="left,top,width,height" and bars data-width, both in percent, applied through the CSSOM.
(function () {
  "use strict";
  function within(root, selector) {
    var found = Array.prototype.slice.call(root.querySelectorAll ? root.querySelectorAll(selector) : []);
    if (root.matches && root.matches(selector)) found.unshift(root);
    return found;
  }
  function applyGeometry(root) {
    within(root, "[data-box]").forEach(function (el) {
      var v = el.getAttribute("data-box").split(",");
      el.style.left = v[0] + "%"; el.style.top = v[1] + "%"; el.style.width = v[2] + "%"; el.style.height = v[3] + "%";
    });
    within(root, "[data-width]").forEach(function (el) { el.style.width = el.getAttribute("data-width") + "%"; });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { applyGeometry(document); });
  } else {
    applyGeometry(document);
  }
  // Content swapped in by htmx (the test-effect job's progress, status cells).
  document.addEventListener("htmx:load", function (event) { applyGeometry(event.target); });
  document.addEventListener("change", function (event) {
    var select = event.target.closest && event.target.closest("[data-autosubmit]");
    if (select && select.form) select.form.requestSubmit();
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) window.print();
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.copy[data-copy]");
    if (!button) return;
    var text = button.getAttribute("data-copy");
    var done = function () {
      var old = button.textContent;
      button.textContent = "✓";
      setTimeout(function () { button.textContent = old; }, 1200);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done);
    } else {
      var area = document.createElement("textarea");
      area.value = text; document.body.appendChild(area); area.select();
      try { document.execCommand("copy"); } finally { document.body.removeChild(area); }
      done();
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);

  // A form that takes seconds (an invoice being set as a PDF) says so and cannot be sent twice.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.hasAttribute("data-busy")) return;
    form.classList.add("busy");
    form.setAttribute("aria-busy", "true");
    window.setTimeout(function () {
      form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    }, 0);
  });

  function setNav(open) {
    document.body.classList.toggle("nav-open", open);
    document.querySelectorAll("[data-nav-toggle]").forEach(function (t) {
      t.setAttribute("aria-expanded", open ? "true" : "false");
    });
    if (!open && window.location.hash === "#main-nav") {
      history.replaceState(null, "", window.location.pathname + window.location.search);
    }
  }
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-nav-toggle]")) {
      event.preventDefault();
      setNav(!document.body.classList.contains("nav-open"));
    } else if (event.target.closest("[data-nav-close]")) {
      setNav(false);
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && document.body.classList.contains("nav-open")) setNav(false);
  });
})();
