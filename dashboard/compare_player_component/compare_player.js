// Compare's synced player (see dashboard/compare_player.py). Clip A's preview is the clock;
// each frame of A shows the frame of B the server mapped onto it (args.map / overlay.map),
// B's video seeked there (side by side) or B's skeleton drawn over A as a ghost (overlay).
// Speaks Streamlit's component protocol directly (postMessage): no build step.
"use strict";

const $ = (id) => document.getElementById(id);
const player = $("player"), videoA = $("videoA"), videoB = $("videoB");
const canvasA = $("canvasA"), canvasB = $("canvasB"), stageA = $("stageA"), stageB = $("stageB");
const playBtn = $("play"), seek = $("seek"), caption = $("caption"), speedSel = $("speed");

let args = null, data = null, dataUrl = null, urlA = null, urlB = null, lastJump = null;
let timesA = [0], timesB = [0], last = 0, frame = 0, playing = false, seq = 0, presented = 0;
let shownB = -1;  // the frame of B its video shows (after its last seek)

function send(type, extra) {
  window.parent.postMessage(Object.assign({ isStreamlitMessage: true, type }, extra), "*");
}
function report() {
  seq += 1;
  send("streamlit:setComponentValue", { value: { frame, ghost: ghostFrame(), seq }, dataType: "json" });
}
function setHeight() {
  send("streamlit:setFrameHeight", { height: Math.ceil(document.body.scrollHeight) + 2 });
}
function fullUrl(url) {
  if (/^(https?:|data:|blob:)/.test(url)) return url;
  return location.pathname.split("/component/")[0] + url;
}
function frameAt(times, t) {
  let lo = 0, hi = times.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (times[mid] <= t + 0.002) lo = mid; else hi = mid - 1;
  }
  return lo;
}
function clamp(i) { return Math.min(Math.max(i, 0), last); }
function ghostFrame() {
  const map = data ? data.map : null;
  return map && map.length ? map[Math.min(frame, map.length - 1)] : 0;
}
function overlayMode() { return args && args.mode === "overlay"; }

function showA(i) { if (videoA.readyState >= 1) videoA.currentTime = timesA[i] + 0.001; }
function followB() {
  // B is not played: it is seeked to A's phase, one seek at a time (a slow seek skips
  // frames of B rather than letting it drift from A).
  if (overlayMode() || videoB.readyState < 1 || videoB.seeking) return;
  const want = ghostFrame();
  if (want !== shownB) videoB.currentTime = timesB[Math.min(want, timesB.length - 1)] + 0.001;
}

function layout() {
  if (!args) return;
  let viewport = 900;
  try { viewport = window.parent.innerHeight; } catch (e) { viewport = screen.availHeight; }
  const maxHeight = Math.max(200, viewport * (args.max_height_share || 0.6));
  const full = document.body.clientWidth;
  const narrow = window.matchMedia("(max-width: 480px)").matches;
  const each = overlayMode() || narrow ? full : (full - 12) / 2;
  for (const [stage, canvas, w, h] of [[stageA, canvasA, args.a.width, args.a.height],
                                       [stageB, canvasB, args.b.width, args.b.height]]) {
    const width = Math.min(each, maxHeight * w / h);
    stage.style.width = `${Math.floor(width)}px`;
    stage.style.height = `${Math.floor(width * h / w)}px`;
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(width * h / w * dpr);
  }
  player.classList.toggle("overlay", overlayMode());
  draw();
  setHeight();
}

function bonesOf(ctx, pts, bones, outline, width, s, colour) {
  ctx.lineCap = "round";
  for (const pass of outline ? [0, 1] : [1]) {
    for (const [a, b, c] of bones) {
      if (!pts[a] || !pts[b]) continue;
      ctx.strokeStyle = pass ? (colour || c) : outline;
      ctx.lineWidth = pass ? width : width + 2 / s;
      ctx.beginPath(); ctx.moveTo(pts[a][0], pts[a][1]); ctx.lineTo(pts[b][0], pts[b][1]);
      ctx.stroke();
    }
  }
}

function tag(ctx, text, x, y, colour, size) {
  const w = ctx.measureText(text).width + size * 0.6, h = size * 1.35;
  ctx.fillStyle = colour; ctx.fillRect(x, y - h / 2, w, h);
  ctx.fillStyle = "#ffffff"; ctx.textAlign = "left"; ctx.fillText(text, x + size * 0.3, y);
}

// One athlete's skeleton and angle values at clip frame `f` of that clip's overlay.
function drawPerson(ctx, clip, f, s, size) {
  const person = clip.people[0];
  if (!person) return;
  const pos = f - person.first;
  const pts = pos >= 0 && pos < person.xy.length ? person.xy[pos] : null;
  if (!pts || pts.filter(Boolean).length < 2) return;
  bonesOf(ctx, pts, data.bones, data.outline, size / 6, s, null);
  if (!person.angles) return;
  ctx.font = `600 ${size}px sans-serif`; ctx.textBaseline = "middle";
  const values = person.angles.values[pos] || [], sides = (person.angles.sides || [])[pos] || [];
  person.angles.labels.forEach((name, k) => {
    const v = values[k], side = sides[k];
    const anchors = person.angles.anchors[k].map((i) => pts[i]);
    if (v === null || v === undefined || !side || anchors.some((p) => !p)) return;
    const jx = anchors.reduce((t, p) => t + p[0], 0) / anchors.length;
    const jy = anchors.reduce((t, p) => t + p[1], 0) / anchors.length;
    const text = `${name} ${v}°`;
    const w = ctx.measureText(text).width + size * 0.6;
    tag(ctx, text, side > 0 ? jx + size : jx - size - w, jy, person.angles.colours[k], size);
  });
}

