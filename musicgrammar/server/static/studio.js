// The studio page: compose through the HTTP API, follow the agents over SSE, listen and download,
// edit a piece in a chat thread and ask questions about a run or a recording.
// Every API call carries the bearer token when one is set, so audio and pictures are fetched as
// blobs (an <audio src> cannot send a header).
"use strict";

const $ = (id) => document.getElementById(id);
// graph node -> who does the work, in the order a pass runs
const AGENTS = [
  ["retrieve", "Librarian"], ["weave", "Theme Weaver"], ["compose", "Composer"], ["realize", "realize (tools)"],
  ["validate", "validators"], ["critique", "Harmony Critic"], ["render", "render"], ["judge", "Aesthetics Judge"],
  ["finish", "finish"],
];
const blobUrls = [];

function token() { return sessionStorage.getItem("musicgrammar-token") || ""; }

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (token()) headers["Authorization"] = "Bearer " + token();
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (response.status === 401) {
    $("token-box").hidden = false;
    throw new Error("the server needs a token: enter it above");
  }
  if (!response.ok) {
    let detail = response.statusText;
    try { const body = await response.json(); detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail); } catch (e) { /* not JSON */ }
    throw new Error(`${response.status}: ${detail}`);
  }
  return response;
}

const encodeName = (name) => name.split("/").map(encodeURIComponent).join("/");

async function blobUrl(path) {
  const url = URL.createObjectURL(await (await api(path)).blob());
  blobUrls.push(url);
  return url;
}

const fileUrl = (runId, name) => blobUrl(`/api/runs/${encodeURIComponent(runId)}/files/${encodeName(name)}`);

function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

function showProgress(events) {
  const list = $("progress");
  list.replaceChildren();
  const seen = new Map();
  let current = null, failed = false;
  for (const e of events) {
    if (e.event === "node") { seen.set(e.node, e.pass); current = e.node; }
    if (e.event === "failed") failed = true;
  }
  const finished = events.some((e) => e.event === "done");
  for (const [node, name] of AGENTS) {
    const item = el("li", { "data-node": node }, name + (seen.get(node) ? ` · pass ${seen.get(node)}` : ""));
    if (node === current && !finished) item.className = failed ? "failed" : "active";
    else if (seen.has(node)) item.className = "done";
    list.append(item);
  }
}

// Server-sent events read through fetch, so that the Authorization header goes along.
async function follow(jobId, onEvent) {
  const response = await api(`/api/jobs/${jobId}/events`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const data = block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
      if (data) onEvent(JSON.parse(data));
    }
  }
}

async function compose(event) {
  event.preventDefault();
  const button = $("compose-button");
  button.disabled = true;
  const body = { prompt: $("prompt").value, seed: Number($("seed").value || 0), max_iters: Number($("max-iters").value || 2), lm: $("lm").value || "local" };
  if ($("duration").value) body.constraints = { duration_s: Number($("duration").value) };
  const events = [];
  try {
    const accepted = await (await api("/api/compose", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })).json();
    $("job-status").textContent = `job ${accepted.job}: queued (run ${accepted.run_id})`;
    await follow(accepted.job, (e) => {
      events.push(e);
      showProgress(events);
      const what = e.event === "node" ? `${e.node}${e.pass ? " (pass " + e.pass + ")" : ""}` : e.event;
      $("job-status").textContent = `job ${accepted.job}: ${what}` + (e.error ? ` — ${e.error}` : "");
    });
    const job = await (await api(`/api/jobs/${accepted.job}`)).json();
    if (job.status === "done") await openRun(job.run_id);
    else $("job-status").textContent = `job ${accepted.job} ${job.status}: ${job.error || ""}`;
  } catch (error) {
    $("job-status").textContent = String(error.message || error);
  } finally {
    button.disabled = false;
    loadRuns();
  }
}

