"""The annotated clip as a file: every frame drawn as the Clip view draws it, then H.264.

Frames are decoded from the original (rotation applied, as the estimator saw
them), scaled so the long side is at most 1280 pixels ( plenty for
coaching and quick to encode), drawn with the same annotators and streamed
into :class:`dashboard.video_export.H264Writer` with their own timestamps, so
the clip lasts exactly as long as the original. The result is kept under the
exports folder, named by the clip, the athlete's track and the angles drawn,
and reused when asked again.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from analysis.files import export_key
from dashboard.clipdata import ClipData, annotators, people
from dashboard.frames import fit_to, preview_size
from dashboard.video_export import H264Writer
from estimator import iter_frames

EXPORT_MAX_SIDE = 1280


def export_name(data: ClipData, athlete_track: int | None, angle_names: tuple[str, ...],
                show_others: bool) -> str:
    """File name of an annotated export: the clip's name, the key of its clip row (so the
    file goes when the clip does, :func:`analysis.files.export_key`), then a short key of
    its drawing."""
    key = f"{data.clip.sha256}:{data.clip.finished_at}:{athlete_track}:{angle_names}:{show_others}"
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
    max_side: int = EXPORT_MAX_SIDE,
) -> Path:
    """Write (or reuse) the annotated MP4 of a clip; returns its path.

    ``progress(done_frames, total_frames)`` follows the encoding. Memory stays
    flat whatever the clip's length: one frame is decoded, drawn and encoded at
    a time.
    """
    clip = data.clip
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / export_name(data, athlete_track, angle_names, show_others)
    if target.is_file():
        return target
    width, height, scale = preview_size(clip.width, clip.height, max_side)
    drawing = annotators(athlete_track, athlete_name, angle_names)
    total = data.frame_count
    frames = iter_frames(clip.stored_path)
    try:
        with H264Writer(target, clip.fps or 30.0) as writer:
            for frame in frames:
                if cancel is not None and cancel.is_set():
                    raise InterruptedError("export cancelled")
                image = np.ascontiguousarray(fit_to(frame.image, width, height))
                if image is frame.image:
                    image = image.copy()
                everyone = people(data, frame.index, scale, athlete_track, angle_names)
                if not show_others:
                    everyone = [p for p in everyone if p.track_id == athlete_track]
                for annotator in drawing:
                    annotator.annotate(image, everyone)
                writer.write(image, frame.time)
                if progress is not None:
                    progress(frame.index + 1, max(total, frame.index + 1))
    finally:
        frames.close()  # type: ignore[attr-defined]
    return target
