// The Clip view's player (see dashboard/player.py). Speaks Streamlit's component
// protocol directly (postMessage), so it needs no build step.
"use strict";

const $ = (id) => document.getElementById(id);
const player = $("player"), stage = $("stage"), video = $("video"), canvas = $("overlay");
const still = $("still"), playBtn = $("play"), seek = $("seek"), caption = $("caption");
const speedSel = $("speed"), loopBtn = $("loop"), inBtn = $("in"), outBtn = $("out");
const clearBtn = $("clear"), loopCaption = $("loopcap");

let args = null, times = [0], last = 0, frame = 0, playing = false, seq = 0;
let videoUrl = null, overlayUrl = null, overlay = null, stillFrame = -1, lastJump = null;
let presented = 0, stillSrc = null;
// lo..hi: the frames the player shows (the coach's trim, else the whole clip).
// loopIn..loopOut: the range played over and over while `looping` (null: not set).
let lo = 0, hi = 0, loopIn = null, loopOut = null, looping = false, loops = 0;

function send(type, data) {
  window.parent.postMessage(Object.assign({ isStreamlitMessage: true, type }, data), "*");
}
function report() {
  seq += 1;
  const loop = loopIn !== null && loopOut !== null ? [loopIn, loopOut] : null;
  send("streamlit:setComponentValue", { value: { frame, seq, loop }, dataType: "json" });
}
function setHeight() {
  send("streamlit:setFrameHeight", { height: Math.ceil(document.body.scrollHeight) + 2 });
}
// Media URLs are server paths ("/media/..."): keep any prefix a reverse proxy adds.
function fullUrl(url) {
  if (/^(https?:|data:|blob:)/.test(url)) return url;
  return location.pathname.split("/component/")[0] + url;
}

function frameAt(t) {
  let lo = 0, hi = last;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (times[mid] <= t + 0.002) lo = mid; else hi = mid - 1;
  }
  return lo;
}
function showVideoAt(i) {
  if (video.readyState >= 1) video.currentTime = times[i] + 0.001;
}
function clamp(i) { return Math.min(Math.max(i, lo), hi); }
// Where playing starts from and wraps to / stops at.
function startFrame() { return looping && loopIn !== null ? loopIn : lo; }
function endFrame() { return looping && loopOut !== null ? loopOut : hi; }

function updateUi() {
  seek.value = String(frame);
  caption.textContent = `Frame ${frame} of ${lo}–${hi} · ${times[frame].toFixed(2)} s`;
  const ranged = loopIn !== null || loopOut !== null;
  loopCaption.textContent = ranged ? `Loop ${loopIn ?? lo}–${loopOut ?? hi}` : "";
  loopBtn.setAttribute("aria-pressed", String(looping));
  loopBtn.classList.toggle("on", looping);
  clearBtn.disabled = !ranged && !looping;
  playBtn.innerHTML = playing ? "&#10074;&#10074; Pause" : "&#9654; Play";
  playBtn.setAttribute("aria-label", playing ? "Pause" : "Play");
  playBtn.title = playing ? "Pause (space)" : "Play (space)";
  stage.classList.toggle("still", !playing && stillFrame === frame && !!stillSrc);
}

function layout() {
  if (!args) return;
  let viewport = 900;
  try { viewport = window.parent.innerHeight; } catch (e) { viewport = screen.availHeight; }
  // The frame and its controls fit the screen together, portrait clips included.
  const maxHeight = Math.max(220, viewport * (args.max_height_share || 0.62));
  const aspect = args.height / args.width;
  const width = Math.min(document.body.clientWidth, maxHeight / aspect);
  stage.style.width = `${Math.floor(width)}px`;
  stage.style.height = `${Math.floor(width * aspect)}px`;
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(width * aspect * dpr);
  draw();
  setHeight();
}