function draw() {
  if (!args) return;
  for (const [canvas, clip, f, w] of [[canvasA, "a", frame, args.a.width],
                                      [canvasB, "b", ghostFrame(), args.b.width]]) {
    const ctx = canvas.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (!data || (clip === "b" && overlayMode())) continue;
    const s = canvas.width / w;
    ctx.scale(s, s);
    const size = Math.max(10 / s, 16 * Math.min(args[clip].width, args[clip].height) / 540);
    drawPerson(ctx, data[clip], f, s, size);
    if (clip === "a" && overlayMode()) drawGhost(ctx, s, size);  // over A, A seen through
  }
}

// B's skeleton over A: the server placed it on A's hips at A's size (analysis/phase_sync).
function drawGhost(ctx, s, size) {
  const pts = data.ghost ? data.ghost[Math.min(frame, data.ghost.length - 1)] : null;
  if (!pts) return;
  ctx.save();
  ctx.globalAlpha = 0.55;
  bonesOf(ctx, pts, data.bones, null, size / 2.5, s, data.ghostColour);
  ctx.restore();
}

function updateUi() {
  seek.value = String(frame);
  const pct = data && data.phase ? data.phase[Math.min(frame, data.phase.length - 1)] : null;
  caption.textContent = `A frame ${frame} · B frame ${ghostFrame()}` +
    (pct === null || pct === undefined ? "" : ` · phase ${Math.round(pct)} %`);
  playBtn.innerHTML = playing ? "&#10074;&#10074; Pause" : "&#9654; Play";
  playBtn.setAttribute("aria-label", playing ? "Pause" : "Play");
}

function tick(now, meta) {
  presented += 1;
  frame = frameAt(timesA, meta ? meta.mediaTime : videoA.currentTime);
  followB();
  draw(); updateUi();
  if (playing) schedule();
}
function schedule() {
  if (videoA.requestVideoFrameCallback) videoA.requestVideoFrameCallback(tick);
  else requestAnimationFrame(() => tick(0, null));
}
function play() {
  if (playing || !args) return;
  if (frame >= last) { frame = 0; showA(0); }
  playing = true;
  videoA.playbackRate = Number(speedSel.value);
  updateUi();
  videoA.play().then(schedule).catch(() => { playing = false; updateUi(); });
}
function settle() { showA(frame); followB(); updateUi(); draw(); }
function pause(sendIt = true) {
  if (!playing) return;
  playing = false;
  videoA.pause();
  frame = frameAt(timesA, videoA.currentTime);
  settle();
  if (sendIt) report();
}
function step(delta) {
  pause(false);
  frame = clamp(frame + delta);
  settle(); report();
}

playBtn.addEventListener("click", () => (playing ? pause() : play()));
$("prev").addEventListener("click", () => step(-1));
$("next").addEventListener("click", () => step(1));
speedSel.addEventListener("change", () => { videoA.playbackRate = Number(speedSel.value); });
seek.addEventListener("input", () => { pause(false); frame = clamp(Number(seek.value)); settle(); });
seek.addEventListener("change", report);
player.addEventListener("keydown", (e) => {
  if (e.target === speedSel) return;
  if (e.key === " ") { e.preventDefault(); playing ? pause() : play(); }
  else if (e.key === "ArrowLeft") { e.preventDefault(); step(-1); }
  else if (e.key === "ArrowRight") { e.preventDefault(); step(1); }
});
for (const stage of [stageA, stageB]) stage.addEventListener("click", () => player.focus());
videoA.addEventListener("ended", () => {
  playing = false; frame = last; settle(); report();
});
videoA.addEventListener("loadedmetadata", () => showA(frame));
videoB.addEventListener("loadedmetadata", followB);
videoB.addEventListener("seeked", () => {
  shownB = frameAt(timesB, videoB.currentTime);
  followB();  // A moved on while B was seeking: catch up
});
window.addEventListener("resize", layout);

function render(a) {
  const first = args === null;
  args = a;
  timesA = a.a.times.length ? a.a.times : [0];
  timesB = a.b.times.length ? a.b.times : [0];
  last = timesA.length - 1;
  seek.max = String(last);
  $("tagA").textContent = a.a.label; $("tagB").textContent = a.b.label;
  if (first) {
    for (const s of a.speeds) {
      const o = document.createElement("option");
      o.value = String(s); o.textContent = `${s}×`; o.selected = s === 1;
      speedSel.appendChild(o);
    }
  }
  if (a.a.video_url !== urlA) { urlA = a.a.video_url; videoA.src = fullUrl(urlA); }
  if (a.b.video_url !== urlB) { urlB = a.b.video_url; shownB = -1; videoB.src = fullUrl(urlB); }
  if (a.data_url !== dataUrl) {
    dataUrl = a.data_url;
    fetch(fullUrl(dataUrl)).then((r) => r.json()).then((d) => {
      data = d; followB(); updateUi(); draw();
    });
  }
  if (a.jump !== lastJump) {  // the page moves the frame only on purpose
    lastJump = a.jump;
    if (playing) pause(false);
    frame = clamp(a.frame);
    settle();
  }
  updateUi();
  layout();
  followB();
}

window.addEventListener("message", (event) => {
  if (event.data && event.data.type === "streamlit:render") render(event.data.args);
});
// Read by the browser tests.
window.comparePlayer = {
  get frame() { return frame; }, get ghostFrame() { return ghostFrame(); },
  get shownB() { return shownB; }, get playing() { return playing; },
  get presented() { return presented; }, get ready() { return data !== null; },
  get mode() { return args ? args.mode : null; }, play, pause, step,
};
send("streamlit:componentReady", { apiVersion: 1 });
