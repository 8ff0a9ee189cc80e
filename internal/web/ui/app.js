// strom dashboard: one script, no framework, no build step. It talks to the
// REST API of DESIGN.md §8 (same origin, the session cookie set by the
// server when the page is opened as /?token=...). Pages (hash routes):
//   #/              job list
//   #/jobs/{id}     job graph, live metrics, charts, checkpoints, exceptions
//   #/sql           SQL editor with live results
// Live data: GET /api/v1/events (SSE: "job" and "metrics" events); when that
// stream is unavailable, polling of /api/v1/jobs (and the open job's metrics)
// every 2 s.
(() => {
  "use strict";

  const API = "/api/v1";
  const POLL_MS = 2000;
  const HISTORY = 600; // samples kept per job for the charts (10 min at 1/s)
  const MAX_ROWS_SHOWN = 1000; // the latest rows of a result table on the page
  const MAX_ROWS_KEPT = 100000; // beyond, the oldest rows are dropped (a retraction of one is then ignored)
  const ACTIVE = new Set(["created", "running", "restarting"]);
  const PALETTE = ["#2563eb", "#14935a", "#d97706", "#7c3aed", "#0e7490", "#db2777", "#65a30d", "#ea580c"];

  // ---------------------------------------------------------------- DOM
  const $ = (sel, root = document) => root.querySelector(sel);

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    setAttrs(el, attrs);
    append(el, children);
    return el;
  }
  const SVGNS = "http://www.w3.org/2000/svg";
  function s(tag, attrs, ...children) {
    const el = document.createElementNS(SVGNS, tag);
    setAttrs(el, attrs);
    append(el, children);
    return el;
  }
  function setAttrs(el, attrs) {
    if (!attrs) return;
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k === "text") el.textContent = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : v);
    }
  }
  function append(el, children) {
    for (const c of children.flat(Infinity)) {
      if (c == null || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }

  // ---------------------------------------------------------------- format
  function fmtNum(n) {
    if (n == null || !isFinite(n)) return "—";
    const a = Math.abs(n);
    if (a < 1000) return a !== 0 && a < 10 && n % 1 ? n.toFixed(1) : String(Math.round(n));
    const units = ["k", "M", "G", "T"];
    let v = a, u = -1;
    while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
    return (n < 0 ? "-" : "") + (v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v)) + units[u];
  }
  function fmtInt(n) { return n == null ? "—" : Math.round(n).toLocaleString("en-US"); }
  function fmtBytes(b) {
    if (b == null || !isFinite(b)) return "—";
    if (b < 1024) return b + " B";
    const units = ["KiB", "MiB", "GiB", "TiB"];
    let v = b, u = -1;
    while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
    return (v < 10 ? v.toFixed(1) : Math.round(v)) + " " + units[u];
  }
  function fmtMs(ms) {
    if (ms == null || !isFinite(ms)) return "—";
    if (ms < 1) return ms > 0 ? "<1 ms" : "0 ms";
    if (ms < 1000) return Math.round(ms) + " ms";
    const sec = ms / 1000;
    if (sec < 60) return sec.toFixed(sec < 10 ? 2 : 1) + " s";
    const m = Math.floor(sec / 60), rs = Math.floor(sec % 60);
    if (m < 60) return m + "m " + String(rs).padStart(2, "0") + "s";
    const hr = Math.floor(m / 60);
    if (hr < 48) return hr + "h " + String(m % 60).padStart(2, "0") + "m";
    return Math.floor(hr / 24) + "d " + (hr % 24) + "h";
  }
  const pad2 = (n) => String(n).padStart(2, "0");
  function fmtClock(d, millis) {
    if (!(d instanceof Date) || isNaN(d)) return "—";
    const t = pad2(d.getHours()) + ":" + pad2(d.getMinutes()) + ":" + pad2(d.getSeconds());
    return millis ? t + "." + String(d.getMilliseconds()).padStart(3, "0") : t;
  }
  // SQL timestamps of a result (JSON: epoch milliseconds, with a fraction
  // for digits below the millisecond) as `strom sql` prints them:
  // yyyy-MM-dd HH:mm:ss[.fraction], a TIMESTAMP as its wall-clock time (its
  // UTC reading), a TIMESTAMP_LTZ in the session time zone the query ran in
  // (the column's zone: a time zone database name, UTC or GMT+hh:mm).
  const TS_TYPE = /^TIMESTAMP(_LTZ)?\(\d+\)/i;
  const zoneFormats = new Map();
  function zoneOffsetMs(ms, zone) {
    if (!zone || zone === "UTC") return 0;
    const fixed = /^GMT([+-])(\d\d):(\d\d)$/.exec(zone);
    if (fixed) return (fixed[1] === "-" ? -1 : 1) * (Number(fixed[2]) * 60 + Number(fixed[3])) * 60000;
    let f = zoneFormats.get(zone);
    if (f === undefined) {
      try {
        f = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
      } catch (e) {
        f = null; // a zone this browser does not know
      }
      zoneFormats.set(zone, f);
    }
    if (!f) return null;
    const p = {};
    for (const x of f.formatToParts(new Date(ms))) p[x.type] = Number(x.value);
    const sec = Math.floor(ms / 1000) * 1000;
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - sec;
  }
  function fmtSQLTimestamp(v, type, zone) {
    if (typeof v !== "number" || !isFinite(v)) return null;
    const ms = Math.floor(v);
    const off = /^TIMESTAMP_LTZ/i.test(type) ? zoneOffsetMs(ms, zone) : 0;
    if (off == null) return null;
    const d = new Date(ms + off);
    if (isNaN(d)) return null;
    let s = String(d.getUTCFullYear()).padStart(4, "0") + "-" + pad2(d.getUTCMonth() + 1) + "-" + pad2(d.getUTCDate()) + " " +
      pad2(d.getUTCHours()) + ":" + pad2(d.getUTCMinutes()) + ":" + pad2(d.getUTCSeconds());
    const milli = String(d.getUTCMilliseconds()).padStart(3, "0");
    // A JSON number keeps about the microsecond of an epoch-millisecond value.
    const micro = Math.min(999, Math.round((v - ms) * 1000));
    // Flink's rule (as strom sql): the fraction keeps the type's precision
    // p, padded with zeros (TIMESTAMP(3) ".000", TIMESTAMP(0) none), and
    // digits beyond p only when they are not zero.
    const pm = /\((\d+)\)/.exec(type);
    const p = pm ? Number(pm[1]) : 0;
    let frac = milli + String(micro).padStart(3, "0") + "000";
    while (frac.length > p && frac.endsWith("0")) frac = frac.slice(0, -1);
    if (frac.length > 0) s += "." + frac;
    return s;
  }
  function fmtTime(iso) {
    if (!iso) return "—";
    const d = new Date(iso);
    if (isNaN(d)) return "—";
    const now = new Date();
    const sameDay = d.toDateString() === now.toDateString();
    const date = d.getFullYear() + "-" + pad2(d.getMonth() + 1) + "-" + pad2(d.getDate());
    return sameDay ? fmtClock(d) : date + " " + fmtClock(d);
  }
  function uptime(job) {
    if (!job.started_at) return null;
    const start = Date.parse(job.started_at);
    const end = job.ended_at ? Date.parse(job.ended_at) : Date.now();
    return isNaN(start) ? null : Math.max(0, end - start);
  }
  function bpClass(r) {
    if (r == null) return "idle";
    return r < 0.1 ? "ok" : r < 0.5 ? "warn" : "bad";
  }
  function pct(r) { return r == null ? "—" : (r * 100).toFixed(r < 0.1 && r > 0 ? 1 : 0) + "%"; }

  // ---------------------------------------------------------------- API
  class ApiError extends Error {
    constructor(status, data, fallback) {
      super((data && data.error) || fallback || ("HTTP " + status));
      this.status = status;
      this.data = data || {};
    }
  }

  async function api(method, path, body) {
    const opts = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(API + path, opts);
    } catch (e) {
      setConn("offline");
      throw new ApiError(0, null, "the server is not reachable");
    }
    let data = null;
    const text = await res.text();
    if (text) { try { data = JSON.parse(text); } catch (e) { data = null; } }
    if (res.status === 401) {
      signedOut();
      throw new ApiError(401, data, "not signed in");
    }
    if (!res.ok) {
      if (res.status === 403 && !(data && data.error)) throw new ApiError(403, data, "this token may only read (403)");
      throw new ApiError(res.status, data, res.statusText);
    }
    return data;
  }

  function signedOut() {
    $("#auth").hidden = false;
    setConn("signed-out");
    live.stop();
  }

  function setConn(mode) {
    const el = $("#conn");
    if (!el || el.dataset.mode === mode) return;
    el.dataset.mode = mode;
    el.lastElementChild.textContent = { live: "live", polling: "polling", offline: "offline", "signed-out": "signed out", connecting: "connecting" }[mode] || mode;
    el.title = {
      live: "Updates stream from /api/v1/events",
      polling: "The event stream is unavailable; polling every 2 s",
      offline: "The server does not answer",
      "signed-out": "Open the URL printed by strom server",
    }[mode] || "";
  }

  function toast(msg, bad) {
    const t = h("div", { class: "toast" + (bad ? " bad" : ""), text: msg });
    $("#toasts").append(t);
    setTimeout(() => t.remove(), bad ? 8000 : 5000);
  }

  // ---------------------------------------------------------------- store
  // jobs: id -> JobSummary; metrics: id -> latest metrics; history: id ->
  // chart samples. Pages subscribe and are told which job changed.
  const store = {
    jobs: new Map(),
    metrics: new Map(),
    metricsAt: new Map(), // id -> Date.now() of the latest metrics
    history: new Map(),
    subs: new Set(),
    emit(kind, id) { for (const f of this.subs) f(kind, id); },
    setJobs(list) {
      const seen = new Set();
      const changed = [];
      for (let j of list) {
        j = normJob(j);
        seen.add(j.id);
        const old = this.jobs.get(j.id);
        if (old && (old.state !== j.state || old.error !== j.error)) changed.push(j.id);
        this.jobs.set(j.id, Object.assign(old || {}, j));
      }
      for (const id of [...this.jobs.keys()]) if (!seen.has(id)) this.jobs.delete(id);
      this.emit("jobs");
      for (const id of changed) this.emit("job", id);
    },
    setJob(j) {
      if (!j || !j.id) return;
      j = normJob(j);
      this.jobs.set(j.id, Object.assign(this.jobs.get(j.id) || {}, j));
      this.emit("job", j.id);
    },
    setMetrics(id, m) {
      m = normMetrics(m);
      if (!m) return;
      const prev = this.metrics.get(id);
      this.metrics.set(id, m);
      this.metricsAt.set(id, Date.now());
      const t = m.time ? Date.parse(m.time) / 1000 : Date.now() / 1000;
      if (!prev || prev.time !== m.time || !m.time) recordHistory(id, t, m);
      const job = this.jobs.get(id);
      if (job) job.records_per_second = sourceRate(m, job);
      this.emit("metrics", id);
    },
  };

  function sourceRate(m, job) {
    const sources = new Set(((job && job.graph && job.graph.vertices) || []).filter((v) => !(v.inputs || []).length).map((v) => v.id));
    let sum = 0;
    for (const v of m.vertices) {
      if (sources.size ? sources.has(v.id) : !v.records_in_per_second) sum += v.records_out_per_second || 0;
    }
    return sum;
  }

  // throughput of a vertex: records out per second, or in for a sink
  function vertexRate(v) {
    return v.records_out_per_second || v.records_in_per_second || 0;
  }

  function recordHistory(id, t, m) {
    let hst = store.history.get(id);
    if (!hst) { hst = { t: [], rate: new Map(), lag: new Map() }; store.history.set(id, hst); }
    if (hst.t.length && t <= hst.t[hst.t.length - 1]) return;
    const n = hst.t.length;
    hst.t.push(t);
    for (const v of m.vertices) {
      for (const [map, val] of [[hst.rate, vertexRate(v)], [hst.lag, v.watermark_lag_ms == null ? null : v.watermark_lag_ms / 1000]]) {
        let arr = map.get(v.id);
        if (!arr) { arr = new Array(n).fill(null); map.set(v.id, arr); }
        arr.push(val);
      }
    }
    for (const map of [hst.rate, hst.lag]) for (const arr of map.values()) while (arr.length < hst.t.length) arr.push(null);
    if (hst.t.length > HISTORY) {
      const cut = hst.t.length - HISTORY;
      hst.t.splice(0, cut);
      for (const map of [hst.rate, hst.lag]) for (const arr of map.values()) arr.splice(0, cut);
    }
  }

  // ---------------------------------------------------------------- shapes
  // The dashboard reads the shapes of DESIGN.md §8.
  function normJob(j) {
    if (!j) return j;
    if (j.ended_at === undefined) j.ended_at = null;
    if (j.records_per_second != null) j._summaryRate = true;
    return j;
  }

  function normMetrics(m) {
    return m && Array.isArray(m.vertices) ? m : null;
  }

  // ---------------------------------------------------------------- live feed
  const live = {
    es: null, timer: null, errors: 0, stopped: false, focus: null,
    start() {
      this.stopped = false;
      this.refreshJobs().catch(() => {});
      if (typeof EventSource !== "function") return this.poll();
      const es = new EventSource(API + "/events");
      this.es = es;
      es.onopen = () => { this.errors = 0; setConn("live"); this.stopPolling(); };
      // A missed event heals: the list is re-read every 5 s while live.
      this.resync = setInterval(() => { if (this.es && !this.stopped) this.refreshJobs().catch(() => {}); }, 5000);
      es.addEventListener("job", (e) => { const j = parse(e.data); if (j) store.setJob(j); });
      es.addEventListener("jobs", (e) => { const d = parse(e.data); if (d && d.jobs) store.setJobs(d.jobs); });
      es.addEventListener("metrics", (e) => { const m = parse(e.data); if (m && m.job_id) store.setMetrics(m.job_id, m); });
      es.addEventListener("gap", () => { this.refreshJobs().catch(() => {}); });
      es.addEventListener("end", () => { es.close(); this.es = null; this.poll(); });
      es.onerror = () => {
        this.errors++;
        if (es.readyState === EventSource.CLOSED || this.errors >= 3) {
          es.close();
          this.es = null;
          this.poll();
        }
      };
    },
    // poll is the fallback: the job list and the focused job's metrics every 2 s.
    poll() {
      if (this.stopped || this.timer) return;
      setConn("polling");
      const tick = async () => {
        if (this.stopped) return;
        try {
          await this.refreshJobs();
          if (this.focus) store.setMetrics(this.focus, await api("GET", "/jobs/" + enc(this.focus) + "/metrics"));
          setConn("polling");
        } catch (e) { if (e.status === 401) return; }
        this.timer = setTimeout(tick, POLL_MS);
      };
      this.timer = setTimeout(tick, 0);
    },
    stopPolling() { clearTimeout(this.timer); this.timer = null; },
    async refreshJobs() {
      const d = await api("GET", "/jobs");
      if (d && Array.isArray(d.jobs)) store.setJobs(d.jobs);
    },
    stop() {
      this.stopped = true;
      this.stopPolling();
      clearInterval(this.resync);
      if (this.es) { this.es.close(); this.es = null; }
    },
  };
  function parse(s) { try { return JSON.parse(s); } catch (e) { return null; } }
  const enc = encodeURIComponent;

  // ---------------------------------------------------------------- router
  let cleanup = null;
  function route() {
    if (cleanup) { try { cleanup(); } catch (e) { /* page gone */ } cleanup = null; }
    live.focus = null;
    const main = clear($("#main"));
    const hash = location.hash.replace(/^#/, "") || "/";
    const [path, query] = hash.split("?");
    const params = new URLSearchParams(query || "");
    let m;
    let nav = "jobs";
    if ((m = path.match(/^\/jobs\/([^/]+)$/))) cleanup = jobPage(main, decodeURIComponent(m[1]));
    else if (path === "/sql") { nav = "sql"; cleanup = sqlPage(main, params); }
    else cleanup = jobsPage(main);
    for (const a of document.querySelectorAll(".nav a")) a.classList.toggle("active", a.dataset.nav === nav);
    window.scrollTo(0, 0);
  }

  function subscribe(f) { store.subs.add(f); return () => store.subs.delete(f); }

  function badge(state) { return h("span", { class: "badge " + (state || ""), text: (state || "unknown").replace("_", " ") }); }

  // ---------------------------------------------------------------- jobs page
  function jobsPage(main) {
    document.title = "Jobs · strom";
    const chips = h("div", { class: "chips" });
    const tbody = h("tbody");
    const empty = h("div", { class: "empty-state" },
      h("h2", { text: "No jobs yet" }),
      h("p", { text: "Submit a SQL script in the editor. Running jobs show their graph, metrics, checkpoints and, for a script ending in a SELECT, its rows as they change." }),
      h("a", { class: "btn primary", href: "#/sql" }, "Open the SQL editor"));
    const table = h("table", { class: "tbl", id: "jobs-table" },
      h("thead", null, h("tr", null,
        h("th", { text: "State" }), h("th", { text: "Name" }), h("th", { text: "ID" }), h("th", { text: "Kind" }),
        h("th", { text: "Started" }), h("th", { class: "num", text: "Uptime" }), h("th", { class: "num", text: "Records/s" }))),
      tbody);
    main.append(
      h("div", { class: "page-head" },
        h("div", { class: "title" }, h("h1", { text: "Jobs" }), chips),
        h("div", { class: "actions" }, h("a", { class: "btn primary", href: "#/sql" }, "New SQL job"))),
      h("div", { class: "card" }, h("div", { class: "card-body flush scroll" }, table, empty)));

    function render() {
      const jobs = [...store.jobs.values()].sort((a, b) =>
        (ACTIVE.has(b.state) - ACTIVE.has(a.state)) || String(b.started_at || "").localeCompare(String(a.started_at || "")));
      const counts = {};
      for (const j of jobs) counts[j.state] = (counts[j.state] || 0) + 1;
      clear(chips);
      for (const st of ["running", "created", "restarting", "failed", "finished", "stopped", "cancelled"]) {
        if (counts[st]) chips.append(h("span", { class: "badge " + st }, counts[st] + " " + st));
      }
      clear(tbody);
      for (const j of jobs) {
        const up = uptime(j);
        tbody.append(h("tr", { class: "link", "data-job": j.id, onclick: () => { location.hash = "#/jobs/" + enc(j.id); } },
          h("td", null, badge(j.state)),
          h("td", { class: "name" }, h("a", { href: "#/jobs/" + enc(j.id), text: j.name || j.id }),
            j.error ? h("div", { class: "small", style: "color: var(--bad)", text: j.error }) : null),
          h("td", { class: "mono muted", text: j.id }),
          h("td", null, h("span", { class: "pill", text: j.kind || "sql" }), j.query ? h("span", { class: "pill", style: "margin-left:4px", text: "query" }) : null),
          h("td", { class: "muted", text: fmtTime(j.started_at) }),
          h("td", { class: "num", text: up == null ? "—" : fmtMs(up) }),
          h("td", { class: "num", text: ACTIVE.has(j.state) && j.records_per_second != null ? fmtNum(j.records_per_second) : "—" })));
      }
      table.hidden = !jobs.length;
      empty.hidden = !!jobs.length;
    }
    render();
    let pending = null; // metrics come once a second per job: one render per 250 ms at most
    const unsub = subscribe(() => { if (!pending) pending = setTimeout(() => { pending = null; render(); }, 250); });
    const tick = setInterval(render, 1000); // uptimes
    // Records/s of jobs whose rate neither the summaries nor the event
    // stream carry: their metrics, every 3 s, while the list is open.
    const rates = setInterval(() => {
      let n = 0;
      for (const j of store.jobs.values()) {
        if (!ACTIVE.has(j.state) || j._summaryRate || Date.now() - (store.metricsAt.get(j.id) || 0) < 2500 || n++ >= 20) continue;
        // The graph tells the sources (whose output is the job's rate).
        const graph = j.graph ? Promise.resolve() : api("GET", "/jobs/" + enc(j.id)).then((d) => store.setJob(d));
        graph.then(() => api("GET", "/jobs/" + enc(j.id) + "/metrics")).then((m) => store.setMetrics(j.id, m), () => {});
      }
    }, 3000);
    return () => { unsub(); clearInterval(tick); clearInterval(rates); clearTimeout(pending); };
  }

  // ---------------------------------------------------------------- job page
  function jobPage(main, id) {
    live.focus = id;
    selectedVertex = null;
    let job = store.jobs.get(id) || { id };
    let graphView = null; // { update(metrics) }
    let charts = [];
    let results = null;
    let stopped = false;
    const timers = [];

    const head = h("div", { class: "page-head" });
    const errBox = h("div", { class: "alert", hidden: true });
    const stats = h("div", { class: "stats" });
    const graphBody = h("div", { class: "graph-wrap", id: "job-graph" }, h("div", { class: "empty", text: "Loading the job graph…" }));
    const rateChart = h("div", { class: "chart", id: "chart-throughput" });
    const lagChart = h("div", { class: "chart", id: "chart-lag" });
    const rateNote = h("div", { class: "chart-note", hidden: true });
    const lagNote = h("div", { class: "chart-note", hidden: true });
    const vtxBody = h("tbody");
    const ckptCounts = h("div", { class: "right" });
    const ckptBody = h("div", { class: "card-body flush scroll tall" }, h("div", { class: "empty", text: "Loading checkpoints…" }));
    const excCount = h("div", { class: "right" });
    const excBody = h("div", { class: "card-body flush" }, h("div", { class: "empty", text: "Loading exceptions…" }));
    const resultsCard = h("div", { class: "card", id: "job-results", hidden: true });
    const sqlCard = h("div", { class: "card", hidden: true });

    main.append(head, errBox, stats, resultsCard,
      h("div", { class: "card" },
        h("div", { class: "card-head" }, h("h2", { text: "Job graph" }),
          h("span", { class: "sub", text: "vertices are operator chains; edges show how records are partitioned" }),
          h("div", { class: "right legend" }, "backpressure", h("span", null, h("i", { class: "ok" }), "< 10%"), h("span", null, h("i", { class: "warn" }), "< 50%"), h("span", null, h("i", { class: "bad" }), "≥ 50%"))),
        graphBody),
      h("div", { class: "grid-2" },
        h("div", { class: "card" }, h("div", { class: "card-head" }, h("h2", { text: "Throughput" }), h("span", { class: "sub", text: "records out per second per vertex (in, for sinks)" })), h("div", { class: "chart-box" }, rateChart, rateNote)),
        h("div", { class: "card" }, h("div", { class: "card-head" }, h("h2", { text: "Watermark lag" }), h("span", { class: "sub", text: "seconds behind the wall clock" })), h("div", { class: "chart-box" }, lagChart, lagNote))),
      h("div", { class: "card" },
        h("div", { class: "card-head" }, h("h2", { text: "Vertices" })),
        h("div", { class: "card-body flush scroll" }, h("table", { class: "tbl", id: "vertex-table" },
          h("thead", null, h("tr", null,
            h("th", { text: "Vertex" }), h("th", { class: "num", text: "Par." }), h("th", { class: "num", text: "In/s" }), h("th", { class: "num", text: "Out/s" }),
            h("th", { class: "num", text: "Records in" }), h("th", { class: "num", text: "Records out" }), h("th", { text: "Backpressure" }),
            h("th", { text: "Watermark" }), h("th", { class: "num", text: "Lag" }), h("th", { class: "num", text: "State" }),
            h("th", { class: "num", text: "Late" }), h("th", { class: "num", text: "Dead letters" }), h("th", { class: "num", text: "Latency p50 / p99" }),
            h("th", { class: "num", text: "Bytes/s", title: "bytes read by the sources and serialised by the sinks per second (where the connector counts them)" }),
            h("th", { class: "num", text: "Pending", title: "live consumer lag of journal and Kafka sources: records between their readers' positions and the ends of their partitions" }))),
          vtxBody))),
      h("div", { class: "card", id: "checkpoints" }, h("div", { class: "card-head" }, h("h2", { text: "Checkpoints" }), ckptCounts), ckptBody),
      h("div", { class: "card", id: "exceptions" }, h("div", { class: "card-head" }, h("h2", { text: "Exceptions" }), excCount), excBody),
      sqlCard);

    function renderHead() {
      document.title = (job.name || job.id) + " · strom";
      const up = uptime(job);
      const canAct = ACTIVE.has(job.state);
      clear(head).append(
        h("div", { class: "title" },
          h("div", { class: "crumbs" }, h("a", { href: "#/", text: "Jobs" }), " / ", job.id),
          h("div", { class: "title-row" }, h("h1", { id: "job-name", text: job.name || job.id }), badge(job.state)),
          h("div", { class: "meta" },
            h("span", null, "kind ", h("b", { text: job.kind || "sql" })),
            job.parallelism ? h("span", null, "parallelism ", h("b", { text: job.parallelism })) : null,
            h("span", null, "started ", h("b", { text: fmtTime(job.started_at) })),
            job.ended_at ? h("span", null, "ended ", h("b", { text: fmtTime(job.ended_at) })) : null,
            h("span", null, job.ended_at ? "ran " : "uptime ", h("b", { text: up == null ? "—" : fmtMs(up) })))),
        h("div", { class: "actions" },
          h("button", { class: "btn", id: "btn-savepoint", disabled: !canAct, onclick: () => savepointDialog(job) }, "Savepoint"),
          h("button", { class: "btn danger", id: "btn-cancel", disabled: !canAct, onclick: () => cancelDialog(job) }, "Cancel job")));
      errBox.hidden = !job.error;
      if (job.error) clear(errBox).append(h("span", { class: "where", text: "Job " + (job.state || "failed") + ": " }), job.error);
    }

    function renderStats(m) {
      const vs = (m && m.vertices) || [];
      const vById = new Map(((job.graph && job.graph.vertices) || []).map((v) => [v.id, v]));
      const isSource = (v) => vById.size ? !((vById.get(v.id) || {}).inputs || []).length : !v.records_in_per_second;
      const hasOut = new Set();
      for (const v of vById.values()) for (const e of v.inputs || []) hasOut.add(e.from);
      const isSink = (v) => vById.size ? !hasOut.has(v.id) : false;
      let inRate = 0, outRate = 0, bp = null, lag = null, state = 0;
      for (const v of vs) {
        if (isSource(v)) inRate += v.records_out_per_second || 0;
        if (isSink(v)) outRate += v.records_in_per_second || 0;
        if (v.backpressure != null) bp = Math.max(bp || 0, v.backpressure);
        if (v.watermark_lag_ms != null) lag = Math.max(lag || 0, v.watermark_lag_ms);
        state += v.state_bytes || 0;
      }
      const ck = job._ckpt;
      const tile = (label, value, unit, hint, cls) => h("div", { class: "stat " + (cls || "") },
        h("div", { class: "label", text: label }), h("div", { class: "value" }, value, unit ? h("small", { text: unit }) : null), h("div", { class: "hint", text: hint || "\u00a0" }));
      clear(stats).append(
        tile("Source rate", fmtNum(inRate), "rec/s", "read by the sources"),
        tile("Sink rate", fmtNum(outRate), "rec/s", "written by the sinks"),
        tile("Backpressure", pct(bp), "", "busiest vertex", bp == null ? "" : bpClass(bp)),
        tile("Watermark lag", fmtMs(lag), "", "slowest vertex", lag != null && lag > 60000 ? "warn" : ""),
        tile("State size", fmtBytes(state), "", "keyed state, all vertices"),
        tile("Checkpoints", ck ? fmtInt(ck.counts.completed || 0) : "—", "", ck ? (ck.counts.failed ? ck.counts.failed + " failed" : "none failed") + (ck.latest ? " · last " + fmtMs(ck.latest.duration_ms) : "") : "", ck && ck.counts.failed ? "warn" : ""));
    }

    function renderVertices(m) {
      const byId = new Map(((m && m.vertices) || []).map((v) => [v.id, v]));
      const vertices = (job.graph && job.graph.vertices) || [];
      clear(vtxBody);
      for (const gv of vertices) {
        const v = byId.get(gv.id) || {};
        const bc = bpClass(v.backpressure);
        vtxBody.append(h("tr", { id: "vertex-" + gv.id, class: selectedVertex === String(gv.id) ? "selected" : null },
          h("td", { class: "name" }, h("span", { class: "pill", text: gv.id }), " ", gv.name),
          h("td", { class: "num", text: gv.parallelism }),
          h("td", { class: "num", text: fmtNum(v.records_in_per_second) }),
          h("td", { class: "num", text: fmtNum(v.records_out_per_second) }),
          h("td", { class: "num", text: fmtInt(v.records_in) }),
          h("td", { class: "num", text: fmtInt(v.records_out) }),
          h("td", null, h("span", { class: "bp " + bc }, h("span", { class: "bar" }, h("i", { style: "width:" + Math.round((v.backpressure || 0) * 100) + "%" })), pct(v.backpressure))),
          h("td", { class: "mono", text: v.watermark == null ? "—" : fmtClock(new Date(v.watermark), true) }),
          h("td", { class: "num", text: fmtMs(v.watermark_lag_ms) }),
          h("td", { class: "num", text: fmtBytes(v.state_bytes) }),
          h("td", { class: "num", text: fmtInt(v.late_records) }),
          h("td", { class: "num", text: fmtInt(v.dead_letters) }),
          h("td", { class: "num", text: v.latency_p50_ms == null ? "—" : fmtMs(v.latency_p50_ms) + " / " + fmtMs(v.latency_p99_ms) }),
          h("td", { class: "num bytes", text: bytesRates(v), title: bytesTotals(v) }),
          h("td", { class: "num pending", text: fmtInt(v.pending_records) })));
      }
      if (!vertices.length) vtxBody.append(h("tr", null, h("td", { colspan: 15, class: "empty", text: "No graph." })));
    }

    // bytesRates is "<read>/s in", "<written>/s out" or both for a vertex
    // whose connectors count bytes (null in the metrics otherwise: "—").
    function bytesRates(v) {
      const parts = [];
      if (v.bytes_read_per_second != null) parts.push(fmtBytes(Math.round(v.bytes_read_per_second)) + "/s in");
      if (v.bytes_written_per_second != null) parts.push(fmtBytes(Math.round(v.bytes_written_per_second)) + "/s out");
      return parts.length ? parts.join(" · ") : "—";
    }
    function bytesTotals(v) {
      const parts = [];
      if (v.bytes_read != null) parts.push(fmtBytes(v.bytes_read) + " read");
      if (v.bytes_written != null) parts.push(fmtBytes(v.bytes_written) + " written");
      return parts.join(", ");
    }

    function renderCharts() {
      const hst = store.history.get(id);
      const vertices = (job.graph && job.graph.vertices) || [];
      if (!vertices.length) return;
      const few = !hst || hst.t.length < 2;
      for (const note of [rateNote, lagNote]) {
        note.hidden = !few;
        note.textContent = ACTIVE.has(job.state) ? "Collecting samples…" : "No samples: the job is not running.";
      }
      if (!charts.length) {
        if (typeof uPlot !== "function") return;
        charts = [makeChart(rateChart, vertices, (v) => fmtNum(v) + "/s"), makeChart(lagChart, vertices, (v) => (v == null ? "—" : fmtMs(v * 1000)))];
      }
      if (!hst || hst.t.length < 1) return;
      charts[0].setData([hst.t, ...vertices.map((v) => hst.rate.get(v.id) || hst.t.map(() => null))]);
      charts[1].setData([hst.t, ...vertices.map((v) => hst.lag.get(v.id) || hst.t.map(() => null))]);
    }

    let lastMetricsAt = 0;
    function onMetrics() {
      const m = store.metrics.get(id);
      renderStats(m);
      renderVertices(m);
      if (graphView && m) graphView.update(m);
      renderCharts();
    }

    async function loadJob() {
      try {
        const j = normJob(await api("GET", "/jobs/" + enc(id)));
        job = Object.assign(store.jobs.get(id) || {}, j);
        store.jobs.set(id, job);
        renderHead();
        if (job.graph && job.graph.vertices) {
          graphView = drawGraph(graphBody, job.graph.vertices);
          charts.forEach((c) => c.destroy());
          charts = [];
          clear(rateChart); clear(lagChart);
        } else {
          clear(graphBody).append(h("div", { class: "empty", text: "This job has no graph yet." }));
        }
        if (job.sql) {
          sqlCard.hidden = false;
          clear(sqlCard).append(h("div", { class: "card-head" }, h("h2", { text: "SQL" })), h("pre", { class: "sql", text: job.sql }));
        } else if (job.builtin) {
          // A compiled-in DataStream job has no SQL: its name, what it
          // does and its plan (vertices, parallelism, inputs).
          const b = job.builtin;
          sqlCard.hidden = false;
          sqlCard.id = "builtin";
          clear(sqlCard).append(
            h("div", { class: "card-head" }, h("h2", { text: "Builtin job " }, h("code", { id: "builtin-name", text: b.name })),
              h("span", { class: "sub", text: "compiled-in DataStream job" })),
            h("div", { class: "card-body" }, h("p", { id: "builtin-description", text: b.description || "" })),
            b.plan ? h("pre", { class: "sql", id: "builtin-plan", text: b.plan }) : null);
        }
        if ((job.query || (job.columns && job.columns.length)) && !results) {
          resultsCard.hidden = false;
          results = new LiveResults(resultsCard, id, job.columns);
          results.start();
        }
        onMetrics();
      } catch (e) {
        if (e.status === 404) {
          clear(main).append(h("div", { class: "card" }, h("div", { class: "empty" }, "No job ", h("code", { text: id }), ". ", h("a", { href: "#/", text: "Back to the jobs" }))));
          stopped = true;
        } else if (e.status !== 401) {
          clear(graphBody).append(h("div", { class: "empty", text: "Could not load the job: " + e.message }));
        }
      }
    }

    async function loadMetrics() {
      try { store.setMetrics(id, await api("GET", "/jobs/" + enc(id) + "/metrics")); } catch (e) { /* shown by the next poll */ }
    }

    async function loadCheckpoints() {
      try {
        const c = await api("GET", "/jobs/" + enc(id) + "/checkpoints");
        job._ckpt = normCheckpoints(c);
        renderCheckpoints(job._ckpt);
        renderStats(store.metrics.get(id));
      } catch (e) { if (e.status !== 401) clear(ckptBody).append(h("div", { class: "empty", text: "Checkpoints unavailable: " + e.message })); }
    }

    function renderCheckpoints(c) {
      clear(ckptCounts);
      append(ckptCounts, [
        h("span", null, h("b", { text: fmtInt(c.counts.completed || 0) }), " completed"),
        h("span", null, h("b", { text: fmtInt(c.counts.failed || 0) }), " failed"),
        c.counts.in_progress ? h("span", null, h("b", { text: fmtInt(c.counts.in_progress) }), " in progress") : null,
        c.restored ? h("span", null, "restored from ", h("b", { text: "#" + c.restored })) : null]);
      if (!c.history.length) {
        const parts = [];
        if (!c.enabled) parts.push(h("div", { class: "empty", text: "This job takes no checkpoints." }));
        else if (c.latest) {
          parts.push(h("table", { class: "tbl", id: "checkpoint-table" },
            h("thead", null, h("tr", null, h("th", { text: "Latest" }), h("th", { class: "num", text: "Duration" }), h("th", { class: "num", text: "Size" }),
              h("th", { class: "num", text: "Mean duration" }), h("th", { class: "num", text: "Max duration" }), h("th", { class: "num", text: "Max size" }), h("th", { text: "Last failure" }))),
            h("tbody", null, h("tr", { "data-checkpoint": c.latest.id },
              h("td", { class: "mono", text: "#" + c.latest.id }),
              h("td", { class: "num", text: fmtMs(c.latest.duration_ms) }),
              h("td", { class: "num", text: fmtBytes(c.latest.bytes) }),
              h("td", { class: "num", text: fmtMs(c.summary && c.summary.mean) }),
              h("td", { class: "num", text: fmtMs(c.summary && c.summary.max) }),
              h("td", { class: "num", text: fmtBytes(c.summary && c.summary.maxBytes) }),
              h("td", { class: "fail wrap", text: (c.summary && c.summary.lastFailure) || "" })))));
        } else parts.push(h("div", { class: "empty", text: c.summary && c.summary.lastFailure ? "No completed checkpoint; the last failed: " + c.summary.lastFailure : "No checkpoints yet." }));
        clear(ckptBody).append(...parts);
        return;
      }
      clear(ckptBody).append(h("table", { class: "tbl", id: "checkpoint-table" },
        h("thead", null, h("tr", null, h("th", { text: "ID" }), h("th", { text: "Status" }), h("th", { text: "Trigger time" }),
          h("th", { class: "num", text: "Duration" }), h("th", { class: "num", text: "Size" }), h("th", { class: "num", text: "Alignment" }), h("th", { text: "Failure" }))),
        h("tbody", null, c.history.map((k) => h("tr", { "data-checkpoint": k.id },
          h("td", { class: "mono", text: "#" + k.id }),
          h("td", null, badge(k.status)),
          h("td", { text: fmtTime(k.trigger_time) }),
          h("td", { class: "num", text: fmtMs(k.duration_ms) }),
          h("td", { class: "num", text: fmtBytes(k.bytes) }),
          h("td", { class: "num", text: fmtMs(k.alignment_ms) }),
          h("td", { class: "fail wrap", text: k.failure || "" }))))));
    }

    async function loadExceptions() {
      try {
        const d = await api("GET", "/jobs/" + enc(id) + "/exceptions");
        renderExceptions((d && d.exceptions) || []);
      } catch (e) { if (e.status !== 401) clear(excBody).append(h("div", { class: "empty", text: "Exceptions unavailable: " + e.message })); }
    }

    function renderExceptions(list) {
      clear(excCount).append(list.length ? h("span", null, h("b", { text: list.length }), list.length === 1 ? " exception" : " exceptions") : "");
      if (!list.length) { clear(excBody).append(h("div", { class: "empty", text: "No exceptions." })); return; }
      clear(excBody).append(h("ul", { class: "exc", id: "exception-list" }, list.map((x) => h("li", null,
        h("div", { class: "exc-head" },
          h("span", { text: fmtTime(x.time) }),
          x.operator ? h("span", { class: "exc-op", text: x.operator }) : null,
          x.subtask != null && x.subtask >= 0 ? h("span", { class: "pill", text: "subtask " + x.subtask }) : null),
        h("div", { class: "exc-msg", text: x.message || "" }),
        x.cause ? h("details", null, h("summary", null, "cause"), h("pre", { text: x.cause })) : null))));
    }

    const unsub = subscribe((kind, jid) => {
      if (jid !== id) return;
      if (kind === "metrics") { lastMetricsAt = Date.now(); onMetrics(); }
      else if (kind === "job") {
        const before = job.state;
        job = Object.assign(job, store.jobs.get(id));
        renderHead();
        if (before !== job.state) { loadCheckpoints(); loadExceptions(); }
      }
    });

    renderHead();
    renderStats(null);
    loadJob().then(() => {
      if (stopped) return;
      if (!store.metrics.get(id)) loadMetrics();
      loadCheckpoints();
      loadExceptions();
    });
    // Checkpoints and exceptions are not on the event stream: refresh them.
    // Metrics come from the event stream or live.poll; a finished job has
    // no ticks, hence one explicit load above.
    timers.push(setInterval(() => { if (!stopped && ACTIVE.has(job.state)) { loadCheckpoints(); loadExceptions(); } }, 5000));
    timers.push(setInterval(() => { if (!stopped) renderHead(); }, 1000));
    // A server whose event stream carries no metrics for this job: poll them.
    timers.push(setInterval(() => { if (!stopped && ACTIVE.has(job.state) && Date.now() - lastMetricsAt > 2500) loadMetrics(); }, 2000));
    const onResize = () => charts.forEach((c) => c.setSize(chartSize(c.root.parentElement)));
    window.addEventListener("resize", onResize);
    return () => {
      stopped = true;
      unsub();
      timers.forEach(clearInterval);
      window.removeEventListener("resize", onResize);
      charts.forEach((c) => c.destroy());
      if (results) results.stop();
    };
  }

  function normCheckpoints(c) {
    c = c || {};
    const counts = Object.assign({ completed: 0, failed: 0, in_progress: 0 }, c.counts ||
      { completed: c.completed || 0, failed: c.failed || 0, in_progress: c.in_progress || 0 });
    const history = (c.history || []).filter((k) => k && k.id != null).slice().sort((a, b) => b.id - a.id);
    let latest = history.find((k) => k.status === "completed") || null;
    if (!latest && c.latest_id) latest = { id: c.latest_id, status: "completed", duration_ms: c.latest_duration_ms, bytes: c.latest_bytes };
    return {
      counts, restored: c.restored || 0, latest, history,
      enabled: c.enabled !== false,
      summary: c.latest_id != null || c.mean_duration_ms != null ? {
        mean: c.mean_duration_ms, max: c.max_duration_ms, maxBytes: c.max_bytes, lastFailure: c.last_failure || "",
      } : null,
    };
  }

  // ---------------------------------------------------------------- charts
  function cssVar(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }
  function chartSize(el) { return { width: Math.max(280, el.clientWidth - 16), height: 220 }; }

  function makeChart(el, vertices, fmt) {
    clear(el);
    const axis = { stroke: cssVar("--muted"), grid: { stroke: cssVar("--border"), width: 1 }, ticks: { stroke: cssVar("--border"), width: 1 }, font: "11px " + cssVar("--sans") };
    const opts = Object.assign(chartSize(el), {
      series: [{}].concat(vertices.map((v, i) => ({
        label: fit(v.name || "vertex " + v.id, 200),
        stroke: PALETTE[i % PALETTE.length],
        width: 1.8,
        points: { show: false },
        spanGaps: false,
        value: (u, val) => fmt(val),
      }))),
      axes: [Object.assign({ space: 80, values: (u, vals) => vals.map((v) => fmtClock(new Date(v * 1000))) }, axis), Object.assign({ size: 56, values: (u, vals) => vals.map((v) => (v == null ? "" : fmtNum(v))) }, axis)],
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      cursor: { points: { size: 6 } },
      legend: { live: false },
    });
    return new uPlot(opts, [[]].concat(vertices.map(() => [])), el);
  }

  // ---------------------------------------------------------------- graph
  const NODE_W = 264;
  let selectedVertex = null; // clicked in the graph: its row in the vertex table is marked
  const CHAR_W = 7.1; // average advance of 13 px sans, for truncation

  function fit(text, px, charW) {
    text = String(text == null ? "" : text);
    const max = Math.floor(px / (charW || CHAR_W));
    return text.length > max ? text.slice(0, Math.max(1, max - 1)) + "…" : text;
  }

  // drawGraph lays out the vertices with dagre (left to right) and draws
  // them as SVG; it returns update(metrics), which changes only the texts
  // and bars of the live metrics.
  function drawGraph(container, vertices) {
    clear(container);
    if (typeof dagre === "undefined") {
      container.append(h("div", { class: "empty", text: "The graph library did not load." }));
      return null;
    }
    const MAX_OPS = 4;
    const layout = new Map();
    const ids = new Set(vertices.map((v) => String(v.id)));
    const build = (rankdir) => {
      const g = new dagre.graphlib.Graph({ multigraph: true });
      g.setGraph({ rankdir, nodesep: 36, ranksep: rankdir === "LR" ? 56 : 40, edgesep: 20, marginx: 12, marginy: 12 });
      g.setDefaultEdgeLabel(() => ({}));
      for (const v of vertices) {
        const ops = (v.operators || []).map((o) => o.name);
        const shown = ops.length > MAX_OPS ? ops.slice(0, MAX_OPS - 1).concat(["+" + (ops.length - MAX_OPS + 1) + " more"]) : ops;
        const height = 36 + shown.length * 17 + 10 + 84;
        layout.set(String(v.id), { v, shown, ops });
        g.setNode(String(v.id), { width: NODE_W, height });
      }
      let k = 0;
      for (const v of vertices) {
        for (const e of v.inputs || []) {
          if (!ids.has(String(e.from))) continue;
          const label = e.partitioning || "FORWARD";
          g.setEdge(String(e.from), String(v.id), { label, width: label.length * 7 + 16, height: 20, labelpos: "c" }, "e" + k++);
        }
      }
      dagre.layout(g);
      return g;
    };
    // Left to right, as records flow; a long pipeline that would not fit
    // the card goes top to bottom instead.
    let g = build("LR");
    const avail = container.clientWidth - 16;
    if (avail > 0 && g.graph().width > avail * 1.3) {
      const tb = build("TB");
      if (tb.graph().width < g.graph().width) g = tb;
    }
    const gw = Math.ceil(g.graph().width), gh = Math.ceil(g.graph().height);
    const svg = s("svg", { class: "graph", viewBox: "0 0 " + gw + " " + gh, width: gw, height: gh, role: "img", "aria-label": "job graph" });
    svg.append(s("defs", null, s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
      s("path", { class: "arrow", d: "M0,0 L10,5 L0,10 z" }))));
    const edgeLayer = s("g", { class: "edges" });
    const labelLayer = s("g", { class: "labels" });
    const nodeLayer = s("g", { class: "nodes" });
    svg.append(edgeLayer, nodeLayer, labelLayer);

    for (const e of g.edges()) {
      const ed = g.edge(e);
      edgeLayer.append(s("path", { class: "edge", d: basisPath(ed.points), "marker-end": "url(#arrow)" }));
      const w = ed.width, hh = 20;
      labelLayer.append(s("g", { class: "edge-label " + ed.label, transform: "translate(" + (ed.x - w / 2) + "," + (ed.y - hh / 2) + ")" },
        s("rect", { width: w, height: hh, rx: 10 }),
        s("text", { x: w / 2, y: 14, "text-anchor": "middle", text: ed.label })));
    }

    const refs = new Map();
    for (const nid of g.nodes()) {
      const n = g.node(nid);
      const { v, shown, ops } = layout.get(nid);
      const x = n.x - n.width / 2, y = n.y - n.height / 2;
      const node = s("g", { class: "node", transform: "translate(" + x + "," + y + ")", "data-vertex": v.id });
      node.addEventListener("click", () => {
        selectedVertex = selectedVertex === String(v.id) ? null : String(v.id);
        for (const el of document.querySelectorAll("#job-graph .node, #vertex-table tbody tr")) {
          const vid = el.dataset.vertex != null ? el.dataset.vertex : el.id.replace("vertex-", "");
          el.classList.toggle("selected", vid === selectedVertex);
        }
        const row = document.getElementById("vertex-" + v.id);
        if (row && selectedVertex) row.scrollIntoView({ behavior: "smooth", block: "center" });
      });
      const clip = "clip-" + nid.replace(/[^A-Za-z0-9_-]/g, "_");
      node.append(
        s("clipPath", { id: clip }, s("rect", { width: n.width, height: n.height, rx: 8 })),
        s("g", { "clip-path": "url(#" + clip + ")" },
          s("rect", { class: "node-box", width: n.width, height: n.height, rx: 8 }),
          s("rect", { class: "node-head", x: 0, y: 0, width: n.width, height: 32 }),
          s("line", { class: "node-sep", x1: 0, x2: n.width, y1: 32.5, y2: 32.5 })),
        s("rect", { class: "node-box", width: n.width, height: n.height, rx: 8, fill: "none" }));
      const stripe = s("rect", { class: "stripe idle", x: 0, y: 0, width: 4, height: n.height });
      node.querySelector("g").append(stripe);
      node.append(
        s("text", { class: "node-name", x: 14, y: 21, text: fit(v.name, n.width - 60, 8) }, s("title", { text: v.name })),
        s("text", { class: "node-par", x: n.width - 12, y: 21, "text-anchor": "end", text: "×" + (v.parallelism || 1) }, s("title", { text: "parallelism " + (v.parallelism || 1) })));
      let oy = 52;
      shown.forEach((name, i) => {
        node.append(
          s("circle", { class: "node-op-dot", cx: 18, cy: oy - 4, r: 2.5 }),
          s("text", { class: "node-op", x: 28, y: oy, text: fit(name, n.width - 40, 6.4) }, s("title", { text: i === MAX_OPS - 1 && ops.length > MAX_OPS ? ops.slice(MAX_OPS - 1).join(" → ") : name })));
        if (i < shown.length - 1) node.append(s("line", { class: "node-sep", x1: 18, x2: 18, y1: oy - 1, y2: oy + 10 }));
        oy += 17;
      });
      const my = 36 + shown.length * 17 + 6;
      node.append(s("line", { class: "node-sep", x1: 12, x2: n.width - 12, y1: my + 0.5, y2: my + 0.5 }));
      const cols = [14, 14 + (n.width - 28) / 3, 14 + 2 * (n.width - 28) / 3];
      const metric = (cx, cy, label) => {
        const t = s("text", { class: "m-value", x: cx, y: cy + 30, text: "—" });
        node.append(s("text", { class: "m-label", x: cx, y: cy + 14, text: label }), t);
        return t;
      };
      const r = {
        in: metric(cols[0], my, "in/s"), out: metric(cols[1], my, "out/s"), state: metric(cols[2], my, "state"),
      };
      const by = my + 44;
      node.append(s("text", { class: "m-label", x: 14, y: by + 9, text: "backpressure" }));
      const track = s("rect", { class: "bp-track", x: 130, y: by + 2, width: 70, height: 7, rx: 3.5 });
      r.bpBar = s("rect", { class: "bp-bar idle", x: 130, y: by + 2, width: 0, height: 7, rx: 3.5 });
      r.bp = s("text", { class: "m-value", x: 208, y: by + 10, style: "font-size:12px", text: "—" });
      node.append(track, r.bpBar, r.bp);
      node.append(s("text", { class: "m-label", x: 14, y: by + 27, text: "watermark lag" }));
      r.lag = s("text", { class: "m-value", x: 130, y: by + 28, style: "font-size:12px", text: "—" });
      node.append(r.lag);
      r.stripe = stripe;
      refs.set(String(v.id), r);
      nodeLayer.append(node);
    }
    container.append(svg);
    // Fit a wide graph to the card while its text stays readable; wider
    // than that, it scrolls.
    const cw = container.clientWidth - 16;
    if (cw > 0 && gw > cw && gw / cw > 1.6) svg.style.maxWidth = "none";

    return {
      update(m) {
        for (const mv of m.vertices || []) {
          const r = refs.get(String(mv.id));
          if (!r) continue;
          r.in.textContent = fmtNum(mv.records_in_per_second);
          r.out.textContent = fmtNum(mv.records_out_per_second);
          r.state.textContent = fmtBytes(mv.state_bytes);
          const bc = bpClass(mv.backpressure);
          r.bp.textContent = pct(mv.backpressure);
          r.bpBar.setAttribute("width", String(Math.round(70 * Math.min(1, mv.backpressure || 0))));
          r.bpBar.setAttribute("class", "bp-bar " + bc);
          r.stripe.setAttribute("class", "stripe " + bc);
          r.lag.textContent = fmtMs(mv.watermark_lag_ms);
        }
      },
    };
  }

  // basisPath is d3's curveBasis: a smooth B-spline through dagre's points.
  function basisPath(pts) {
    if (!pts || !pts.length) return "";
    if (pts.length < 3) return "M" + pts.map((p) => p.x + "," + p.y).join("L");
    let d = "M" + pts[0].x + "," + pts[0].y;
    let x0 = pts[0].x, y0 = pts[0].y, x1 = pts[1].x, y1 = pts[1].y;
    d += "L" + (5 * x0 + x1) / 6 + "," + (5 * y0 + y1) / 6;
    const bez = (x, y) => {
      d += "C" + (2 * x0 + x1) / 3 + "," + (2 * y0 + y1) / 3 + " " + (x0 + 2 * x1) / 3 + "," + (y0 + 2 * y1) / 3 + " " + (x0 + 4 * x1 + x) / 6 + "," + (y0 + 4 * y1 + y) / 6;
      x0 = x1; y0 = y1; x1 = x; y1 = y;
    };
    for (let i = 2; i < pts.length; i++) bez(pts[i].x, pts[i].y);
    bez(x1, y1);
    d += "L" + x1 + "," + y1;
    return d;
  }

  // ---------------------------------------------------------------- live results
  // LiveResults follows GET /api/v1/jobs/{id}/results (SSE, one message per
  // change: {"seq","op","row"}) and keeps the table the changelog describes:
  // +I and +U add a row, -U and -D remove one equal row. A +U right after a
  // -U takes the retracted row's place, so an updated row stays where it was.
  class LiveResults {
    constructor(card, jobId, columns) {
      this.card = card;
      this.jobId = jobId;
      this.columns = (columns || []).map((c) => (typeof c === "string" ? { name: c } : c));
      this.rows = []; // { key, row, fresh }
      this.lastSeq = 0;
      this.counts = { "+I": 0, "-U": 0, "+U": 0, "-D": 0 };
      this.lastUpdate = null;
      this.hole = -1; // index of the row the last -U removed
      this.dropped = 0; // rows dropped beyond MAX_ROWS_KEPT
      this.missed = 0; // changes the server's feed dropped before this page read them
      this.ended = false;
      this.pending = false;
      this.status = h("div", { class: "results-status right" });
      this.body = h("div", { class: "card-body flush scroll tall" }, h("div", { class: "empty", text: "Waiting for results…" }));
      clear(card).append(h("div", { class: "card-head" }, h("h2", { text: "Results" }), h("span", { class: "sub", text: "live, the changelog applied" }), this.status), this.body);
      this.renderStatus();
    }
    start() {
      if (typeof EventSource !== "function") return;
      const es = new EventSource(API + "/jobs/" + enc(this.jobId) + "/results");
      this.es = es;
      es.onmessage = (e) => {
        const msg = parse(e.data);
        if (!msg) return;
        this.apply(msg);
      };
      es.addEventListener("end", () => { this.ended = true; es.close(); this.schedule(); });
      // A new reader first gets the current table (+I messages without a
      // seq), then {"snapshot":{"seq","rows","truncated"}}: the changes
      // after seq follow.
      es.addEventListener("snapshot", (e) => {
        const s = (parse(e.data) || {}).snapshot || {};
        if (s.seq) this.lastSeq = Math.max(this.lastSeq, Number(s.seq));
        if (s.truncated) this.truncated = true;
        this.schedule();
      });
      // The feed's ring dropped changes this page had not read.
      es.addEventListener("gap", (e) => {
        const g = (parse(e.data) || {}).gap || {};
        this.missed += g.to && g.from ? g.to - g.from + 1 : 1;
        this.schedule();
      });
      es.onopen = () => { this.connected = true; this.renderStatus(); };
      es.onerror = () => { this.connected = false; if (es.readyState === EventSource.CLOSED) this.ended = true; this.renderStatus(); };
    }
    stop() { if (this.es) this.es.close(); }
    keyOf(row) {
      if (!this.columns.length) this.columns = Object.keys(row).map((name) => ({ name }));
      return JSON.stringify(this.columns.map((c) => (row[c.name] === undefined ? null : row[c.name])));
    }
    apply(msg) {
      const seq = Number(msg.seq);
      if (seq && seq <= this.lastSeq) return; // a replay after a reconnect
      if (seq) this.lastSeq = seq;
      const op = msg.op || "+I";
      const row = msg.row || {};
      const key = this.keyOf(row);
      this.counts[op] = (this.counts[op] || 0) + 1;
      if (op === "-U" || op === "-D") {
        let i = -1;
        for (let j = this.rows.length - 1; j >= 0; j--) if (this.rows[j].key === key) { i = j; break; }
        if (i >= 0) this.rows.splice(i, 1);
        this.hole = op === "-U" ? i : -1;
      } else {
        const entry = { key, row, fresh: true };
        if (op === "+U" && this.hole >= 0) this.rows.splice(this.hole, 0, entry);
        else this.rows.push(entry);
        this.hole = -1;
        if (this.rows.length > MAX_ROWS_KEPT) { this.dropped += this.rows.length - MAX_ROWS_KEPT; this.rows.splice(0, this.rows.length - MAX_ROWS_KEPT); }
      }
      this.lastUpdate = new Date();
      this.schedule();
    }
    schedule() {
      if (this.pending) return;
      this.pending = true;
      setTimeout(() => { this.pending = false; this.render(); }, this.rows.length > 200 ? 250 : 30);
    }
    numeric(c) {
      if (c.type) return /^(TINYINT|SMALLINT|INT|INTEGER|BIGINT|FLOAT|REAL|DOUBLE|DECIMAL|NUMERIC)\b/i.test(c.type);
      const r = this.rows.find((x) => x.row[c.name] != null);
      return !!r && typeof r.row[c.name] === "number";
    }
    renderStatus() {
      const live = this.connected && !this.ended;
      clear(this.status).append(
        h("span", null, h("span", { class: "live-dot" + (live ? "" : " off") }), " ", this.ended ? "ended" : live ? "live" : "connecting"),
        h("span", null, h("b", { id: "result-count", text: fmtInt(this.rows.length) }), this.rows.length === 1 ? " row" : " rows"),
        h("span", null, "+I ", h("b", { text: this.counts["+I"] }), " · -U ", h("b", { text: this.counts["-U"] }), " · +U ", h("b", { text: this.counts["+U"] }), " · -D ", h("b", { text: this.counts["-D"] })),
        h("span", null, "updated ", h("b", { id: "result-updated", text: this.lastUpdate ? fmtClock(this.lastUpdate) : "—" })));
    }
    render() {
      this.renderStatus();
      const cols = this.columns;
      if (!cols.length) return;
      const shown = this.rows.slice(-MAX_ROWS_SHOWN);
      const table = h("table", { class: "tbl results", id: "results-table" },
        h("thead", null, h("tr", null, cols.map((c) => h("th", { class: this.numeric(c) ? "num" : null }, c.name, c.type ? h("span", { class: "type", text: c.type }) : null)))),
        h("tbody", null, shown.map((r) => {
          const tr = h("tr", { class: r.fresh ? "flash" : null }, cols.map((c) => {
            const v = r.row[c.name];
            if (v == null) return h("td", { class: "null", text: "NULL" });
            const ts = c.type && TS_TYPE.test(c.type) ? fmtSQLTimestamp(v, c.type, c.zone) : null;
            if (ts != null) return h("td", { class: "ts", title: String(v), text: ts });
            const isNum = typeof v === "number";
            return h("td", { class: isNum ? "num" : null, text: typeof v === "object" ? JSON.stringify(v) : String(v) });
          }));
          r.fresh = false;
          return tr;
        })));
      const parts = [table];
      if (this.truncated) parts.unshift(h("div", { class: "alert", style: "margin:12px", text: "The server keeps at most 100,000 rows of a result: rows beyond them are missing from this table." }));
      if (this.missed) parts.unshift(h("div", { class: "alert", style: "margin:12px", text: fmtInt(this.missed) + " changes were dropped by the server before this page read them: the table may be incomplete." }));
      if (!this.rows.length) parts.push(h("div", { class: "empty", text: this.ended ? "The query returned no rows." : "No rows yet." }));
      if (this.rows.length > MAX_ROWS_SHOWN) parts.unshift(h("div", { class: "empty small", text: "Showing the latest " + fmtInt(MAX_ROWS_SHOWN) + " of " + fmtInt(this.rows.length) + " rows" + (this.dropped ? " (" + fmtInt(this.dropped) + " older rows dropped)" : "") + "." }));
      clear(this.body).append(...parts);
    }
  }

  // ---------------------------------------------------------------- SQL page
  const SQL_KEY = "strom.sql";
  function sqlPage(main, params) {
    document.title = "SQL editor · strom";
    let results = null;
    const editor = h("textarea", {
      class: "editor", id: "sql-editor", spellcheck: "false", autocomplete: "off", autocapitalize: "off",
      placeholder: "CREATE TABLE bids (...) WITH ('connector' = 'nexmark');\n\nSELECT auction, COUNT(*) AS bids\nFROM bids\nGROUP BY auction;",
    });
    editor.value = params.get("q") || localStorage.getItem(SQL_KEY) || "";
    const name = h("input", { type: "text", id: "sql-name", placeholder: "job name (optional)" });
    const par = h("input", { type: "number", id: "sql-parallelism", min: 1, max: 256, value: 1 });
    const run = h("button", { class: "btn primary", id: "sql-run", onclick: () => submit() }, "Run");
    const errBox = h("div", { class: "alert", id: "sql-error", hidden: true });
    const out = h("div", { id: "sql-out" });

    editor.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); submit(); }
      else if (e.key === "Tab" && !e.shiftKey) {
        e.preventDefault();
        editor.setRangeText("  ", editor.selectionStart, editor.selectionEnd, "end");
      }
    });
    editor.addEventListener("input", () => { try { localStorage.setItem(SQL_KEY, editor.value); } catch (e) { /* private mode */ } });

    main.append(
      h("div", { class: "page-head" }, h("div", { class: "title" }, h("h1", { text: "SQL editor" }),
        h("div", { class: "meta" }, "Submit a script as a job. A script ending in a SELECT is a query job: its rows appear below as they change."))),
      errBox,
      h("div", { class: "card" },
        h("div", { class: "editor-wrap" }, editor),
        h("div", { class: "toolbar" },
          h("label", { class: "field" }, "Name", name),
          h("label", { class: "field" }, "Parallelism", par),
          h("div", { class: "spacer" }),
          h("span", { class: "muted small", text: "Ctrl+Enter runs the script" }),
          run)),
      out);

    async function submit() {
      const sql = editor.value;
      if (!sql.trim()) { editor.focus(); return; }
      errBox.hidden = true;
      run.disabled = true;
      const body = { sql };
      if (name.value.trim()) body.name = name.value.trim();
      const p = parseInt(par.value, 10);
      if (p > 0) body.parallelism = p;
      try {
        const job = await api("POST", "/jobs", body);
        store.setJob(job);
        showJob(job);
      } catch (e) {
        if (e.status !== 401) showError(e, sql);
      } finally {
        run.disabled = false;
      }
    }

    function showError(e, sql) {
      const d = e.data || {};
      let line = Number(d.line) || 0, col = Number(d.column) || 0;
      let msg = e.message;
      // The position may only be in the text: "line 3, column 14: ...".
      const pm = !line && /line (\d+), column (\d+): ?/.exec(msg);
      if (pm) {
        line = Number(pm[1]); col = Number(pm[2]);
        msg = (msg.slice(0, pm.index) + msg.slice(pm.index + pm[0].length)).replace(/^[\s:]+/, "");
      }
      clear(errBox).append(h("span", { class: "where", text: line ? "line " + line + (col ? ", column " + col : "") + ": " : "Error: " }), msg);
      if (line) {
        const lines = sql.split("\n");
        const text = lines[line - 1];
        if (text != null) {
          errBox.append(h("pre", { text: String(line).padStart(4) + " | " + text + "\n" + " ".repeat(7 + Math.max(0, col - 1)) + "^" }));
          let off = 0;
          for (let i = 0; i < line - 1; i++) off += lines[i].length + 1;
          off += Math.max(0, col - 1);
          editor.focus();
          editor.setSelectionRange(off, Math.min(sql.length, off + 1));
        }
      }
      errBox.hidden = false;
    }

    function showJob(job) {
      if (results) results.stop();
      results = null;
      shownJob = job.id;
      stateBadge = badge(job.state);
      const head = h("div", { class: "card" }, h("div", { class: "card-head" },
        h("h2", null, "Job ", h("a", { href: "#/jobs/" + enc(job.id), text: job.name || job.id })), stateBadge,
        h("span", { class: "sub mono", text: job.id }),
        h("div", { class: "right" }, h("a", { href: "#/jobs/" + enc(job.id), text: "Open the job page →" }))));
      clear(out).append(head);
      if (job.query || (job.columns && job.columns.length)) {
        const card = h("div", { class: "card", id: "sql-results" });
        out.append(card);
        results = new LiveResults(card, job.id, job.columns);
        results.start();
      } else {
        head.append(h("div", { class: "card-body muted", text: "The job runs its INSERT statements; follow it on the job page." }));
      }
    }

    if (params.get("job")) {
      const j = store.jobs.get(params.get("job"));
      api("GET", "/jobs/" + enc(params.get("job"))).then(showJob, () => { if (j) showJob(j); });
    }
    setTimeout(() => editor.focus(), 0);
    // The submitted job's state, live.
    let shownJob = null, stateBadge = null;
    const unsub = subscribe((kind, jid) => {
      const j = shownJob && store.jobs.get(shownJob);
      if (!j || !stateBadge || (jid && jid !== shownJob)) return;
      const fresh = badge(j.state);
      stateBadge.replaceWith(fresh);
      stateBadge = fresh;
    });
    return () => { unsub(); if (results) results.stop(); };
  }

  // ---------------------------------------------------------------- dialogs
  function openDialog(build) {
    const dlg = $("#dialog");
    clear(dlg);
    const form = h("form", { method: "dialog" });
    build(form, () => dlg.close());
    dlg.append(form);
    if (typeof dlg.showModal === "function") dlg.showModal(); else dlg.setAttribute("open", "");
    return dlg;
  }

  function cancelDialog(job) {
    openDialog((form, close) => {
      const err = h("div", { class: "err", hidden: true });
      const go = h("button", { class: "btn danger solid", type: "button", id: "confirm-cancel" }, "Cancel job");
      go.addEventListener("click", async () => {
        go.disabled = true;
        try {
          const j = await api("POST", "/jobs/" + enc(job.id) + "/cancel");
          if (j && j.id) store.setJob(j);
          close();
          toast("Job " + (job.name || job.id) + " cancelled.");
        } catch (e) { err.textContent = e.message; err.hidden = false; go.disabled = false; }
      });
      form.append(
        h("h2", { text: "Cancel " + (job.name || job.id) + "?" }),
        h("p", { text: "The job stops now, without a savepoint. What its sinks committed stays; to resume later, take a savepoint with “stop” instead." }),
        err,
        h("div", { class: "buttons" }, h("button", { class: "btn", type: "button", onclick: close }, "Keep running"), go));
    });
  }

  function savepointDialog(job) {
    const d = new Date();
    const stamp = d.getFullYear() + pad2(d.getMonth() + 1) + pad2(d.getDate()) + "-" + pad2(d.getHours()) + pad2(d.getMinutes()) + pad2(d.getSeconds());
    const base = String(job.name || job.id).replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40) || "job";
    openDialog((form, close) => {
      const name = h("input", { type: "text", value: base + "-" + stamp, pattern: "[A-Za-z0-9._\\-]{1,64}", maxlength: 64, required: true, id: "savepoint-name" });
      const stop = h("input", { type: "checkbox", id: "savepoint-stop" });
      const err = h("div", { class: "err", hidden: true });
      const go = h("button", { class: "btn primary", type: "button", id: "confirm-savepoint" }, "Take savepoint");
      go.addEventListener("click", async () => {
        if (!/^[A-Za-z0-9._-]{1,64}$/.test(name.value)) { err.textContent = "A name is 1 to 64 of A-Z a-z 0-9 . _ -"; err.hidden = false; return; }
        go.disabled = true;
        go.textContent = "Taking savepoint…";
        try {
          const r = await api("POST", "/jobs/" + enc(job.id) + "/savepoint", { name: name.value, stop: stop.checked });
          close();
          toast("Savepoint " + ((r && r.name) || name.value) + (r && r.checkpoint_id ? " at checkpoint #" + r.checkpoint_id : "") + (r && r.bytes != null ? " (" + fmtBytes(r.bytes) + ")" : "") + (stop.checked ? "; the job is stopped." : "."));
          live.refreshJobs().catch(() => {});
        } catch (e) { err.textContent = e.message; err.hidden = false; go.disabled = false; go.textContent = "Take savepoint"; }
      });
      form.append(
        h("h2", { text: "Savepoint of " + (job.name || job.id) }),
        h("p", { text: "A savepoint is a checkpoint kept by name; a new job can start from it." }),
        h("label", { class: "row" }, "Name", name),
        h("label", { class: "row check" }, stop, "Stop the job after the savepoint"),
        err,
        h("div", { class: "buttons" }, h("button", { class: "btn", type: "button", onclick: close }, "Close"), go));
    });
  }

  // ---------------------------------------------------------------- start
  function start() {
    // The token has been exchanged for a cookie when this page was served:
    // drop it from the address bar so it is not bookmarked or shared.
    if (new URLSearchParams(location.search).has("token")) {
      history.replaceState(null, "", location.pathname + location.hash);
    }
    window.addEventListener("hashchange", route);
    route();
    live.start();
    api("GET", "/overview").then((o) => {
      // The brand already says "strom": show the version without it.
      if (o && o.version) $("#version").textContent = String(o.version).replace(/^strom\s+/, "");
    }, () => {});
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