async function openRun(runId) {
  const run = await (await api(`/api/runs/${encodeURIComponent(runId)}`)).json();
  blobUrls.splice(0).forEach((u) => URL.revokeObjectURL(u));
  delete document.body.dataset.openRun;
  $("result").hidden = false;
  const s = run.summary;
  $("title").textContent = s ? s.title : run.run_id;
  const summary = $("summary");
  summary.replaceChildren();
  if (s) {
    summary.append(el("span", { class: s.valid ? "valid" : "invalid" }, s.valid ? "valid" : "INVALID"));
    summary.append(` ${s.key}, ${s.meter}, ${s.tempo_bpm} BPM, ${s.duration_s} s, ${s.instruments.join(", ")} · ${s.iterations} pass(es) · run ${run.run_id}`);
  } else summary.textContent = `run ${run.run_id} has not finished`;

  const files = new Set(run.files);
  const player = $("mix-player");
  player.removeAttribute("src");
  if (files.has("mix.wav")) player.src = await fileUrl(run.run_id, "mix.wav");

  const passes = $("passes");
  passes.replaceChildren();
  if (run.passes.length > 1) {
    passes.append(el("h3", {}, "Each pass"));
    for (const n of run.passes) {
      const row = el("div", { class: "player" });
      const audio = el("audio", { controls: "", preload: "none", "data-pass": String(n) });
      audio.src = await fileUrl(run.run_id, `passes/${n}/mix.wav`);
      row.append(el("span", {}, `pass ${n}`), audio);
      passes.append(row);
    }
  }
  const stems = $("stems");
  stems.replaceChildren();
  for (const name of run.files.filter((f) => f.startsWith("stems/") && f.endsWith(".wav"))) {
    const row = el("div", { class: "player" });
    const audio = el("audio", { controls: "", preload: "none" });
    audio.src = await fileUrl(run.run_id, name);
    row.append(el("span", {}, name.slice(6, -4)), audio);
    stems.append(row);
  }
  const roll = $("pianoroll");
  if (files.has("pianoroll.png")) roll.src = await fileUrl(run.run_id, "pianoroll.png"); else roll.removeAttribute("src");

  const rows = $("findings").tBodies[0];
  rows.replaceChildren();
  for (const record of run.history || []) {
    for (const f of record.findings) {
      const tr = el("tr");
      tr.append(el("td", {}, String(record.iteration)), el("td", { class: f.severity }, f.severity), el("td", {}, f.code), el("td", {}, f.path), el("td", {}, f.message));
      rows.append(tr);
    }
  }
  if (!rows.children.length) rows.append(el("tr", {}, "no findings"));

  const transcript = $("transcript");
  transcript.replaceChildren();
  for (const turn of run.trace) {
    const rest = Object.fromEntries(Object.entries(turn).filter(([k]) => !["node", "iteration", "seconds", "time"].includes(k)));
    const text = JSON.stringify(rest);
    const item = el("li");
    item.append(el("strong", {}, turn.node), ` pass ${turn.iteration}, ${turn.seconds.toFixed(2)} s `, el("code", {}, text.length > 400 ? text.slice(0, 400) + "…" : text));
    transcript.append(item);
  }

  const downloads = $("downloads");
  downloads.replaceChildren();
  for (const name of run.files.filter((f) => !f.startsWith("passes/"))) {
    const link = el("a", { href: "#", "data-name": name }, name);
    link.addEventListener("click", async (e) => {
      e.preventDefault();
      const a = el("a", { href: await fileUrl(run.run_id, name), download: `${run.run_id}-${name.replaceAll("/", "-")}` });
      a.click();
    });
    const item = el("li");
    item.append(link);
    downloads.append(item);
  }
  document.body.dataset.openRun = run.run_id;  // everything of this run is on the page now
}

async function loadRuns() {
  try {
    const runs = await (await api("/api/runs")).json();
    const list = $("runs");
    list.replaceChildren();
    for (const r of runs.slice(0, 50)) {
      const item = el("li", { "data-run": r.run_id }, r.title || r.run_id);
      if (!r.finished) item.append(el("span", { class: "muted" }, " (unfinished)"));
      item.addEventListener("click", () => openRun(r.run_id).catch((e) => { $("job-status").textContent = e.message; }));
      list.append(item);
    }
  } catch (error) { $("job-status").textContent = String(error.message || error); }
}

