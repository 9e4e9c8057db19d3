// The video test-effect job page follows the job (its status as JSON every second) until it is
// done, then plays the result. (The material picker's data-autosubmit is console.js's.)
(function () {
  "use strict";
  var box = document.getElementById("video-job");
  if (!box || box.dataset.done === "1") { return; }
  var badge = box.querySelector("[data-testid=job-status]");
  var error = box.querySelector("[data-testid=job-error]");
  var bar = box.querySelector("[data-testid=job-progress]");
  var player = document.querySelector("[data-testid=result-video]");
  var download = document.querySelector("[data-testid=result-download]");
  function show(state) {
    badge.textContent = state.label;
    error.textContent = state.error || "";
    bar.setAttribute("aria-valuenow", String(state.progress));
    bar.firstElementChild.setAttribute("data-width", String(state.progress));
    bar.firstElementChild.style.width = state.progress + "%";
    if (state.ok && state.video_url) {
      player.src = state.video_url;
      player.hidden = false;
      download.href = state.download_url;
      download.hidden = false;
    }
  }
  function poll() {
    fetch(box.dataset.statusUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (state) { show(state); }
        if (!state || !state.done) { window.setTimeout(poll, 1000); }
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 1000);
})();
