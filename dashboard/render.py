"""The annotated clip and photo as files: drawn as the Clip view draws them.

Clip: frames are decoded from the original (rotation applied, as the estimator
saw them), drawn at the clip's own size or, when asked, scaled so the long side
is at most :data:`EXPORT_MAX_SIDE` pixels (quicker to draw, encode and send),
with the same annotators, and streamed into
:class:`dashboard.video_export.H264Writer` with their own timestamps, so the
clip lasts exactly as long as the original. The result is kept under the
exports folder, named by the clip, the athlete's track, the angles drawn and
the size, and reused when asked again.

Photo: :func:`annotated_photo_png` draws the photo at its own size (as decoded:
a photo over 4096 pixels is read reduced) and encodes it as PNG.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np

from analysis.files import export_key
from analysis.store import NoteInfo
from dashboard.clipdata import ClipData, annotators, people
from dashboard.frames import fit_to, preview_size
from dashboard.note_drawing import draw_notes, notes_at
from dashboard.video_export import H264Writer
from estimator import iter_frames

EXPORT_MAX_SIDE = 1280


def export_size(width: int, height: int, max_side: int | None) -> tuple[int, int, float]:
    """(width, height, scale) an annotated clip is drawn at: the clip's own size (even),
    or with its long side at most ``max_side`` pixels; never enlarged."""
    return preview_size(width, height, max_side or max(width, height))


def export_name(data: ClipData, athlete_track: int | None, angle_names: tuple[str, ...],
                show_others: bool, max_side: int | None = EXPORT_MAX_SIDE,
                notes: Sequence[NoteInfo] = ()) -> str:
    """File name of an annotated export: the clip's name, the key of its clip row (so the
    file goes when the clip does, :func:`analysis.files.export_key`), then a short key of
    its drawing and size."""
    size = export_size(data.clip.width, data.clip.height, max_side)[:2]
    drawn_notes = [(n.frame, n.kind, n.text, n.points) for n in notes]
    key = (f"{data.clip.sha256}:{data.clip.finished_at}:{athlete_track}:{angle_names}:"
           f"{show_others}:{size}:{drawn_notes}")
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    stem = Path(data.clip.file_name).stem or "clip"
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in stem)[:60]
    return f"{safe}-annotated-{export_key(data.clip)}-{digest}.mp4"


def export_annotated_clip(
    data: ClipData,
    folder: Path,
    athlete_track: int | None,
    athlete_name: str,
    angle_names: tuple[str, ...],
    show_others: bool = True,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
    max_side: int | None = EXPORT_MAX_SIDE,
    notes: Sequence[NoteInfo] = (),
) -> Path:
    """Write (or reuse) the annotated MP4 of a clip; returns its path.

    ``max_side``: the long side's largest size in pixels, or None for the clip's own
    size. ``notes``: the coach's notes and drawings, each drawn from its frame for
    :data:`dashboard.note_drawing.HOLD_S` seconds. ``progress(done_frames,
    total_frames)`` follows the encoding. Memory stays flat whatever the clip's length:
    one frame is decoded, drawn and encoded at a time.
    """
    clip = data.clip
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / export_name(data, athlete_track, angle_names, show_others, max_side,
                                  notes)
    if target.is_file():
        return target
    width, height, scale = export_size(clip.width, clip.height, max_side)
    drawing = annotators(athlete_track, athlete_name, angle_names)
    # A trimmed clip (analysis.store.trims) is drawn from its first to its last frame only.
    first, last = clip.trim or (0, max(data.frame_count, 1) - 1)
    total = last - first + 1
    start_s = float(data.frame_times[first]) if first < data.frame_count else 0.0
    frames = iter_frames(clip.stored_path)
    try:
        with H264Writer(target, clip.fps or 30.0) as writer:
            for frame in frames:
                if cancel is not None and cancel.is_set():
                    raise InterruptedError("export cancelled")
                if frame.index < first:
                    continue
                if clip.trim is not None and frame.index > last:
                    break
                image = np.ascontiguousarray(fit_to(frame.image, width, height))
                if image is frame.image:
                    image = image.copy()
                everyone = people(data, frame.index, scale, athlete_track, angle_names)
                if not show_others:
                    everyone = [p for p in everyone if p.track_id == athlete_track]
                for annotator in drawing:
                    annotator.annotate(image, everyone)
                draw_notes(image, notes_at(notes, frame.time, data.frame_times), scale)
                writer.write(image, frame.time - start_s)
                if progress is not None:
                    done = frame.index - first + 1
                    progress(done, max(total, done))
    finally:
        frames.close()  # type: ignore[attr-defined]
    return target


def annotated_photo_png(
    data: ClipData,
    athlete_track: int | None,
    athlete_name: str,
    angle_names: tuple[str, ...],
    show_others: bool = True,
) -> bytes:
    """The photo drawn as the Clip view draws it, at its own size, as PNG bytes."""
    frame = next(iter(iter_frames(data.clip.stored_path)))
    image = np.ascontiguousarray(frame.image).copy()
    scale = image.shape[1] / max(data.clip.width, 1)  # 1 unless the photo was read reduced
    everyone = people(data, 0, scale, athlete_track, angle_names)
    if not show_others:
        everyone = [p for p in everyone if p.track_id == athlete_track]
    for annotator in annotators(athlete_track, athlete_name, angle_names):
        annotator.annotate(image, everyone)
    ok, encoded = cv2.imencode(".png", image)
    if not ok:
        raise RuntimeError("could not encode the photo as PNG")
    return encoded.tobytes()