// Canvas redraws and the time they took (ms), read by the dashboard benchmark.
let drawn = 0, drawMs = 0;
function draw() {
  const t0 = performance.now();
  drawOverlay();
  drawn += 1;
  drawMs += performance.now() - t0;
}
function drawOverlay() {
  const ctx = canvas.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!overlay || !args || (!playing && stillFrame === frame && stillSrc)) return;
  const s = canvas.width / args.width;
  ctx.scale(s, s);
  const unit = Math.min(args.width, args.height) / 720;
  const taken = [];  // boxes drawn so far: an angle label never covers another label
  for (const person of overlay.people) {
    const pos = frame - person.first;
    const pts = pos >= 0 && pos < person.xy.length ? person.xy[pos] : null;
    if (!pts) continue;
    const seen = pts.filter(Boolean);
    if (seen.length < 2) continue;
    const tall = Math.max(...seen.map((p) => p[1])) - Math.min(...seen.map((p) => p[1]));
    const width = Math.max(1, Math.min(3.5 * unit, tall / 50));
    ctx.lineCap = "round";
    for (const pass of [0, 1]) {
      for (const [a, b, colour] of overlay.bones) {
        if (!pts[a] || !pts[b]) continue;
        ctx.strokeStyle = pass ? colour : overlay.outline;
        ctx.lineWidth = pass ? width : width + 2 / s;
        ctx.beginPath(); ctx.moveTo(pts[a][0], pts[a][1]); ctx.lineTo(pts[b][0], pts[b][1]);
        ctx.stroke();
      }
    }
    const size = Math.max(10 / s, Math.min(21 * unit, tall / 9));
    ctx.font = `600 ${size}px sans-serif`;
    ctx.textBaseline = "middle";
    const top = Math.min(...seen.map((p) => p[1]));
    const cx = seen.reduce((t, p) => t + p[0], 0) / seen.length;
    taken.push(label(ctx, person.label, cx, top - size, person.colour, "center", size));
    // A person too small for legible labels gets none (as on the server, annotate.py).
    if (!person.angles || tall < (overlay.minTall || 0)) continue;
    const values = person.angles.values[pos] || [];
    const sides = (person.angles.sides && person.angles.sides[pos]) || [];
    person.angles.labels.forEach((name, k) => {
      const v = values[k];
      const side = sides[k];
      const anchors = person.angles.anchors[k].map((i) => pts[i]);
      if (v === null || v === undefined || !side || anchors.some((p) => !p)) return;
      const jx = anchors.reduce((t, p) => t + p[0], 0) / anchors.length;
      const jy = anchors.reduce((t, p) => t + p[1], 0) / anchors.length;
      // Outside its own joint (side from the server, away from the partner joint), moved
      // up or down to a free spot near the joint, or left out.
      const text = `${name} ${v}°`;
      const w = ctx.measureText(text).width + size * 0.6, h = size * 1.35;
      const x0 = side > 0 ? jx + size : jx - size - w;
      const reach = Math.min(3 * h, Math.max(0.5 * h, tall / 4));
      const box = freeSpot(x0, jy - h / 2, w, h, taken, reach);
      if (!box) return;
      taken.push(box);
      const colour = person.angles.colours[k];
      if (Math.abs(box[1] - (jy - h / 2)) > h / 2) {
        ctx.strokeStyle = colour; ctx.lineWidth = Math.max(1, unit);
        ctx.beginPath(); ctx.moveTo(jx, jy);
        ctx.lineTo(side > 0 ? box[0] : box[2], (box[1] + box[3]) / 2); ctx.stroke();
      }
      label(ctx, text, box[0], (box[1] + box[3]) / 2, colour, "left", size);
    });
  }
}

