"""Compare's side by side as one MP4: clip A and, beside it, the frame of clip B at the
same phase of the movement, both drawn as the Clip view draws them.

The output follows A's frames and A's timestamps (A is the clock, as in the synced
player); each is joined with frame ``b_of_a[i]`` of B (:mod:`analysis.phase_sync`). Both
panels have the same height (the lower clip's, at most :data:`PANEL_MAX_HEIGHT`), each
its own width. Frames are streamed: A's decoder runs forward, B's too (the mapping never
goes back), so memory stays flat whatever the clips' lengths, and each frame goes
straight into :class:`dashboard.video_export.H264Writer`. The files are kept under the
exports folder, named by both clips, the mapping and the angles drawn, and reused.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np

from analysis.files import export_key
from dashboard.clipdata import ClipData, annotators, people
from dashboard.frames import fit_to
from dashboard.video_export import H264Writer, even_size
from estimator import Frame, iter_frames

PANEL_MAX_HEIGHT = 720


def side_by_side_size(a: ClipData, b: ClipData, max_height: int = PANEL_MAX_HEIGHT
                      ) -> tuple[int, int, int]:
    """(width of A's panel, width of B's panel, height) in pixels of the side by side; the
    whole (width A + width B, height) is even, as H.264's yuv420p needs."""
    height = min(max_height, a.clip.height, b.clip.height)
    height -= height % 2
    wa = max(2, round(height * a.clip.width / max(a.clip.height, 1)))
    wb = max(2, round(height * b.clip.width / max(b.clip.height, 1)))
    wb -= (wa + wb) % 2
    even_size(wa + wb, height)  # refuses a degenerate size
    return wa, wb, height


def side_by_side_name(a: ClipData, b: ClipData, athlete_tracks: tuple[int, int],
                      b_of_a: np.ndarray, names: tuple[str, ...]) -> str:
    """File name: both clips' export keys (so the file goes with either clip) and a digest
    of the mapping and the drawing."""
    key = (f"{a.clip.sha256}:{a.clip.finished_at}:{b.clip.sha256}:{b.clip.finished_at}:"
           f"{athlete_tracks}:{names}:{hashlib.sha256(b_of_a.tobytes()).hexdigest()}")
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return f"compare-{export_key(a.clip)}-{export_key(b.clip)}-{digest}.mp4"


def _panel(frame: Frame, data: ClipData, track: int, label: str, names: tuple[str, ...],
           width: int, height: int, tag: str) -> np.ndarray:
    """One frame drawn (skeleton, angles, name) at ``width`` x ``height``, tagged A or B."""
    image = np.ascontiguousarray(fit_to(frame.image, width, height))
    if image is frame.image:
        image = image.copy()
    scale = width / max(data.clip.width, 1)
    everyone = [p for p in people(data, frame.index, scale, track, names)
                if p.track_id == track]
    for annotator in annotators(track, label, names):
        annotator.annotate(image, everyone)
    size = max(0.6, height / 480)
    cv2.putText(image, tag, (int(10 * size), int(34 * size)), cv2.FONT_HERSHEY_SIMPLEX,
                size * 1.1, (255, 255, 255), max(2, int(3 * size)), cv2.LINE_AA)
    return image


def _advance(frames: Iterator[Frame], current: Frame | None, index: int) -> Frame | None:
    """The frame ``index`` of a forward-only decoder (the current one if already there)."""
    while current is None or current.index < index:
        nxt = next(frames, None)
        if nxt is None:
            return current
        current = nxt
    return current


def export_side_by_side(
    a: ClipData, b: ClipData, athlete_tracks: tuple[int, int], labels: tuple[str, str],
    b_of_a: np.ndarray, names: tuple[str, ...], folder: Path,
    sources: tuple[Path, Path] | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Write (or reuse) the side-by-side MP4 of A and B; returns its path.

    ``b_of_a``: (n,) frame of B for each of A's first n frames (n frames are written);
    ``labels``: the athletes' names drawn over their skeletons; ``sources``: the files
    decoded for A and B (default the clips themselves; their previews are quicker: the
    same frames, smaller). ``progress(done, total)`` follows the encoding.
    """
    b_of_a = np.asarray(b_of_a, dtype=np.int64)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / side_by_side_name(a, b, athlete_tracks, b_of_a, names)
    if target.is_file():
        return target
    wa, wb, height = side_by_side_size(a, b)
    src_a, src_b = sources or (Path(a.clip.stored_path), Path(b.clip.stored_path))
    total = len(b_of_a)
    frames_a, frames_b = iter_frames(src_a), iter_frames(src_b)
    frame_b: Frame | None = None
    drawn_b: tuple[int, np.ndarray] | None = None
    try:
        with H264Writer(target, a.clip.fps or 30.0) as writer:
            for frame_a in frames_a:
                if frame_a.index >= total:
                    break
                if cancel is not None and cancel.is_set():
                    raise InterruptedError("export cancelled")
                frame_b = _advance(frames_b, frame_b, int(b_of_a[frame_a.index]))
                if frame_b is None:
                    raise ValueError("clip B has no frames to show")
                if drawn_b is None or drawn_b[0] != frame_b.index:  # B may hold a frame
                    drawn_b = (frame_b.index, _panel(frame_b, b, athlete_tracks[1],
                                                     labels[1], names, wb, height, "B"))
                left = _panel(frame_a, a, athlete_tracks[0], labels[0], names, wa, height, "A")
                writer.write(np.hstack([left, drawn_b[1]]), frame_a.time)
                if progress is not None:
                    progress(frame_a.index + 1, total)
    finally:
        for frames in (frames_a, frames_b):
            frames.close()  # type: ignore[attr-defined]
    return target
