"""The poses of one photo or clip as a JSON file, written frame by frame.

Format (one file per input)::

    {"source": "clips/squat.mp4", "width": 1080, "height": 1920, "fps": 29.97,
     "model": "...", "keypoint_names": ["nose", ..., "right_foot_index"],
     "frames": [
       {"index": 0, "time": 0.0, "people": [
         {"track_id": 0, "score": 0.998, "bbox": [x, y, w, h],
          "keypoints": [[x, y, v], ...33], "world": [[x, y, z], ...33]}]},
       ...],
     "frame_count": 230}

- ``width``/``height``: pixels of the frames as displayed (phone rotation applied);
  ``fps``: the container's frame rate (0 for a photo).
- ``frames``: every frame in order, also those with nobody (``"people": []``);
  ``time`` in seconds from the first frame (container timestamps).
- ``keypoints``: 33 x [x_px, y_px, visibility 0..1] in ``keypoint_names`` order;
  ``world``: 33 x [x, y, z] metres, origin between the hips, x right, y down,
  z away from the camera; ``bbox``: [x, y, width, height] pixels around the
  visible keypoints; ``score``: pose presence 0..1; ``track_id``: identity,
  stable across the clip.
- Rounding: pixels 2 decimals, visibility and score 3, metres 4, seconds 4.
  A missing number is ``null``.
- ``frame_count`` is the number of frames written, so it sits after
  ``frames`` (the file is streamed; JSON readers do not mind key order).

The file is streamed to a hidden temporary file beside the target
(``.NAME.json.<random>.partial``) and renamed only once complete, so a failure
or an interruption never leaves a half-written JSON behind.
"""

from __future__ import annotations

import json
import math
import os
import secrets
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from estimator.keypoints import KEYPOINT_NAMES
from estimator.types import FramePoses, Person, SourceInfo

PIXEL_DECIMALS = 2
VISIBILITY_DECIMALS = 3
METRE_DECIMALS = 4
TIME_DECIMALS = 4


def model_description(landmark_model: Any = None) -> str:
    """What produced the poses, e.g. for the JSON's ``model`` field.

    ``landmark_model``: the user's trained model the estimator reads with
    (:class:`estimator.finetune.registry.UserModel`: its name, the first 12 hex of its
    sha256 and the model it was trained from are named), None for the verified weights.
    """
    try:
        from estimator.weights import load_manifest

        sources = load_manifest()["sources"]
        source = " (" + ", ".join(f"{s['package']}=={s['version']}"
                                  for s in sources.values()) + ")"
    except (OSError, ValueError, KeyError):
        source = ""
    if landmark_model is not None:
        landmarks = (f"trained landmark model {landmark_model.name} (sha256 "
                     f"{landmark_model.sha256[:12]}, from {landmark_model.base}) "
                     "for clips and photos")
    else:
        landmarks = "pose_landmark_full for clips, pose_landmark_heavy for photos"
    return (f"BlazePose GHUM: pose_detection + {landmarks}, with MoveNet MultiPose "
            f"finding people and MoveNet Thunder's limbs averaged in{source}")


def _finite(values: list) -> list:
    """Nested lists of floats with NaN/inf as None (JSON has no NaN)."""
    return [_finite(v) if isinstance(v, list)
            else (v if v is None or math.isfinite(v) else None) for v in values]


def _listed(array: np.ndarray) -> list:
    values = array.tolist()
    return values if np.isfinite(array).all() else _finite(values)


def _rounded(array: np.ndarray, decimals: int) -> list:
    return _listed(np.round(np.asarray(array, dtype=float), decimals))


def person_record(person: Person) -> dict:
    """One person as the JSON's dict, rounded."""
    keypoints = np.asarray(person.keypoints, dtype=float)
    keypoints = np.concatenate([np.round(keypoints[:, :2], PIXEL_DECIMALS),
                                np.round(keypoints[:, 2:3], VISIBILITY_DECIMALS)], axis=1)
    return {
        "track_id": int(person.track_id),
        "score": _rounded(np.array([person.score]), VISIBILITY_DECIMALS)[0],
        "bbox": _rounded(person.bbox, PIXEL_DECIMALS),
        "keypoints": _listed(keypoints),
        "world": None if person.world is None else _rounded(person.world, METRE_DECIMALS),
        "sides_swapped": list(person.sides_swapped),
    }


def frame_record(frame: FramePoses) -> dict:
    """One frame as the JSON's dict, rounded."""
    return {"index": int(frame.index), "time": round(float(frame.time), TIME_DECIMALS),
            "people": [person_record(p) for p in frame.people]}


class PoseJsonWriter:
    """Streams the frames of one input into ``path``, atomically.

    Use as a context manager; :meth:`write` each :class:`FramePoses` in order.
    Leaving the block normally completes the file and renames it into place;
    leaving it by an exception deletes the temporary file (the target, if it
    existed before, is left untouched).

    >>> with PoseJsonWriter(out, info, source=str(path)) as writer:  # doctest: +SKIP
    ...     for frame in estimator.process(path):
    ...         writer.write(frame)
    """

    def __init__(self, path: str | os.PathLike[str], info: SourceInfo, source: str,
                 model: str | None = None) -> None:
        self.path = Path(path)
        self.info = info
        self.source = source
        self.model = model if model is not None else model_description()
        self.frames_written = 0
        self.people_written = 0
        self._file = None
        self._temp: Path | None = None

    def __enter__(self) -> PoseJsonWriter:
        # Opened by name (not mkstemp) so the final file gets the user's usual permissions.
        self._temp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.partial")
        self._file = open(self._temp, "x", encoding="utf-8")  # noqa: SIM115 - closed in __exit__
        header = {
            "source": self.source,
            "width": int(self.info.width),
            "height": int(self.info.height),
            "fps": round(float(self.info.fps), 3),
            "model": self.model,
            "keypoint_names": list(KEYPOINT_NAMES),
        }
        self._file.write(json.dumps(header)[:-1] + ',\n"frames": [')
        return self

    def write(self, frame: FramePoses) -> None:
        """Append one frame (frames must come in order)."""
        assert self._file is not None, "use PoseJsonWriter as a context manager"
        line = json.dumps(frame_record(frame), separators=(",", ":"), allow_nan=False)
        self._file.write(("\n" if self.frames_written == 0 else ",\n") + line)
        self.frames_written += 1
        self.people_written += len(frame.people)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        assert self._file is not None and self._temp is not None
        try:
            if exc_type is None:
                self._file.write(f'\n],\n"frame_count": {self.frames_written}}}\n')
                self._file.flush()
                os.fsync(self._file.fileno())
        except BaseException:
            self._discard()
            raise
        if exc_type is not None:
            self._discard()
            return
        self._file.close()
        os.replace(self._temp, self.path)

    def _discard(self) -> None:
        assert self._file is not None and self._temp is not None
        self._file.close()
        self._temp.unlink(missing_ok=True)
