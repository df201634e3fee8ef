"""Draw left/right swap events to PNG so a person can check them by eye.

One image per event: the frame before and the frame of the event side by side,
cropped around the person (same window in both), the skeleton drawn with the
person's own left in orange and right in blue (legend on the image), the
group's keypoints marked L / R. Used by ``bench/consistency.py --render``.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

LEFT = (0, 140, 255)  # BGR orange: the person's own left
RIGHT = (255, 120, 0)  # BGR blue: the person's own right
CENTRE = (220, 220, 220)
PANEL_H = 480
HEADER_H = 94
MARKED = {  # keypoints labelled L / R on the image, per event kind
    "whole_body": (11, 12, 23, 24),
    "legs": (25, 26, 27, 28),
    "arms": (13, 14, 15, 16),
}


def _bones() -> list[tuple[int, int, tuple[int, int, int]]]:
    from estimator.keypoints import KEYPOINT_INDEX, SKELETON, side_of

    out = []
    for a, b in SKELETON:
        sides = {side_of(a), side_of(b)}
        colour = LEFT if sides == {"left"} else RIGHT if sides == {"right"} else CENTRE
        out.append((KEYPOINT_INDEX[a], KEYPOINT_INDEX[b], colour))
    return out


def _window(kps: list[np.ndarray], width: int, height: int) -> tuple[int, int, int, int]:
    """Crop window (x0, y0, x1, y1) around all keypoints of both frames, 25 % margin."""
    pts = np.concatenate([k[:, :2] for k in kps])
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    m = 0.25 * max(x1 - x0, y1 - y0, 20.0)
    return (int(max(0, x0 - m)), int(max(0, y0 - m)),
            int(min(width, x1 + m)), int(min(height, y1 + m)))


def _panel(crop: np.ndarray, kp: np.ndarray, origin: tuple[int, int], marked: tuple[int, ...],
           caption: str) -> np.ndarray:
    scale = PANEL_H / max(crop.shape[0], 1)
    img = cv2.resize(crop, (max(1, round(crop.shape[1] * scale)), PANEL_H))
    pts = (kp[:, :2] - np.asarray(origin, float)) * scale
    p = [(round(float(x)), round(float(y))) for x, y in pts]
    for a, b, colour in _bones():
        cv2.line(img, p[a], p[b], colour, 3, cv2.LINE_AA)
    for k in range(11, 33):
        colour = LEFT if k % 2 == 1 else RIGHT
        cv2.circle(img, p[k], 4, colour, -1, cv2.LINE_AA)
    for k in marked:
        colour, text = (LEFT, "L") if k % 2 == 1 else (RIGHT, "R")
        at = (p[k][0] + 6, p[k][1] - 6)
        cv2.putText(img, text, at, cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 4, cv2.LINE_AA)
        cv2.putText(img, text, at, cv2.FONT_HERSHEY_SIMPLEX, 0.7, colour, 2, cv2.LINE_AA)
    cv2.putText(img, caption, (8, PANEL_H - 12), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 4,
                cv2.LINE_AA)
    cv2.putText(img, caption, (8, PANEL_H - 12), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255),
                2, cv2.LINE_AA)
    return img


def _header(width: int, lines: tuple[str, str, str]) -> np.ndarray:
    img = np.full((HEADER_H, width, 3), 30, np.uint8)
    for y, text in zip((18, 38, 58), lines, strict=True):
        cv2.putText(img, text, (8, y), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1,
                    cv2.LINE_AA)
    x = 8
    for text, colour in (("person's LEFT", LEFT), ("person's RIGHT", RIGHT)):
        cv2.line(img, (x, 80), (x + 30, 80), colour, 4)
        cv2.putText(img, text, (x + 38, 86), cv2.FONT_HERSHEY_SIMPLEX, 0.5, colour, 1,
                    cv2.LINE_AA)
        x += 200
    return img


def render_events(clip: Path, jobs: list[tuple[str, list]], outdir: Path, limit: int) -> int:
    """Write one PNG per event; ``jobs``: (side, [(track name, Track, [SwapEvent])]).

    At most ``limit`` events per side. Returns the number of images written.
    """
    from estimator.video import iter_frames, probe

    info = probe(clip)
    todo = []  # (file name, title lines, event kind, [(frame, keypoints)], window)
    for side, tracks in jobs:
        n = 0
        for name, track, events in tracks:
            rows = {int(f): r for r, f in enumerate(track.frames)}
            for e in events:
                if n >= limit or e.frame - 1 not in rows:
                    continue
                n += 1
                kps = [track.keypoints[rows[e.frame - 1]], track.keypoints[rows[e.frame]]]
                title = (f"{clip.name}  {side}  {name}",
                         f"frame {e.frame}: {e.kind} swap ({e.cue} cue)",
                         f"D_cross/D_same {e.ratio:.2f}, sides {100 * e.separation:.0f}% "
                         "of size apart")
                file = f"{clip.stem}_{side}_{name.replace(' ', '')}_f{e.frame:05d}_{e.kind}.png"
                todo.append((file, title, e.kind,
                             [(e.frame - 1, kps[0]), (e.frame, kps[1])],
                             _window(kps, info.width, info.height)))
    needed: dict[int, list[tuple[int, int]]] = {}
    for j, (_, _, _, frames, _) in enumerate(todo):
        for slot, (f, _) in enumerate(frames):
            needed.setdefault(f, []).append((j, slot))
    crops: dict[tuple[int, int], np.ndarray] = {}
    last = max(needed, default=-1)
    for frame in iter_frames(clip):
        for j, slot in needed.get(frame.index, []):
            x0, y0, x1, y1 = todo[j][4]
            crops[(j, slot)] = frame.image[y0:y1, x0:x1].copy()
        if frame.index >= last:
            break
    outdir.mkdir(parents=True, exist_ok=True)
    written = 0
    for j, (file, title, kind, frames, window) in enumerate(todo):
        if (j, 0) not in crops or (j, 1) not in crops:
            continue
        panels = [_panel(crops[(j, s)], kp, window[:2], MARKED.get(kind, ()), f"frame {f}")
                  for s, (f, kp) in enumerate(frames)]
        body = np.concatenate(panels, axis=1)
        cv2.imwrite(str(outdir / file), np.concatenate([_header(body.shape[1], title), body]))
        written += 1
    return written

