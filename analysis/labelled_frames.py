"""Labelled frames: the frames a coach corrected joint by joint, listed and exported.

A frame where the coach moved a joint or marked one not visible
(:meth:`analysis.Store.add_joint_correction`) is a labelled frame: the coach looked
at that person in that frame and fixed what the model got wrong. They are listed per
athlete and clip (:func:`labelled_frames`) and exported as a zip
(:func:`export_labels`) holding the frames as JPEG images and ``labels.json`` in the
format of ``../shared/datasets/lspet-dev/labels.json``, which
``python -m estimator.finetune`` reads::

    {"joints": [33 names], "records": [{"image": "images/clip12_f000045_p0.jpg",
     "width": 1920, "height": 1080, "split": "train",
     "keypoints": {"left_knee": [x, y, v], ...}, "athlete": ..., "clip_id": 12,
     "frame": 45, "track_id": 0}]}

Keypoints are the person's 33 keypoints as the metrics read them (every correction
applied), in the image's pixels; ``v`` is 1 where the keypoint is visible (visibility
at least :data:`VISIBLE`, or moved by the coach) and 0 otherwise (hidden by the coach,
or not seen), as in the dataset's convention. Names typed by users go into the JSON as
data only (never into a file name).
"""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from analysis.correction_store import JOINT_KINDS
from analysis.corrections import apply_corrections
from analysis.errors import AnalysisError
from estimator import KEYPOINT_NAMES

#: Visibility from which a keypoint the coach did not touch counts as labelled.
VISIBLE = 0.5
LABELS_FILE = "labels.json"
JPEG_QUALITY = 95


@dataclasses.dataclass(frozen=True)
class LabelledFrame:
    """One corrected person in one frame: where it is, how many joints were corrected."""

    athlete: str
    clip_id: int
    file_name: str
    frame: int
    track_id: int
    joints: tuple[str, ...]


def labelled_frames(store, *, athlete: int | str | None = None, clip_id: int | None = None
                    ) -> list[LabelledFrame]:
    """The labelled frames of one clip, or of every clip of an athlete, in clip and frame
    order. One of ``athlete`` or ``clip_id`` is needed."""
    if clip_id is not None:
        clips = [store.get_clip(clip_id)]
    elif athlete is not None:
        clips = store.list_clips(athlete=athlete, status="done")
    else:
        raise AnalysisError("Choose an athlete or a clip to list its labelled frames.")
    out = []
    for clip in clips:
        name = store.get_athlete(clip.athlete_id).name
        found: dict[tuple[int, int], set[str]] = {}
        for c in store.list_corrections(clip.id, active_only=True):
            if c.kind in JOINT_KINDS:
                found.setdefault((c.first_frame, c.track_id), set()).add(c.joint or "")
        out += [LabelledFrame(name, clip.id, clip.file_name, frame, track,
                              tuple(sorted(joints)))
                for (frame, track), joints in sorted(found.items())]
    return out


def _frames_of(path: str, wanted: set[int]):
    """(index, image BGR, scale) of the wanted frames of a stored clip or photo, decoded
    once in order (the estimator's decoding: rotation applied, large photos reduced)."""
    from estimator import iter_frames

    for frame in iter_frames(path):
        if frame.index in wanted:
            yield frame.index, frame.image, frame.scale
            wanted.discard(frame.index)
            if not wanted:
                return


def _record(image_name: str, image: np.ndarray, scale: tuple[float, float],
            keypoints: np.ndarray, labelled: LabelledFrame) -> dict:
    height, width = image.shape[:2]
    points = {}
    for name, (x, y, v) in zip(KEYPOINT_NAMES, keypoints.tolist(), strict=True):
        seen = bool(v >= VISIBLE and np.isfinite(x) and np.isfinite(y))
        points[name] = ([round(x / scale[0], 2), round(y / scale[1], 2), 1] if seen
                        else [0.0, 0.0, 0])
    return {"image": image_name, "width": width, "height": height, "split": "train",
            "keypoints": points, "athlete": labelled.athlete, "clip_id": labelled.clip_id,
            "frame": labelled.frame, "track_id": labelled.track_id}


def export_labels(store, frames: Sequence[LabelledFrame], destination: str | Path | None = None
                  ) -> bytes:
    """The zip of ``frames`` (images and ``labels.json``); also written to ``destination``
    (a temporary name first, renamed once complete) when given. AnalysisError when there
    is nothing to export or a clip's file is gone."""
    if not frames:
        raise AnalysisError("There are no labelled frames to export: correct a joint first.")
    records = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for clip_id in sorted({f.clip_id for f in frames}):
            clip = store.get_clip(clip_id)
            mine = [f for f in frames if f.clip_id == clip_id]
            corrections = store.list_corrections(clip_id, active_only=True)
            poses = {t: apply_corrections(store.read_track_poses(clip_id, t), corrections).poses
                     for t in {f.track_id for f in mine}}
            if not Path(clip.stored_path).is_file():
                raise AnalysisError(f"The file of clip {clip_id} is no longer stored; "
                                    "its frames cannot be exported.")
            images = {i: (image, scale) for i, image, scale
                      in _frames_of(clip.stored_path, {f.frame for f in mine})}
            for f in mine:
                if f.frame not in images:
                    raise AnalysisError(f"Frame {f.frame} of clip {clip_id} could not be decoded.")
                image, scale = images[f.frame]
                track = poses[f.track_id]
                row = int(np.searchsorted(track.frames, f.frame))
                name = f"images/clip{clip_id}_f{f.frame:06d}_p{f.track_id}.jpg"
                ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
                if not ok:
                    raise AnalysisError(f"Frame {f.frame} of clip {clip_id} could not be encoded.")
                archive.writestr(name, jpeg.tobytes())
                records.append(_record(name, image, scale, track.keypoints[row], f))
        archive.writestr(LABELS_FILE, json.dumps(
            {"joints": list(KEYPOINT_NAMES), "records": records}, indent=1, ensure_ascii=False))
    data = buffer.getvalue()
    if destination is not None:
        destination = Path(destination)
        partial = destination.with_name(destination.name + ".partial")
        partial.write_bytes(data)
        partial.replace(destination)
    return data
