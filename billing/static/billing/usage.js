// The usage page: the daily chart and the tables, refreshed from /billing/usage/data/ without a reload.
document.addEventListener("DOMContentLoaded", () => {
  const labels = JSON.parse(document.getElementById("usage-labels").textContent);
  const canvas = document.getElementById("usage-chart");
  const dataUrl = canvas.dataset.url;
  const colors = {billed: "#006eff", free: "#29cc85", not_billed: "#b8bec9"};
  let data = JSON.parse(document.getElementById("usage-data").textContent);
  let updated = Date.now();
  let failed = false;
  const chart = new Chart(canvas, {
    type: "bar",
    data: {labels: data.days, datasets: ["billed", "free", "not_billed"].map(k => ({label: labels[k], data: data.series[k], backgroundColor: colors[k], stack: "calls"}))},
    options: {animation: false, maintainAspectRatio: false, scales: {x: {stacked: true}, y: {stacked: true, beginAtZero: true, ticks: {precision: 0}}}},
  });
  function cell(text) { const td = document.createElement("td"); td.textContent = text; return td; }
  function fill(id, rows, cols) {
    const body = document.getElementById(id);
    body.replaceChildren();
    if (!rows.length) { const tr = document.createElement("tr"); const td = cell(labels.empty); td.colSpan = cols.length + 1; td.className = "empty"; tr.append(td); body.append(tr); return; }
    for (const row of rows) { const tr = document.createElement("tr"); tr.append(cell(row.key || labels.none)); for (const c of cols) tr.append(cell(row[c])); body.append(tr); }
  }
  function render() {
    chart.data.labels = data.days;
    ["billed", "free", "not_billed"].forEach((k, i) => { chart.data.datasets[i].data = data.series[k]; });
    chart.update();
    for (const k of ["total", "billed", "free", "not_billed"]) document.getElementById("total-" + k).textContent = data.totals[k];
    fill("by-campaign", data.by_campaign, ["total", "billed", "free", "not_billed"]);
    fill("by-material", data.by_material, ["total", "billed", "free", "not_billed"]);
    fill("by-code", data.by_code, ["total"]);
    canvas.dataset.total = data.totals.total;
  }
  async function poll() {
    try {
      const response = await fetch(dataUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"});
      if (!response.ok) throw new Error(response.status);
      data = await response.json(); updated = Date.now(); failed = false; render();
    } catch (e) { failed = true; }
  }
  function tick() {
    const n = Math.round((Date.now() - updated) / 1000);
    document.getElementById("usage-fresh").textContent = (failed ? labels.stale + " · " : "") + labels.ago.replace("{n}", n);
  }
  render();
  setInterval(poll, Number(canvas.dataset.pollSeconds) * 1000);
  setInterval(tick, 1000);
});