async function checkHealth() {
  try {
    const health = await (await api("/api/health")).json();
    $("server-status").textContent = `server ${health.version} · ${health.jobs.running} running, ${health.jobs.queued} queued`;
  } catch (error) { $("server-status").textContent = String(error.message || error); }
}

// Chat: one turn at a time on a thread; the revision's mix and piano roll replace the players above.
async function chatTurn(event) {
  event.preventDefault();
  const text = $("chat-text").value.trim();
  if (!text) return;
  const button = $("chat-button");
  button.disabled = true;
  const log = $("chat-log");
  const mine = el("li");
  mine.append(el("span", { class: "you" }, "you: "), text);
  log.append(mine);
  try {
    let thread = $("chat-thread").value.trim();
    if (!thread) {
      const created = await (await api("/api/threads", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" })).json();
      thread = created.thread;
      $("chat-thread").value = thread;
    }
    const path = `/api/threads/${encodeURIComponent(thread)}`;
    const out = await (await api(`${path}/turns`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ text }) })).json();
    const s = out.summary;
    const reply = el("li", { "data-revision": String(out.revision) });
    reply.append(`r${out.revision}: ${out.reply}`);
    if (out.changed.length) reply.append(" ", el("code", {}, "changed: " + out.changed.join(", ")));
    if (s.key) reply.append(el("div", { class: "muted" }, `${s.key}, ${s.meter}, ${s.tempo_bpm} BPM, ${s.bars} bars, ${s.duration_s} s, ${s.instruments.join(", ")}${s.valid ? "" : ", INVALID"}`));
    log.append(reply);
    $("chat-text").value = "";
    await showRevision(path, out);
  } catch (error) {
    log.append(el("li", { class: "invalid" }, String(error.message || error)));
  } finally {
    button.disabled = false;
  }
}

async function showRevision(threadPath, out) {
  if (!out.files.mix && !out.files.midi) return;
  const thread = await (await api(threadPath)).json();
  const files = new Set(thread.files);
  const folder = `r${out.revision}/`;
  $("result").hidden = false;
  $("title").textContent = `thread ${out.thread}, revision ${out.revision}`;
  if (out.files.mix) $("mix-player").src = await blobUrl(`${threadPath}/files/${encodeName(out.files.mix)}`);
  const roll = $("pianoroll");
  if (files.has(folder + "pianoroll.png")) roll.src = await blobUrl(`${threadPath}/files/${encodeName(folder + "pianoroll.png")}`);
  document.body.dataset.chatRevision = String(out.revision);
}

// Ask: an uploaded file, or else the open run.
async function askQuestion(event) {
  event.preventDefault();
  const box = $("ask-answer");
  const form = new FormData();
  form.append("question", $("ask-question").value);
  const file = $("ask-file").files[0];
  if (file) form.append("audio", file);
  else if (document.body.dataset.openRun) form.append("run_id", document.body.dataset.openRun);
  else { box.textContent = "choose an audio file or open a run first"; return; }
  $("ask-button").disabled = true;
  box.textContent = "listening…";
  try {
    const a = await (await api("/api/ask", { method: "POST", body: form })).json();
    box.replaceChildren(el("p", { "data-kind": a.kind }, `${a.answer} (${a.kind}, confidence ${a.confidence.toFixed(2)}, ${a.hops} hop(s))`));
    const sources = el("ul", { class: "sources" });
    for (const src of a.sources) sources.append(el("li", {}, `${src.id}: ${src.title}` + (src.catalogue ? ` (${src.catalogue})` : "")));
    for (const line of a.evidence) sources.append(el("li", { class: "muted" }, line));
    box.append(sources);
  } catch (error) {
    box.textContent = String(error.message || error);
  } finally {
    $("ask-button").disabled = false;
  }
}

$("token").addEventListener("change", () => { sessionStorage.setItem("musicgrammar-token", $("token").value); checkHealth(); loadRuns(); });
$("compose-form").addEventListener("submit", compose);
$("chat-form").addEventListener("submit", chatTurn);
$("ask-form").addEventListener("submit", askQuestion);
showProgress([]);
checkHealth();
loadRuns();
