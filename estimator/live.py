"""Frame-by-frame tracking for a live source (a camera): no look-ahead.

:meth:`PoseEstimator.track` pulls frames from an iterable and, with left/right
consistency on, hands each frame back about a second later (the correction
looks ahead, :mod:`estimator.sides`). A live picture cannot wait: a
:class:`LiveTracker` takes one frame and returns its people at once, with the
same tracking as clips and left/right consistency decided on the past alone
(``lookahead_s = 0``).

One tracker follows one stream; its estimator's models serve one caller at a
time, so a caller sharing an estimator between streams holds a lock around
:meth:`LiveTracker.step`.
"""

from __future__ import annotations

import dataclasses

from estimator.clip_session import _Session
from estimator.pipeline import PoseEstimator
from estimator.sides import SideConsistency, SideSettings
from estimator.types import FramePoses
from estimator.video import Frame


class LiveTracker:
    """People in each frame of one live stream, returned as soon as the frame is read.

    Parameters
    ----------
    estimator
        The models and tracking settings (``max_people`` 1 for single-person mode).
    sides
        Left/right consistency (its ``lookahead_s`` is set to 0); None leaves the
        sides as the model reads them. Default: the estimator's own settings.
    """

    def __init__(self, estimator: PoseEstimator,
                 sides: SideSettings | None | bool = True) -> None:
        self.estimator = estimator
        self._session = _Session(estimator)
        chosen = estimator.sides if sides is True else sides
        self._sides = (SideConsistency(dataclasses.replace(chosen, lookahead_s=0.0))
                       if isinstance(chosen, SideSettings) else None)
        self._last_time = float("-inf")

    def step(self, frame: Frame) -> FramePoses:
        """The people in ``frame`` (BGR (H, W, 3) uint8, ``time`` in seconds, increasing).

        A frame whose time is not after the previous one is given a time just after
        it (a camera's clock may repeat a timestamp); tracking needs time to advance.
        """
        if frame.time <= self._last_time:
            frame = dataclasses.replace(frame, time=self._last_time + 1e-3)
        self._last_time = frame.time
        poses = self._session.step(frame)
        if self._sides is None:
            return poses
        decided = self._sides.push(poses)
        return decided[-1] if decided else poses
