// 用量统计: draws the daily chart and the tables from the page's JSON, then polls the data URL
// every few seconds and redraws without reloading.
(function () {
  "use strict";
  var root = document.getElementById("usage-root");
  if (!root) return;
  var labels = JSON.parse(document.getElementById("usage-labels").textContent);
  var dataUrl = root.dataset.url;
  var pollMs = Number(root.dataset.pollSeconds || 3) * 1000;
  var colors = {billed: "#006eff", free: "#29cc85", not_billed: "#b8bec9"};
  var kinds = ["billed", "free", "not_billed"];
  var data = JSON.parse(document.getElementById("usage-data").textContent);
  var updated = Date.now();
  var failed = false;
  var chart = new window.Chart(document.getElementById("usage-chart"), {
    type: "bar",
    data: {labels: data.days, datasets: kinds.map(function (k) {
      return {label: labels[k], data: data.series[k], backgroundColor: colors[k], stack: "calls"};
    })},
    options: {animation: false, maintainAspectRatio: false,
              scales: {x: {stacked: true}, y: {stacked: true, beginAtZero: true, ticks: {precision: 0}}}},
  });
  function cell(text, className) {
    var td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }
  // The first column: the name, with the id under it (or the id alone when nothing is named).
  function keyCell(row) {
    var td = document.createElement("td");
    if (!row.key) { td.textContent = labels.none; return td; }
    if (row.name !== undefined) {
      td.appendChild(document.createTextNode(row.name || labels.deleted));
      var id = document.createElement("span");
      id.className = "id-name";
      var code = document.createElement("code");
      code.textContent = row.key;
      id.appendChild(code);
      td.appendChild(id);
    } else {
      td.textContent = row.key;
    }
    return td;
  }
  function fill(id, rows, cols) {
    var body = document.getElementById(id);
    body.replaceChildren();
    if (!rows.length) {
      var tr = document.createElement("tr");
      var td = cell(labels.empty, "empty");
      td.colSpan = cols.length + 1;
      tr.append(td); body.append(tr); return;
    }
    rows.forEach(function (row) {
      var tr = document.createElement("tr");
      tr.append(keyCell(row));
      cols.forEach(function (c) { tr.append(cell(row[c], "num")); });
      body.append(tr);
    });
  }
  function render() {
    chart.data.labels = data.days;
    kinds.forEach(function (k, i) { chart.data.datasets[i].data = data.series[k]; });
    chart.update();
    ["total"].concat(kinds).forEach(function (k) { document.getElementById("total-" + k).textContent = data.totals[k]; });
    fill("by-action", data.by_action, ["total", "billed", "free", "not_billed"]);
    fill("by-campaign", data.by_campaign, ["total", "billed", "free", "not_billed"]);
    fill("by-material", data.by_material, ["total", "billed", "free", "not_billed"]);
    fill("by-code", data.by_code, ["total"]);
    document.getElementById("usage-chart").dataset.total = data.totals.total;
  }
  function poll() {
    fetch(dataUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
      .then(function (json) { data = json; updated = Date.now(); failed = false; render(); })
      .catch(function () { failed = true; });
  }
  function tick() {
    var n = Math.round((Date.now() - updated) / 1000);
    document.getElementById("usage-fresh").textContent =
      (failed ? labels.stale + " · " : "") + labels.ago.replace("{n}", n);
  }
  render();
  window.setInterval(poll, pollMs);
  window.setInterval(tick, 1000);
})();
