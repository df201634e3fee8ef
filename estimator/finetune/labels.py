"""Labelled frames for fine-tuning: the labels file, read and checked.

The format is the one of ``../shared/datasets/lspet-dev/labels.json`` (the
dashboard's labelled-frames export writes it too)::

    {"joints": [names], "records": [{"image": "images/im00010.jpg", "width": 324,
     "height": 216, "split": "train", "keypoints": {"right_ankle": [x, y, v], ...}}]}

Pixels with the origin at the image's top-left corner; left and right are the
athlete's own; ``v`` is 1 where the joint is labelled. Joints BlazePose lacks
(``neck``, ``head_top``) are ignored; every other name must be one of the
product's 33 keypoints. Image paths are relative to the labels file's folder.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from estimator.keypoints import KEYPOINT_INDEX, NUM_KEYPOINTS

#: Label names BlazePose has no landmark for; their points are not used.
IGNORED_JOINTS = frozenset({"neck", "head_top"})


class LabelsError(ValueError):
    """A labels file that cannot be used, with the reason in one line."""


@dataclass(frozen=True)
class LabelledFrame:
    """One labelled athlete in one image.

    ``points`` (33, 2) pixels in BlazePose keypoint order, ``labelled`` (33,)
    bool: which of them carry a label.
    """

    image: Path
    split: str
    points: np.ndarray
    labelled: np.ndarray

    @property
    def count(self) -> int:
        return int(self.labelled.sum())


def read_labels(
    path: str | Path, splits: tuple[str, ...] | None = ("train",)
) -> list[LabelledFrame]:
    """The usable labelled frames of a labels file, of ``splits`` (None: every record).

    A record without a split counts as ``train``. Records with fewer than four
    labelled joints (no ROI can be made from them) are left out. Raises
    :class:`LabelsError` for a file that is missing, not JSON, or of another
    shape, or that names an image that is not there.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        records = data["records"]
    except FileNotFoundError as exc:
        raise LabelsError(f"labels file not found: {path}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LabelsError(f"{path.name} is not a JSON labels file ({exc})") from exc
    except (KeyError, TypeError) as exc:
        raise LabelsError(f"{path.name} has no 'records' list") from exc
    frames = []
    for n, record in enumerate(records):
        try:
            split = str(record.get("split", "train"))
            if splits is not None and split not in splits:
                continue
            points = np.zeros((NUM_KEYPOINTS, 2))
            labelled = np.zeros(NUM_KEYPOINTS, dtype=bool)
            for name, (x, y, v) in record["keypoints"].items():
                if name in IGNORED_JOINTS:
                    continue
                if name not in KEYPOINT_INDEX:
                    raise LabelsError(f"{path.name}, record {n}: unknown joint {name!r}")
                if v and math.isfinite(x) and math.isfinite(y):
                    points[KEYPOINT_INDEX[name]] = (x, y)
                    labelled[KEYPOINT_INDEX[name]] = True
            image = path.parent / record["image"]
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, LabelsError):
                raise
            raise LabelsError(f"{path.name}, record {n}: not a labelled image ({exc})") from exc
        if not image.is_file():
            raise LabelsError(f"{path.name}, record {n}: image not found: {record['image']}")
        if labelled.sum() >= 4:
            frames.append(LabelledFrame(image, split, points, labelled))
    if not frames:
        raise LabelsError(f"{path.name} has no usable labelled frames"
                          + (f" in split {', '.join(splits)}" if splits else ""))
    return frames
