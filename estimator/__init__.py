"""Pixels to poses: BlazePose GHUM "full" (detector + landmark model) for photos and clips.

The public surface of the estimator layer; see ``DESIGN.md`` and the modules:

- :mod:`estimator.pipeline`: :class:`PoseEstimator`, several people per frame, tracked.
- :mod:`estimator.live`: :class:`LiveTracker`, frame by frame for a camera (no look-ahead).
- :mod:`estimator.video`: :func:`probe`, :func:`iter_frames`, :class:`Frame`.
- :mod:`estimator.tracking`: :class:`Tracker`, identities by Hungarian assignment.
- :mod:`estimator.schemas`: :func:`convert_keypoints` to COCO-17 and other schemas.
- :mod:`estimator.keypoints`, :mod:`estimator.types`, :mod:`estimator.errors`.
"""

from estimator.errors import BadInputError, EstimatorError, ModelWeightsError
from estimator.keypoints import KEYPOINT_INDEX, KEYPOINT_NAMES, SKELETON
from estimator.live import LiveTracker
from estimator.pipeline import PoseEstimator
from estimator.schemas import SCHEMAS, convert_keypoints
from estimator.sides import SIDE_GROUPS, swap_groups
from estimator.tracking import Tracker
from estimator.types import FramePoses, Person, SourceInfo
from estimator.video import Frame, content_suffix, iter_frames, probe

__all__ = [
    "KEYPOINT_INDEX",
    "KEYPOINT_NAMES",
    "SCHEMAS",
    "SIDE_GROUPS",
    "SKELETON",
    "BadInputError",
    "EstimatorError",
    "Frame",
    "FramePoses",
    "LiveTracker",
    "ModelWeightsError",
    "Person",
    "PoseEstimator",
    "SourceInfo",
    "Tracker",
    "content_suffix",
    "convert_keypoints",
    "iter_frames",
    "probe",
    "swap_groups",
]