function overlaps(a, b) {
  return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

// The free w x h box nearest (x, y), moved up or down by at most `reach`; null if none.
function freeSpot(x, y, w, h, taken, reach) {
  for (let k = 0; k * h / 2 <= reach; k++) {
    for (const dy of k ? [-k * h / 2, k * h / 2] : [0]) {
      const box = [x, y + dy, x + w, y + dy + h];
      if (!taken.some((t) => overlaps(box, t))) return box;
    }
  }
  return null;
}

// Draws a label box; returns its [x0, y0, x1, y1].
function label(ctx, text, x, y, colour, align, size) {
  const w = ctx.measureText(text).width + size * 0.6, h = size * 1.35;
  const x0 = align === "center" ? x - w / 2 : align === "left" ? x : x - w;
  ctx.fillStyle = colour;
  ctx.fillRect(x0, y - h / 2, w, h);
  ctx.fillStyle = "#ffffff";
  ctx.textAlign = "left";
  ctx.fillText(text, x0 + size * 0.3, y);
  return [x0, y - h / 2, x0 + w, y + h / 2];
}

function tick(now, meta) {
  presented += 1;
  if (!playing) return;
  frame = frameAt(meta ? meta.mediaTime : video.currentTime);
  const end = endFrame();
  if (frame >= end) {
    if (looping) {  // back to the in point, still playing
      loops += 1;
      frame = startFrame();
      video.currentTime = times[frame] + 0.001;
    } else {  // the end of the trim: stop there, as at the clip's end
      playing = false;
      video.pause();
      frame = end;  // not where the video's clock stopped (a hair before it)
      showVideoAt(frame);
      updateUi(); draw(); report();
      return;
    }
  }
  draw();
  updateUi();
  schedule();
}
function schedule() {
  if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(tick);
  else requestAnimationFrame(() => tick(0, null));
}

function play() {
  if (playing || !args) return;
  // Play at the end (of the trim, of the loop) starts again; outside the loop, at its in.
  if (frame >= endFrame() || frame < startFrame()) { frame = startFrame(); showVideoAt(frame); }
  playing = true;
  video.playbackRate = Number(speedSel.value);
  updateUi(); draw();
  video.play().then(schedule).catch(() => { playing = false; updateUi(); });
}
function pause(send_it = true) {
  if (!playing) return;
  playing = false;
  video.pause();
  frame = clamp(frameAt(video.currentTime));
  showVideoAt(frame);
  updateUi(); draw();
  if (send_it) report();
}
function step(delta) {
  pause(false);
  frame = clamp(frame + delta);
  showVideoAt(frame);
  updateUi(); draw();
  report();
}

playBtn.addEventListener("click", () => (playing ? pause() : play()));
$("prev").addEventListener("click", () => step(-1));
$("next").addEventListener("click", () => step(1));
speedSel.addEventListener("change", () => { video.playbackRate = Number(speedSel.value); });

// Loop a range: in and out points at the current frame, play loops between them.
function setIn() {
  loopIn = frame;
  if (loopOut !== null && loopOut <= loopIn) loopOut = null;
  looping = looping || loopOut !== null;
  updateUi(); report();
}
function setOut() {
  loopOut = frame;
  if (loopIn !== null && loopIn >= loopOut) loopIn = null;
  looping = true;
  updateUi(); report();
}
function toggleLoop() { looping = !looping; updateUi(); }
function clearLoop() { loopIn = null; loopOut = null; looping = false; updateUi(); report(); }
inBtn.addEventListener("click", setIn);
outBtn.addEventListener("click", setOut);
loopBtn.addEventListener("click", toggleLoop);
clearBtn.addEventListener("click", clearLoop);
seek.addEventListener("input", () => {
  pause(false);
  frame = clamp(Number(seek.value));
  showVideoAt(frame);
  updateUi(); draw();
});
seek.addEventListener("change", report);
player.addEventListener("keydown", (e) => {
  if (e.target === speedSel) return;
  if (e.key === " ") { e.preventDefault(); playing ? pause() : play(); }
  else if (e.key === "ArrowLeft") { e.preventDefault(); step(-1); }
  else if (e.key === "ArrowRight") { e.preventDefault(); step(1); }
  else if (e.key === "i" || e.key === "I") { e.preventDefault(); setIn(); }
  else if (e.key === "o" || e.key === "O") { e.preventDefault(); setOut(); }
  else if (e.key === "l" || e.key === "L") { e.preventDefault(); toggleLoop(); }
  else if (e.key === "Escape") { clearLoop(); }
});
stage.addEventListener("click", () => player.focus());
video.addEventListener("ended", () => {
  if (looping && playing) { frame = startFrame(); showVideoAt(frame); video.play(); return; }
  playing = false; frame = hi; updateUi(); draw(); report();
});
video.addEventListener("loadedmetadata", () => showVideoAt(frame));
still.addEventListener("load", updateUi);
window.addEventListener("resize", layout);

function render(a) {
  const first = args === null;
  args = a;
  times = a.times.length ? a.times : [0];
  last = times.length - 1;
  const trim = a.trim && a.trim.length === 2 ? a.trim : [0, last];
  if (trim[0] !== lo || Math.min(trim[1], last) !== hi) {
    lo = Math.max(0, trim[0]); hi = Math.min(trim[1], last);
    // A loop outside a new trim goes; one within it stays.
    if ((loopIn !== null && (loopIn < lo || loopIn > hi)) ||
        (loopOut !== null && (loopOut < lo || loopOut > hi))) {
      loopIn = null; loopOut = null; looping = false;
    }
  }
  seek.min = String(lo);
  seek.max = String(hi);
  if (first) {
    for (const s of a.speeds) {
      const o = document.createElement("option");
      o.value = String(s); o.textContent = `${s}×`; o.selected = s === 1;
      speedSel.appendChild(o);
    }
  }
  if (a.video_url !== videoUrl) { videoUrl = a.video_url; video.src = fullUrl(videoUrl); }
  if (a.overlay_url !== overlayUrl) {
    overlayUrl = a.overlay_url;
    fetch(fullUrl(overlayUrl)).then((r) => r.json()).then((o) => { overlay = o; draw(); });
  }
  // The server moves the frame only when it means to (another clip, a jump): a report
  // of ours coming back never pulls the player back while the user steps on.
  if (a.jump !== lastJump) {
    lastJump = a.jump;
    if (playing) pause(false);
    frame = clamp(a.frame);
    showVideoAt(frame);
  }
  if (a.still !== stillSrc) { stillSrc = a.still; still.src = a.still; }
  stillFrame = a.frame;
  updateUi();
  layout();
}

window.addEventListener("message", (event) => {
  if (event.data && event.data.type === "streamlit:render") render(event.data.args);
});
// Read by the browser tests and the dashboard benchmark.
window.clipPlayer = {
  get frame() { return frame; }, get playing() { return playing; },
  get presented() { return presented; }, get loops() { return loops; },
  get drawn() { return drawn; }, get drawMs() { return drawMs; },
  get loop() { return [loopIn, loopOut, looping]; }, get range() { return [lo, hi]; },
  play, pause, step, setIn, setOut, clearLoop,
};
send("streamlit:componentReady", { apiVersion: 1 });
