// The new-campaign form: shows (and enables) only the chosen version's degree selects.
(function () {
  var form = document.getElementById("campaign-form");
  function sync() {
    var chosen = form.querySelector("input[name=version]:checked");
    form.querySelectorAll("fieldset.degrees").forEach(function (fs) {
      var on = chosen && fs.dataset.version === chosen.value;
      fs.hidden = !on;
      fs.querySelectorAll("select").forEach(function (s) { s.disabled = !on; });
    });
  }
  form.addEventListener("change", sync);
  sync();
})();
