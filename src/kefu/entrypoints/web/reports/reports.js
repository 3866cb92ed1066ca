// The reports page: SVG charts rendered by kefu, fetched with the signed-in user's token, and the staffing view.

const TOKEN = "kefu.token";

function headers() {
  const token = localStorage.getItem(TOKEN);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

function status(text) {
  document.getElementById("status").textContent = text;
}

function day(offset) {
  const d = new Date(Date.now() + offset * 86400000);
  return d.toISOString().slice(0, 10);
}

function query() {
  const tz = document.getElementById("tz").value;
  // Whole local days: the window starts and ends at midnight in the chosen zone (Shanghai has no DST).
  const offset = tz === "Asia/Shanghai" ? "+08:00" : "Z";
  const params = new URLSearchParams({
    from: `${document.getElementById("from").value}T00:00:00${offset}`,
    to: `${document.getElementById("to").value}T00:00:00${offset}`,
    interval: document.getElementById("interval").value,
    tz,
  });
  return params;
}

async function fetchText(path) {
  const response = await fetch(path, { headers: headers() });
  const text = await response.text();
  if (!response.ok) {
    let detail = `HTTP ${response.status}`;
    try { detail = JSON.parse(text).detail || detail; } catch (_) { /* not problem+json */ }
    throw new Error(detail);
  }
  return text;
}

async function drawChart(figure, params) {
  const svgText = await fetchText(`/api/v1/reports/charts/${figure.dataset.chart}.svg?${params}`);
  const svg = new DOMParser().parseFromString(svgText, "image/svg+xml").documentElement;
  figure.replaceChildren(document.importNode(svg, true));
}

async function drawStaffing() {
  const data = JSON.parse(await fetchText("/api/v1/reports/staffing?hours=8"));
  const body = document.querySelector("#staffing tbody");
  body.replaceChildren();
  for (const q of data.queues) {
    const row = document.createElement("tr");
    row.dataset.queue = q.queue;
    const cells = [q.queue, q.agents.available ?? 0, q.agents.away ?? 0, q.aht_s];
    for (const value of cells) {
      const td = document.createElement("td");
      td.textContent = String(value);
      row.append(td);
    }
    const hours = document.createElement("td");
    hours.className = "hours";
    for (const h of q.hours) {
      const span = document.createElement("span");
      span.title = `${h.start}: ${h.forecast_contacts}/h`;
      span.textContent = String(h.required_agents);
      hours.append(span);
    }
    row.append(hours);
    body.append(row);
  }
}

async function refresh() {
  if (!localStorage.getItem(TOKEN)) {
    status("请先登录 Please sign in at / first");
    return;
  }
  const params = query();
  document.getElementById("csv").href = "#";
  status("");
  try {
    await Promise.all([
      ...[...document.querySelectorAll(".chart")].map((f) => drawChart(f, params)),
      drawStaffing(),
    ]);
    document.body.dataset.loaded = "true";
  } catch (error) {
    status(error.message);
  }
}

async function downloadCsv(event) {
  event.preventDefault();
  const params = query();
  params.set("group_by", "site");
  params.set("format", "csv");
  const text = await fetchText(`/api/v1/reports/service?${params}`);
  const link = document.createElement("a");
  link.href = `data:text/csv;charset=utf-8,${encodeURIComponent(text)}`;
  link.download = "service-report.csv";
  link.click();
}

document.getElementById("from").value = day(-7);
document.getElementById("to").value = day(2); // past the end of today in any zone
document.getElementById("window").addEventListener("submit", (event) => {
  event.preventDefault();
  refresh();
});
document.getElementById("csv").addEventListener("click", downloadCsv);
refresh();
