#include "server/status_page.h"

namespace runnel::server {
namespace {

constexpr std::string_view kPage = R"PAGE(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Runnel status</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 16px 24px; color: #1d2430; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  h2 { font-size: 15px; margin: 18px 0 6px; }
  #updated, .note { color: #66707f; font-size: 12px; }
  #error { color: #b3261e; min-height: 1em; margin: 4px 0; }
  #summary span { display: inline-block; margin-right: 22px; }
  #summary b { font-size: 18px; }
  .charts { display: flex; gap: 24px; flex-wrap: wrap; }
  .chart-box { flex: 1 1 520px; }
  svg.chart { width: 100%; height: 180px; background: #f7f8fa; border: 1px solid #dde1e7; }
  svg .grid { stroke: #dde1e7; stroke-width: 1; }
  svg .axis { fill: #66707f; font-size: 10px; }
  path.line { fill: none; stroke-width: 1.6; }
  /* One colour per series: the line's stroke, the legend swatch's background. */
  .s-lag { stroke: #c2410c; background: #c2410c; }
  .s-pending { stroke: #a16207; background: #a16207; }
  .s-added { stroke: #1d4ed8; background: #1d4ed8; }
  .s-delivered { stroke: #7e22ce; background: #7e22ce; }
  .s-acknowledged { stroke: #15803d; background: #15803d; }
  .legend span { margin-right: 14px; font-size: 12px; }
  .legend i { display: inline-block; width: 14px; height: 3px; margin-right: 4px;
              vertical-align: middle; }
  table { border-collapse: collapse; width: 100%; margin-top: 4px; }
  th, td { padding: 4px 8px; border-bottom: 1px solid #e6e9ee; text-align: right;
           white-space: nowrap; }
  th { background: #eef1f5; font-weight: 600; }
  td.stream, td.group, th.name { text-align: left; max-width: 260px; overflow: hidden;
                                 text-overflow: ellipsis; }
  td.none { color: #9aa3ae; }
  tr.behind td.lag { color: #c2410c; font-weight: 600; }
  td.dead.some { color: #b3261e; font-weight: 600; }
  svg.spark { width: 120px; height: 22px; }
  tr#omitted td { text-align: left; color: #66707f; font-style: italic; }
</style>
</head>
<body>
<h1>Runnel status</h1>
<div id="updated">loading&hellip;</div>
<div id="error" role="alert"></div>
<div id="summary">
  <span>streams <b id="streams">&ndash;</b></span>
  <span>groups <b id="group-count">&ndash;</b></span>
  <span>lag <b id="total-lag">&ndash;</b></span>
  <span>pending <b id="total-pending">&ndash;</b></span>
  <span>dead-lettered <b id="total-dead">&ndash;</b></span>
</div>
<div class="charts">
  <div class="chart-box">
    <h2>Lag and pending, all groups</h2>
    <svg id="chart-lag" class="chart" viewBox="0 0 560 180" preserveAspectRatio="none"></svg>
    <div class="legend" id="legend-lag"></div>
  </div>
  <div class="chart-box">
    <h2>Throughput, entries per second</h2>
    <svg id="chart-throughput" class="chart" viewBox="0 0 560 180"
         preserveAspectRatio="none"></svg>
    <div class="legend" id="legend-throughput"></div>
  </div>
</div>
<h2>Streams and groups</h2>
<div class="note" id="table-note"></div>
<table id="groups">
  <thead><tr>
    <th class="name">stream</th><th class="name">group</th><th>length</th><th>lag</th>
    <th>pending</th><th>oldest pending</th><th>dead-lettered</th><th>consumers</th>
    <th>lag, last hour</th>
  </tr></thead>
  <tbody></tbody>
</table>
<script>
"use strict";
const SVG = "http://www.w3.org/2000/svg";
const W = 560, H = 180, PAD = 26;

function el(tag, attrs, text) {
  const e = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4))
                                   : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function age(s) {
  if (s === null || s === undefined) return "";
  if (s < 60) return s.toFixed(1) + " s";
  if (s < 3600) return (s / 60).toFixed(1) + " min";
  if (s < 86400) return (s / 3600).toFixed(1) + " h";
  return (s / 86400).toFixed(1) + " d";
}

function short(v) {
  if (v === null || v === undefined) return "";
  if (Math.abs(v) >= 1e6) return (v / 1e6).toFixed(1) + "M";
  if (Math.abs(v) >= 1e3) return (v / 1e3).toFixed(1) + "k";
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

// An SVG path through the points, broken where a value is null.
function pathData(values, x, y) {
  let d = "", pen = false;
  values.forEach((v, i) => {
    if (v === null) { pen = false; return; }
    d += (pen ? "L" : "M") + x(i).toFixed(1) + " " + y(v).toFixed(1);
    pen = true;
  });
  return d;
}

function drawChart(svg, legend, times, series) {
  svg.replaceChildren();
  legend.replaceChildren();
  let max = 0;
  for (const s of series) for (const v of s.values) if (v !== null && v > max) max = v;
  max = max > 0 ? max * 1.1 : 1;
  const n = times.length;
  const x = i => n <= 1 ? W / 2 : PAD + (W - 2 * PAD + 20) * (times[i] - times[0]) /
                                  (times[n - 1] - times[0] || 1);
  const y = v => H - 16 - (H - 28) * v / max;
  for (const f of [0, 0.5, 1]) {
    svg.append(el("svg:line", {class: "grid", x1: PAD, x2: W, y1: y(max * f), y2: y(max * f)}));
    svg.append(el("svg:text", {class: "axis", x: 2, y: y(max * f) + 3}, short(max * f)));
  }
  if (n > 0) {
    const mins = Math.round((times[n - 1] - times[0]) / 60000);
    svg.append(el("svg:text", {class: "axis", x: PAD, y: H - 3}, mins + " min ago"));
    svg.append(el("svg:text", {class: "axis", x: W - 30, y: H - 3}, "now"));
  }
  for (const s of series) {
    const p = el("svg:path", {class: "line s-" + s.name, "data-series": s.name,
                              d: pathData(s.values, x, y)});
    svg.append(p);
    const last = s.values.length ? s.values[s.values.length - 1] : null;
    const item = el("span", {}, s.name + " " + short(last));
    item.prepend(el("i", {class: "s-" + s.name}));
    legend.append(item);
  }
}

function sparkline(values) {
  const svg = el("svg:svg", {class: "spark", viewBox: "0 0 120 22",
                             preserveAspectRatio: "none"});
  let max = 0;
  for (const v of values) if (v !== null && v > max) max = v;
  const n = values.length;
  const d = pathData(values, i => n <= 1 ? 60 : 120 * i / (n - 1),
                     v => 20 - 18 * v / (max || 1));
  svg.append(el("svg:path", {class: "line s-lag", d: d}));
  return svg;
}

function cell(cls, text, value) {
  const td = el("td", {class: cls}, text);
  if (value !== undefined && value !== null) td.setAttribute("data-value", String(value));
  return td;
}

function rowFor(r, trends) {
  const tr = el("tr", {class: "group-row", "data-db": r.db, "data-stream": r.stream});
  tr.append(cell("stream", r.stream));
  if (r.group === null) {
    tr.append(cell("group none", "no groups"), cell("length", short(r.length), r.length));
    for (const c of ["lag", "pending", "oldest", "dead", "consumers", "trend"]) {
      tr.append(cell(c + " none", ""));
    }
    return tr;
  }
  tr.setAttribute("data-group", r.group);
  if (r.lag > 0) tr.classList.add("behind");
  tr.append(cell("group", r.group), cell("length", String(r.length), r.length),
            cell("lag", r.lag === null ? "unknown" : String(r.lag), r.lag),
            cell("pending", String(r.pending), r.pending),
            cell("oldest", r.pending > 0 ? age(r.oldest_pending_s) : "", r.oldest_pending_s),
            cell("dead" + (r.dead_lettered > 0 ? " some" : ""), String(r.dead_lettered),
                 r.dead_lettered),
            cell("consumers", String(r.consumers), r.consumers));
  const trend = cell("trend", "");
  const h = trends.get(r.db + "\u0000" + r.stream + "\u0000" + r.group);
  if (h) trend.append(sparkline(h.lag));
  tr.append(trend);
  return tr;
}

function render(s) {
  const t = new Date(s.time_ms);
  document.getElementById("updated").textContent =
      "updated " + t.toLocaleTimeString() + " \u00b7 a sample every " + s.sample_interval_s +
      " s, " + s.history.time_ms.length + " of " + s.history.capacity + " kept";
  document.getElementById("streams").textContent = String(s.streams);
  document.getElementById("group-count").textContent = String(s.groups);
  document.getElementById("total-lag").textContent = String(s.total_lag);
  document.getElementById("total-pending").textContent = String(s.total_pending);
  document.getElementById("total-dead").textContent = String(s.total_dead_lettered);
  const h = s.history;
  drawChart(document.getElementById("chart-lag"), document.getElementById("legend-lag"),
            h.time_ms, [{name: "lag", values: h.lag}, {name: "pending", values: h.pending}]);
  drawChart(document.getElementById("chart-throughput"),
            document.getElementById("legend-throughput"), h.time_ms,
            [{name: "added", values: h.added}, {name: "delivered", values: h.delivered},
             {name: "acknowledged", values: h.acknowledged}]);
  const trends = new Map();
  for (const g of h.groups) trends.set(g.db + "\u0000" + g.stream + "\u0000" + g.group, g);
  const body = document.querySelector("#groups tbody");
  const rows = s.rows.map(r => rowFor(r, trends));
  if (s.omitted > 0) {
    const tr = el("tr", {id: "omitted", "data-omitted": s.omitted});
    tr.append(el("td", {colspan: 9}, s.omitted + " more rows not shown (metrics-max-series is " +
                                     s.max_rows + "; the rows shown have the largest lag)"));
    rows.push(tr);
  }
  body.replaceChildren(...rows);
  document.getElementById("table-note").textContent =
      "largest lag first; trends for the " + h.groups.length + " groups with the most backlog";
}

// Beside the page, but from location.origin: a page opened as http://user:pass@host/ would
// resolve a relative URL with those credentials in it, which fetch refuses. The browser sends
// the credentials it used for the page anyway (same origin).
const DATA_URL = location.origin + location.pathname.replace(/[^/]*$/, "") + "status.json";

async function refresh() {
  try {
    const r = await fetch(DATA_URL, {cache: "no-store", credentials: "same-origin"});
    if (!r.ok) throw new Error("status.json: HTTP " + r.status);
    render(await r.json());
    document.getElementById("error").textContent = "";
  } catch (e) {
    document.getElementById("error").textContent = String(e.message || e);
  }
}

refresh();
setInterval(refresh, 5000);
</script>
</body>
</html>
)PAGE";

}  // namespace

std::string_view StatusPageHtml() { return kPage; }

}  // namespace runnel::server
