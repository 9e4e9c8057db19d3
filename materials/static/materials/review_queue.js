// Keyboard work of the review queue: j/k move between items, a approves, r rejects the current one.
(function () {
  "use strict";
  var queue = document.getElementById("queue");
  if (!queue) return;
  var items = Array.prototype.slice.call(queue.querySelectorAll(".queue-item"));
  if (!items.length) return;
  var index = Math.max(0, items.findIndex(function (el) { return el.dataset.modelId === queue.dataset.focus; }));
  function select(i) {
    index = Math.min(items.length - 1, Math.max(0, i));
    items.forEach(function (el, n) { el.classList.toggle("current", n === index); });
    items[index].focus({preventScroll: true});
    items[index].scrollIntoView({block: "nearest"});
  }
  items.forEach(function (el, n) {
    el.addEventListener("click", function () { if (index !== n) select(n); });
    // After picking a reason template, hand the keys back to the queue so r rejects at once.
    el.querySelector("[name=template]").addEventListener("change", function () { el.focus({preventScroll: true}); });
  });
  function decide(action) {
    var form = items[index].querySelector("form.decision");
    if (action === "reject") {
      var reason = form.querySelector("[name=reason]"), template = form.querySelector("[name=template]");
      if (!reason.value.trim() && !template.value) { template.focus(); return; }
    }
    form.querySelector("button[data-action=" + action + "]").click();
  }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select") return;
    if (e.key === "j") { select(index + 1); e.preventDefault(); }
    else if (e.key === "k") { select(index - 1); e.preventDefault(); }
    else if (e.key === "a") { decide("approve"); e.preventDefault(); }
    else if (e.key === "r") { decide("reject"); e.preventDefault(); }
  });
  select(index);
})();
