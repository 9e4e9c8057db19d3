// Uploads each chosen image in its own request so each gets a progress bar; a successful upload
// shows its status cell, which htmx polls until the automatic review has decided.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) return;
  var input = document.getElementById("id_file");
  var list = document.getElementById("upload-list");
  var rowTemplate = document.getElementById("upload-row");
  var zone = document.getElementById("drop-zone");
  var text = {failed: form.dataset.textFailed, quota: form.dataset.textQuota};
  var quota = document.getElementById("upload-quota");

  // Each answer carries the quota after it, so the header follows the uploads.
  function showQuota(answer) {
    if (!quota || !answer || answer.quota_used === undefined) return;
    quota.textContent = text.quota.replace("{used}", answer.quota_used).replace("{total}", answer.quota_total);
  }
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  function uploadOne(file) {
    var row = rowTemplate.content.firstElementChild.cloneNode(true);
    row.querySelector(".file-name").textContent = file.name;
    var bar = row.querySelector(".progress");
    var fill = bar.firstElementChild;
    var outcome = row.querySelector(".outcome");
    list.appendChild(row);
    var data = new FormData();
    data.append("campaign", form.querySelector("[name=campaign]").value);
    data.append("file", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.dataset.url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      var pct = Math.round(100 * e.loaded / e.total);
      fill.style.width = pct + "%";
      bar.setAttribute("aria-valuenow", pct);
    });
    xhr.addEventListener("load", function () {
      fill.style.width = "100%";
      var result, answer;
      try { answer = JSON.parse(xhr.responseText); result = answer.results[0]; } catch (err) { result = null; }
      showQuota(answer);
      if (!result) { outcome.textContent = text.failed; outcome.className = "outcome error"; return; }
      if (!result.ok) { outcome.textContent = result.error; outcome.className = "outcome error"; row.dataset.error = "1"; return; }
      row.dataset.modelId = result.model_id;
      outcome.innerHTML = "";
      var link = document.createElement("a");
      link.href = result.detail_url; link.textContent = result.name + " · " + result.model_id;
      link.setAttribute("data-testid", "uploaded-link");
      var cell = document.createElement("span");
      cell.setAttribute("hx-get", result.status_url);
      cell.setAttribute("hx-trigger", "load");
      cell.setAttribute("hx-swap", "outerHTML");
      outcome.appendChild(link); outcome.appendChild(document.createTextNode(" ")); outcome.appendChild(cell);
      if (window.htmx) window.htmx.process(outcome);
    });
    xhr.addEventListener("error", function () { outcome.textContent = text.failed; outcome.className = "outcome error"; });
    xhr.send(data);
  }
  function uploadAll(files) { Array.prototype.forEach.call(files, uploadOne); }
  input.addEventListener("change", function () { uploadAll(input.files); input.value = ""; });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (e) { if (e.dataTransfer) uploadAll(e.dataTransfer.files); });
})();
