// The invoice request: the special invoice's extra fields show only when 专票 is chosen.
(function () {
  "use strict";
  var form = document.getElementById("invoice-form");
  if (!form) return;
  var special = form.querySelector("[data-special-fields]");
  function sync() {
    var chosen = form.querySelector("input[name=kind]:checked");
    special.hidden = !(chosen && chosen.value === "special");
  }
  form.addEventListener("change", sync);
  sync();
})();
