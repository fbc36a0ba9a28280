// The console page: plain browser JavaScript, no build step. It reads the JSON API with the
// credential kept in this tab's sessionStorage and follows /api/events (server-sent events,
// read through fetch so the credential travels in the Authorization header, never in a URL).
"use strict";

const state = { token: sessionStorage.getItem("gatehouse-console-token") ?? "", graph: null, anomalies: [], events: [], filter: {} };
const $ = (selector) => document.querySelector(selector);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (name === "class") node.className = value;
    else node.setAttribute(name, String(value));
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(child ?? ""));
  return node;
}

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function ago(iso) {
  if (!iso) return "–";
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

function duration(seconds) {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

async function api(path) {
  const response = await fetch(path, { headers: { authorization: `Bearer ${state.token}`, accept: "application/json" } });
  if (response.status === 401 || response.status === 403) {
    const body = await response.json().catch(() => ({}));
    throw Object.assign(new Error(body.error_description ?? "not allowed"), { auth: true });
  }
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

// ---- connection and status ----

function renderStatus(status) {
  const pill = $("#connection");
  const up = status.redis.connected;
  pill.dataset.state = up ? "connected" : "down";
  pill.className = `pill ${up ? "pill-ok" : "pill-down"}`;
  pill.textContent = up ? "event stream: live" : "event stream unavailable (Redis down): showing what was read before; catching up when it returns";
  const learning = $("#learning");
  learning.textContent = status.learning.active
    ? status.learning.endsAt ? `learning edges until ${new Date(status.learning.endsAt).toLocaleTimeString()}` : "learning edges (no event yet)"
    : "learning done: new edges are anomalies";
  const skipped = status.events.skipped.malformed + status.events.skipped.oversized;
  $("#counts").textContent = `${status.events.read} events read · ${skipped} skipped · last ${ago(status.events.lastEventAt)}`;
  renderKeys(status.signingKeys);
}

function feedLost() {
  const pill = $("#connection");
  pill.dataset.state = "console-unreachable";
  pill.className = "pill pill-down";
  pill.textContent = "console unreachable: reconnecting…";
}

function renderKeys(keys) {
  const body = $("#keys tbody");
  body.replaceChildren(
    ...keys.keys.map((k) =>
      el("tr", { "data-kid": k.kid }, el("td", {}, `${k.kid}${k.signing ? " (signs)" : ""}`), el("td", {}, k.alg ?? ""), el("td", { class: "num" }, k.ageSeconds < 0 ? "unknown" : duration(k.ageSeconds))),
    ),
  );
  $("#keys-note").textContent = keys.error
    ? `keys not readable: ${keys.error}`
    : keys.source === "admin"
      ? "ages from each key's creation time (the auth server's admin API)"
      : keys.jwksUri
        ? `ages counted from when this console first saw each key in ${keys.jwksUri}`
        : "no authServer.issuer configured";
}

// ---- call graph ----

function renderGraph(graph) {
  state.graph = graph;
  $("#window").textContent = graph.windowSeconds;
  const callers = graph.nodes.filter((n) => n.kind !== "route");
  const routes = graph.nodes.filter((n) => n.kind === "route");
  const rowHeight = 34;
  const height = Math.max(callers.length, routes.length, 1) * rowHeight + 20;
  const width = 720;
  const boxWidth = 170;
  const y = (index, count) => 10 + (height - 20) * ((index + 0.5) / Math.max(count, 1));
  const callerY = new Map(callers.map((n, i) => [n.name, y(i, callers.length)]));
  const routeY = new Map(routes.map((n, i) => [n.name, y(i, routes.length)]));
  const maxRate = Math.max(0.01, ...graph.edges.map((e) => e.rate));
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "call graph" });
  for (const edge of graph.edges) {
    const y1 = callerY.get(edge.from);
    const y2 = routeY.get(edge.to);
    if (y1 === undefined || y2 === undefined) continue;
    const x1 = boxWidth + 10;
    const x2 = width - boxWidth - 10;
    const classes = ["edge", edge.denials > 0 ? "denied" : "", edge.limitPressure >= 0.8 ? "pressed" : ""].join(" ").trim();
    const path = svg("path", {
      d: `M${x1},${y1} C${(x1 + x2) / 2},${y1} ${(x1 + x2) / 2},${y2} ${x2},${y2}`,
      class: classes,
      "stroke-width": (1 + 5 * (edge.rate / maxRate)).toFixed(1),
      "data-edge": `${edge.from}→${edge.to}`,
    });
    path.append(svg("title", {}, `${edge.from} → ${edge.to}: ${edge.rate} req/s, ${edge.denials} denials, ${edge.limited} limited, pressure ${Math.round(edge.limitPressure * 100)}%`));
    root.append(path);
    const label = `${edge.rate} req/s${edge.denials ? ` · ${edge.denials} denied` : ""}`;
    const sibling = graph.edges.filter((o) => o.from === edge.from).indexOf(edge);
    root.append(svg("text", { x: x1 + 4, y: y1 - 4 - 11 * sibling, "text-anchor": "start", class: "rate" }, `→ ${edge.to}: ${label}`));
  }
  const node = (n, x, yy) => {
    const g = svg("g", { class: `node ${n.kind}`, "data-node": `${n.kind}:${n.name}` });
    g.append(svg("rect", { x, y: yy - 12, width: boxWidth, height: 24, rx: 4 }));
    g.append(svg("text", { x: x + 8, y: yy + 4 }, n.name.length > 24 ? `${n.name.slice(0, 23)}…` : n.name));
    root.append(g);
  };
  callers.forEach((n) => node(n, 4, callerY.get(n.name)));
  routes.forEach((n) => node(n, width - boxWidth - 4, routeY.get(n.name)));
  $("#graph").replaceChildren(root);

  const rows = graph.edges.map((e) =>
    el(
      "tr",
      { "data-edge": `${e.from}→${e.to}` },
      el("td", {}, e.from),
      el("td", {}, e.to),
      el("td", { class: "num" }, e.rate.toFixed(2)),
      el("td", { class: "num" }, e.requests),
      el("td", { class: "num" }, e.denials),
      el("td", { class: "num" }, e.limited),
      el("td", { class: "num" }, e.failed),
      el("td", { class: "num" }, `${Math.round(e.limitPressure * 100)}%`),
      el("td", {}, ago(e.lastSeen)),
    ),
  );
  $("#edges tbody").replaceChildren(...rows);
  $("#no-edges").hidden = rows.length > 0;
  renderInstances(graph.instances);
}

function renderInstances(instances) {
  $("#instances tbody").replaceChildren(
    ...instances.map((i) => el("tr", { "data-instance": `${i.component}:${i.instance}` }, el("td", {}, i.component), el("td", {}, i.instance), el("td", { class: "num" }, i.events), el("td", {}, ago(i.lastSeen)))),
  );
}

// ---- anomalies ----

function upsertAnomaly(anomaly) {
  const at = state.anomalies.findIndex((a) => a.id === anomaly.id);
  if (at >= 0) state.anomalies[at] = anomaly;
  else state.anomalies.unshift(anomaly);
  state.anomalies.sort((a, b) => b.time.localeCompare(a.time));
  renderAnomalies();
}

function renderAnomalies() {
  const items = state.anomalies.map((a) => {
    const where = [a.service && `service ${a.service}`, a.route && `route ${a.route}`, a.source && `source ${a.source}`].filter(Boolean).join(" · ");
    const response = a.response.action === "alert" ? "alert" : `${a.response.action}: ${a.response.outcome}${a.response.detail ? ` (${a.response.detail})` : ""}`;
    return el(
      "li",
      { class: a.severity, "data-kind": a.kind, "data-id": a.id },
      el("div", {}, el("span", { class: "kind" }, a.event), " ", el("span", { class: "muted" }, `${new Date(a.time).toLocaleTimeString()} · ${response}`)),
      el("div", { class: "summary" }, a.summary),
      el("div", { class: "muted" }, where),
      el("details", {}, el("summary", {}, "evidence"), el("pre", {}, JSON.stringify(a.evidence, null, 2))),
    );
  });
  $("#anomalies").replaceChildren(...items);
  $("#no-anomalies").hidden = items.length > 0;
  $("#anomaly-count").textContent = items.length ? `(${items.length})` : "";
}

// ---- recent events ----

function matches(event, filter) {
  if (filter.event && event.event !== filter.event && !(filter.event.endsWith(".") && event.event.startsWith(filter.event))) return false;
  for (const key of ["service", "route", "severity"]) if (filter[key] && event[key] !== filter[key]) return false;
  return true;
}

function eventRow(e) {
  const detail = JSON.stringify(e.detail);
  return el(
    "tr",
    { class: `sev-${e.severity}`, "data-event": e.event },
    el("td", {}, new Date(e.time).toLocaleTimeString()),
    el("td", {}, e.event),
    el("td", {}, e.severity),
    el("td", {}, e.component),
    el("td", {}, e.service ?? ""),
    el("td", {}, e.route ?? ""),
    el("td", {}, e.source ?? ""),
    el("td", { class: "detail", title: detail }, detail),
  );
}

function renderEvents() {
  $("#events tbody").replaceChildren(...state.events.slice(0, 200).map(eventRow));
  const names = [...new Set(state.events.map((e) => e.event))].sort();
  $("#event-names").replaceChildren(...names.map((n) => el("option", { value: n })));
}

function addEvent(event) {
  if (!matches(event, state.filter)) return;
  state.events.unshift(event);
  if (state.events.length > 500) state.events.length = 500;
  renderEvents();
}

async function loadEvents() {
  const query = new URLSearchParams(Object.entries(state.filter).filter(([, v]) => v));
  state.events = (await api(`/api/recent?${query}`)).events;
  renderEvents();
}

// ---- live feed ----

async function follow() {
  for (;;) {
    try {
      const response = await fetch("/api/events", { headers: { authorization: `Bearer ${state.token}`, accept: "text/event-stream" } });
      if (response.status === 401 || response.status === 403) return showLogin("the credential is no longer accepted");
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      // The console went away; the page keeps what it has and tries again.
    }
    feedLost();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await Promise.all([loadEvents(), loadAnomalies()]).catch(() => undefined);
  }
}

function dispatch(block) {
  let type = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event: ")) type = line.slice(7);
    else if (line.startsWith("data: ")) data.push(line.slice(6));
  }
  if (data.length === 0) return;
  const payload = JSON.parse(data.join("\n"));
  if (type === "status") renderStatus(payload);
  else if (type === "graph") renderGraph(payload);
  else if (type === "anomaly") upsertAnomaly(payload);
  else if (type === "event") addEvent(payload);
}

