// SPDX-License-Identifier: MIT
//
// The labelling page: one self-contained HTML file (styles and script inline, no external
// assets), served by server.cpp.
#pragma once

#include <string_view>

namespace rcls::label {

inline constexpr std::string_view kPageHtml = R"RCLSPAGE(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>rcls label</title>
<style>
  body { margin: 0; font: 14px system-ui, sans-serif; background: #1e1f22; color: #ddd; }
  header { display: flex; gap: 16px; align-items: center; padding: 8px 14px; background: #2b2d31; }
  header h1 { font-size: 15px; margin: 0; color: #fff; }
  #status { flex: 1; font-family: ui-monospace, monospace; }
  #dirty { color: #f0b232; }
  button { background: #3a3d44; color: #eee; border: 1px solid #555; border-radius: 4px;
           padding: 5px 12px; cursor: pointer; }
  button.primary { background: #2f7d43; border-color: #3c9; }
  main { display: flex; gap: 14px; padding: 12px 14px; }
  #view { flex: 1; min-width: 0; }
  #frame { display: block; width: 100%; max-height: 62vh; object-fit: contain; background: #000; }
  #scrubber { display: block; width: 100%; height: 46px; margin-top: 8px; cursor: pointer; }
  #probability { display: block; width: 100%; height: 60px; margin-top: 2px; }
  #thumbs { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 8px; }
  #thumbs figure { margin: 0; position: relative; cursor: pointer; border: 2px solid transparent; }
  #thumbs figure.success { border-color: #3c9; }
  #thumbs figure.current { border-color: #fff; }
  #thumbs img { display: block; width: 96px; }
  #thumbs figcaption { position: absolute; left: 0; top: 0; background: #000a; padding: 0 3px;
                       font-size: 11px; }
  aside { width: 250px; font-family: ui-monospace, monospace; font-size: 12px; }
  aside li { cursor: pointer; list-style: none; padding: 1px 4px; }
  aside li.current { background: #3a3d44; }
  aside ul { padding: 0; margin: 0; max-height: 55vh; overflow: auto; }
  #keys { color: #999; margin-top: 10px; line-height: 1.5; }
  #suggest { display: none; margin-top: 6px; }
  kbd { border: 1px solid #666; border-radius: 3px; padding: 0 3px; }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<header>
  <h1>rcls label</h1>
  <span id="status">loading...</span>
  <span id="dirty"></span>
  <button id="save" class="primary" title="Write next.reward / next.done into the dataset">Save</button>
</header>
<main>
  <div id="view">
    <img id="frame" alt="frame">
    <canvas id="scrubber" width="1000" height="46"></canvas>
    <canvas id="probability" width="1000" height="60" hidden></canvas>
    <button id="suggest"></button>
    <div id="thumbs"></div>
  </div>
  <aside>
    <ul id="episodes"></ul>
    <div id="keys">
      <kbd>&larr;</kbd>/<kbd>&rarr;</kbd> &plusmn;1 frame, with <kbd>shift</kbd> &plusmn;10<br>
      <kbd>s</kbd> success starts here<br>
      <kbd>e</kbd> success ends here<br>
      <kbd>n</kbd> never (failed episode)<br>
      <kbd>u</kbd> undo<br>
      <kbd>tab</kbd>/<kbd>shift-tab</kbd> next/previous episode
    </div>
    <pre id="saved"></pre>
  </aside>
</main>
<script>
"use strict";
const state = { episodes: [], current: 0, frame: 0, labels: {}, undo: [], dirty: false,
                probabilities: {}, every: 10, hasModel: false, fps: 10 };
// Timing of frame steps for tests and the curious: key press to image decoded.
window.rclsStats = { steps: [], lastFrameMs: null, ready: false, saves: 0 };
const $ = (id) => document.getElementById(id);

function episode() { return state.episodes[state.current]; }
function labelText(l) {
  if (!l) return "-";
  if (l.never) return "never";
  return l.end === null || l.end === undefined ? String(l.start) : l.start + "-" + l.end;
}
function isSuccess(l, t, length) {
  if (!l || l.never) return false;
  const end = l.end === null || l.end === undefined ? length - 1 : l.end;
  return t >= l.start && t <= end;
}
function frameUrl(ep, t, width) {
  return "/api/frame?episode=" + ep + "&frame=" + t + (width ? "&width=" + width : "");
}

let pending = null;
function showFrame() {
  const ep = episode();
  const img = $("frame");
  const started = performance.now();
  pending = started;
  img.onload = () => {
    if (pending !== started) return;
    const ms = performance.now() - started;
    window.rclsStats.lastFrameMs = ms;
    window.rclsStats.steps.push(ms);
    window.rclsStats.shown = { episode: ep.index, frame: state.frame };
  };
  img.src = frameUrl(ep.index, state.frame);
  drawScrubber();
  updateStatus();
  for (const fig of document.querySelectorAll("#thumbs figure")) {
    fig.classList.toggle("current", Number(fig.dataset.frame) === state.frame);
  }
}

function drawScrubber() {
  const ep = episode();
  const c = $("scrubber");
  c.width = c.clientWidth || 1000;
  const g = c.getContext("2d");
  const w = c.width, h = c.height, n = ep.length;
  g.fillStyle = "#44474f"; g.fillRect(0, 12, w, h - 24);
  const l = state.labels[ep.index];
  if (l && !l.never) {
    const end = l.end === null || l.end === undefined ? n - 1 : l.end;
    g.fillStyle = "#2fbf5a";
    g.fillRect((l.start / n) * w, 12, ((end - l.start + 1) / n) * w, h - 24);
  } else if (l && l.never) {
    g.fillStyle = "#8c3b3b"; g.fillRect(0, 12, w, h - 24);
  }
  g.fillStyle = "#fff";
  g.fillRect(((state.frame + 0.5) / n) * w - 1, 0, 3, h);
  const p = state.probabilities[ep.index];
  const pc = $("probability");
  if (p) {
    pc.hidden = false;
    pc.width = pc.clientWidth || 1000;
    const q = pc.getContext("2d");
    q.fillStyle = "#26282c"; q.fillRect(0, 0, pc.width, pc.height);
    q.strokeStyle = "#666"; q.beginPath();
    q.moveTo(0, pc.height * (1 - p.threshold)); q.lineTo(pc.width, pc.height * (1 - p.threshold));
    q.stroke();
    q.strokeStyle = "#5ab0ff"; q.beginPath();
    p.probabilities.forEach((v, t) => {
      const x = ((t + 0.5) / n) * pc.width, y = pc.height * (1 - v);
      if (t === 0) q.moveTo(x, y); else q.lineTo(x, y);
    });
    q.stroke();
    q.fillStyle = "#fff"; q.fillRect(((state.frame + 0.5) / n) * pc.width - 1, 0, 2, pc.height);
  } else {
    pc.hidden = true;
  }
}

function updateStatus() {
  const ep = episode();
  const l = state.labels[ep.index];
  $("status").textContent = "episode " + ep.index + " (" + (state.current + 1) + "/" +
      state.episodes.length + ")  frame " + state.frame + "/" + (ep.length - 1) +
      "  label " + labelText(l) + (isSuccess(l, state.frame, ep.length) ? "  [success]" : "");
  $("dirty").textContent = state.dirty ? "unsaved changes" : "";
  const items = $("episodes").children;
  state.episodes.forEach((e, i) => {
    items[i].textContent = String(e.index).padStart(2, "0") + ": " + labelText(state.labels[e.index]) +
        "  (" + e.length + " frames)";
    items[i].classList.toggle("current", i === state.current);
  });
  for (const fig of document.querySelectorAll("#thumbs figure")) {
    fig.classList.toggle("success", isSuccess(l, Number(fig.dataset.frame), ep.length));
  }
  const p = state.probabilities[ep.index];
  const s = $("suggest");
  if (p && p.onset !== null) {
    s.style.display = "inline-block";
    s.textContent = "Suggestion: success from frame " + p.onset + " (classifier) - click to use";
  } else {
    s.style.display = "none";
  }
}

function buildThumbs() {
  const ep = episode();
  const box = $("thumbs");
  box.textContent = "";
  const frames = [];
  for (let t = 0; t < ep.length; t += state.every) frames.push(t);
  if (frames[frames.length - 1] !== ep.length - 1) frames.push(ep.length - 1);
  for (const t of frames) {
    const fig = document.createElement("figure");
    fig.dataset.frame = t;
    const img = document.createElement("img");
    img.loading = "lazy";
    img.src = frameUrl(ep.index, t, 96);
    const cap = document.createElement("figcaption");
    cap.textContent = t;
    fig.append(img, cap);
    fig.onclick = () => { state.frame = t; showFrame(); };
    box.append(fig);
  }
}

async function loadProbabilities() {
  const ep = episode();
  if (!state.hasModel || state.probabilities[ep.index]) return;
  const r = await fetch("/api/probabilities?episode=" + ep.index);
  if (r.ok) { state.probabilities[ep.index] = await r.json(); drawScrubber(); updateStatus(); }
}

function selectEpisode(i) {
  state.current = (i + state.episodes.length) % state.episodes.length;
  state.frame = 0;
  buildThumbs();
  showFrame();
  loadProbabilities();
}

function edit(change) {
  const ep = episode();
  const before = state.labels[ep.index] ? { ...state.labels[ep.index] } : null;
  const after = change(before);
  if (after === undefined) return;
  state.undo.push({ index: ep.index, label: before });
  state.labels[ep.index] = after;
  state.dirty = true;
  drawScrubber();
  updateStatus();
}

function step(delta) {
  const ep = episode();
  state.frame = Math.max(0, Math.min(ep.length - 1, state.frame + delta));
  showFrame();
}

document.addEventListener("keydown", (ev) => {
  if (!state.episodes.length || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const key = ev.key;
  if (key === "ArrowRight") step(ev.shiftKey ? 10 : 1);
  else if (key === "ArrowLeft") step(ev.shiftKey ? -10 : -1);
  else if (key === "Tab") selectEpisode(state.current + (ev.shiftKey ? -1 : 1));
  else if (key === "s" || key === "S") {
    edit((l) => {
      const end = l && !l.never && l.end !== null && l.end !== undefined && l.end >= state.frame
          ? l.end : null;
      return { never: false, start: state.frame, end: end };
    });
  } else if (key === "e" || key === "E") {
    edit((l) => {
      const start = l && !l.never && l.start <= state.frame ? l.start : 0;
      const last = episode().length - 1;
      return { never: false, start: start, end: state.frame === last ? null : state.frame };
    });
  } else if (key === "n" || key === "N") {
    edit(() => ({ never: true, start: null, end: null }));
  } else if (key === "u" || key === "U") {
    const last = state.undo.pop();
    if (!last) return;
    state.labels[last.index] = last.label;
    const i = state.episodes.findIndex((e) => e.index === last.index);
    if (i !== state.current) selectEpisode(i); else { drawScrubber(); updateStatus(); }
    state.dirty = true;
    updateStatus();
  } else return;
  ev.preventDefault();
});

$("scrubber").addEventListener("click", (ev) => {
  const c = $("scrubber");
  const n = episode().length;
  state.frame = Math.max(0, Math.min(n - 1, Math.floor((ev.offsetX / c.clientWidth) * n)));
  showFrame();
});

$("suggest").addEventListener("click", () => {
  const p = state.probabilities[episode().index];
  if (p && p.onset !== null) edit(() => ({ never: false, start: p.onset, end: null }));
});

async function save() {
  const episodes = {};
  for (const e of state.episodes) {
    const l = state.labels[e.index];
    if (!l) continue;
    episodes[String(e.index)] = l.never ? "never"
        : (l.end === null || l.end === undefined ? l.start : l.start + "-" + l.end);
  }
  $("save").disabled = true;
  try {
    const r = await fetch("/api/save", { method: "POST", headers: { "Content-Type": "application/json" },
                                         body: JSON.stringify({ episodes }) });
    const body = await r.json();
    if (!r.ok) throw new Error(body.error || r.statusText);
    state.dirty = false;
    state.undo = [];
    $("saved").textContent = "saved to " + body.root + "\n" + body.table;
    window.rclsStats.saves += 1;
    window.rclsStats.lastSave = body;
  } catch (err) {
    $("saved").textContent = "save failed: " + err.message;
    window.rclsStats.lastError = err.message;
  } finally {
    $("save").disabled = false;
    updateStatus();
  }
}
$("save").addEventListener("click", save);
window.addEventListener("beforeunload", (ev) => { if (state.dirty) ev.preventDefault(); });

async function init() {
  const r = await fetch("/api/episodes");
  const doc = await r.json();
  state.episodes = doc.episodes;
  state.every = doc.every;
  state.hasModel = doc.has_model;
  state.fps = doc.fps;
  for (const e of doc.episodes) {
    if (e.label) state.labels[e.index] = e.label;
  }
  const list = $("episodes");
  doc.episodes.forEach((e, i) => {
    const li = document.createElement("li");
    li.onclick = () => selectEpisode(i);
    list.append(li);
  });
  document.title = "rcls label: " + doc.root;
  selectEpisode(0);
  window.rclsStats.ready = true;
}
init();
</script>
</body>
</html>
)RCLSPAGE";

}  // namespace rcls::label
