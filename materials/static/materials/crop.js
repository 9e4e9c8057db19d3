// Applies the suggested framing in the browser (the border is filled from a blurred, stretched copy
// of the picture) and uploads the result in place of the material, in one step.
(function () {
  "use strict";
  var card = document.getElementById("crop-advice");
  var button = document.getElementById("apply-crop");
  if (!card || !button) return;
  var text = {working: button.dataset.workingText, failed: button.dataset.failedText};
  var out = document.getElementById("crop-outcome");
  var d = card.dataset;
  var csrf = document.cookie.match(/csrftoken=([^;]+)/);
  var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");

  function toBlob(canvas, type, quality) {
    return new Promise(function (resolve) { canvas.toBlob(resolve, type, quality); });
  }
  async function encode(canvas) {
    var png = d.format === "PNG";
    if (png) {
      var blob = await toBlob(canvas, "image/png");
      if (blob && blob.size <= 500 * 1024) return {blob: blob, ext: "png"};
    }
    for (var q = 0.92; q > 0.4; q -= 0.1) {
      var jpg = await toBlob(canvas, "image/jpeg", q);
      if (jpg && jpg.size <= 500 * 1024) return {blob: jpg, ext: "jpg"};
    }
    throw new Error("too big");
  }
  button.addEventListener("click", function () {
    out.textContent = text.working;
    button.disabled = true;
    var img = new Image();
    img.crossOrigin = "anonymous";
    img.onload = async function () {
      var s = parseFloat(d.scale), x = parseInt(d.x, 10), y = parseInt(d.y, 10);
      var canvas = document.createElement("canvas");
      canvas.width = parseInt(d.outW, 10); canvas.height = parseInt(d.outH, 10);
      var ctx = canvas.getContext("2d");
      ctx.filter = "blur(24px)";
      ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
      ctx.filter = "none";
      ctx.drawImage(img, -x * s, -y * s, img.naturalWidth * s, img.naturalHeight * s);
      try {
        var encoded = await encode(canvas);
        var form = new FormData();
        form.append("campaign", d.campaign);
        form.append("name", d.name);
        form.append("replaces", d.modelId);
        form.append("file", encoded.blob, "framed." + encoded.ext);
        var response = await fetch(d.uploadUrl, {method: "POST", body: form, credentials: "same-origin",
          headers: {"Accept": "application/json", "X-CSRFToken": headers["X-CSRFToken"] || (csrf ? csrf[1] : "")}});
        var result = (await response.json()).results[0];
        if (!result.ok) throw new Error(result.error);
        window.location.href = result.detail_url;
      } catch (err) {
        out.textContent = (text.failed || "") + " " + err.message;
        button.disabled = false;
      }
    };
    img.onerror = function () { out.textContent = text.failed; button.disabled = false; };
    img.src = d.src;
  });
})();