async function loadAnomalies() {
  state.anomalies = (await api("/api/anomalies")).anomalies;
  renderAnomalies();
}

// ---- start ----

function showLogin(message) {
  $("#main").hidden = true;
  $("#login").hidden = false;
  $("#login-error").textContent = message ?? "";
}

async function start() {
  try {
    const [status, graph] = await Promise.all([api("/api/status"), api("/api/graph")]);
    $("#login").hidden = true;
    $("#main").hidden = false;
    renderStatus(status);
    renderGraph(graph);
    await Promise.all([loadAnomalies(), loadEvents()]);
    void follow();
  } catch (error) {
    showLogin(error.auth ? error.message : `the console did not answer: ${error.message}`);
  }
}

function init() {
  // `#token=…` (the walkthrough's link) moves the credential into this tab's session storage and out of the address bar.
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.has("token")) {
    state.token = fragment.get("token");
    sessionStorage.setItem("gatehouse-console-token", state.token);
    history.replaceState(null, "", location.pathname);
  }
  $("#login").addEventListener("submit", (event) => {
    event.preventDefault();
    state.token = $("#credential").value.trim();
    sessionStorage.setItem("gatehouse-console-token", state.token);
    void start();
  });
  $("#filter").addEventListener("submit", (event) => {
    event.preventDefault();
    state.filter = Object.fromEntries(new FormData(event.target).entries());
    void loadEvents();
  });
  if (state.token) void start();
  else showLogin();
}

init();
