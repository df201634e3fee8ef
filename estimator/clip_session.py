"""Tracking of people through one clip: the per-frame step behind PoseEstimator.track.

Clips (:meth:`PoseEstimator.process <estimator.pipeline.PoseEstimator.process>`,
:meth:`PoseEstimator.track <estimator.pipeline.PoseEstimator.track>`), as
MediaPipe follows one person, for up to ``max_people``:
    - each person followed carries the ROI built from the previous frame's
      auxiliary landmarks, so the landmark model alone follows them;
    - the detector runs on the whole frame and its tiles on the first frame
      (and whenever nobody is followed); while fewer than ``max_people`` are
      followed it looks at one tile every ``detect_every`` frames, edge tiles
      first (default 2: a landscape frame has 3 tiles, so someone walking in
      is found within about 4 frames, for half a detector call per frame);
      detections of someone already followed are ignored, and a newcomer's
      first pose must be confident;
    - a person the landmark model loses is searched for at once in the same
      frame: in the ROI moved on by their last motion, with the detector close
      by, and, for someone turning fast (a back flip), in turned ROIs; if all
      fail, the detector keeps looking close to where they were for
      ``max_track_age_s``;
    - someone whose hips leave the picture is no longer followed;
    - after each frame's landmark passes, two ROIs that converged on the same
      person are reduced to one (the longest followed);
    - identities come from :class:`estimator.tracking.Tracker` (Hungarian
      assignment on keypoint similarity and box overlap, with motion
      prediction), so they survive crossings and short gaps; a person followed
      without a break keeps their id even when their pose changes too fast for
      the tracker to match (a flip).

:class:`_Session` holds the state of one clip (also used frame by frame by
:class:`estimator.live.LiveTracker`); :class:`_Tracked` and :class:`_Missing`
are a person followed and a person lost recently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from estimator.detector import Detection, inside_tile, tile_regions
from estimator.geometry import box_inside, in_frame, person_box, remove_duplicates
from estimator.landmarks import PoseLandmarks
from estimator.roi import (
    Roi,
    normalize_radians,
    roi_from_auxiliary,
    roi_from_detection,
    roi_iou,
)
from estimator.smoothing import OneEuroFilter
from estimator.tracking import Tracker
from estimator.types import FramePoses, Person
from estimator.video import Frame

if TYPE_CHECKING:
    from estimator.pipeline import PoseEstimator

#: A detection is someone already tracked when its hip centre lies within this
#: fraction of a tracked ROI's side from that person's hip centre.
TRACKED_DISTANCE = 0.2
#: A detection whose ROI overlaps a followed person's ROI more than this is that person.
TRACKED_ROI_IOU = 0.3
#: People followed for this many frames or fewer are newcomers (see ``_Session.step``).
YOUNG_FRAMES = 3
#: A lost person is searched for in a square this many times their last ROI's side.
RECOVER_REGION = 1.5
#: Turning faster than this (radians per frame, about 6 degrees) a lost person is also
#: searched for with turned ROIs.
TURNING = 0.1
#: On this many frames after a loss, a person is searched for as in the frame of the loss
#: (moved, turned ROIs); then only by the detector, every 4 frames.
SEARCH_FRAMES = 3
#: A pose found by guessing a lost person's ROI (moved, turned), or a newcomer's first
#: pose, must be this confident.
SEARCH_PRESENCE = 0.8


@dataclass
class _Tracked:
    """A person followed from frame to frame by their ROI."""

    roi: Roi  # where to look in the next frame
    pose: PoseLandmarks | None = None
    frames: int = 0  # frames followed so far
    previous: Roi | None = None  # the ROI used one frame earlier, for the motion
    public_id: int | None = None  # identity given in the previous frame
    turning: float = 0.0  # recent turn per frame, radians (a decaying maximum)
    auxiliary_filter: OneEuroFilter = field(default_factory=OneEuroFilter)

    def predicted(self) -> Roi:
        """The next ROI moved on by the last frame-to-frame motion (centre and rotation)."""
        if self.previous is None:
            return self.roi
        turn = normalize_radians(self.roi.rotation - self.previous.rotation)
        return Roi(2 * self.roi.cx - self.previous.cx, 2 * self.roi.cy - self.previous.cy,
                   self.roi.size, self.roi.rotation + turn)

    def advance(self, pose: PoseLandmarks, time: float) -> None:
        """Take this frame's pose; the next ROI comes from its smoothed auxiliary landmarks
        (as MediaPipe does: one misread frame must not throw the next crop off the person)."""
        self.previous = self.roi
        if self.frames == 0 or self.pose is None:
            self.auxiliary_filter.reset()
        auxiliary = self.auxiliary_filter(pose.auxiliary, time, scale=pose.roi.size)
        self.pose, self.roi, self.frames = pose, roi_from_auxiliary(auxiliary), self.frames + 1
        turn = abs(normalize_radians(self.roi.rotation - self.previous.rotation))
        self.turning = max(turn, 0.7 * self.turning)


@dataclass
class _Missing:
    """A person lost recently: how they were followed, when, and for how long since."""

    tracked: _Tracked
    time: float
    frames: int = 0  # frames since the loss


def _region_around(roi: Roi, factor: float, width: int, height: int) -> tuple[int, int, int, int]:
    """Square region (x, y, w, h) of ``factor`` times the ROI's side around its centre,
    clipped to the image."""
    half = 0.5 * factor * roi.size
    x0, x1 = int(max(0, roi.cx - half)), int(min(width, roi.cx + half))
    y0, y1 = int(max(0, roi.cy - half)), int(min(height, roi.cy + half))
    return x0, y0, max(1, x1 - x0), max(1, y1 - y0)


class _Session:
    """Tracking state for one clip."""

    def __init__(self, estimator: PoseEstimator) -> None:
        self.est = estimator
        self.tracked: list[_Tracked] = []
        self.missing: list[_Missing] = []
        self.since_detect = 0
        self.scan = 0  # next region of the frame the cadence detector looks at
        self.tracker = Tracker(max_age_s=estimator.max_track_age_s)
        self.alias: dict[int, int] = {}  # tracker id -> public id
        self.shown: dict[int, int] = {}  # public id -> id shown (0, 1, 2, ...)
        self.last_tracker_id = -1

    def _room(self) -> bool:
        return len(self.tracked) < self.est.max_people

    def _is_tracked(self, detection: Detection, width: int, height: int,
                    skip: _Tracked | None = None) -> bool:
        """True when a detection falls on someone already followed.

        That is: its hip centre lies within the followed person's box (visible
        keypoints, grown by a tenth of its height) or near their hip centre, or
        its ROI overlaps theirs by more than :data:`TRACKED_ROI_IOU`.
        """
        hip = detection.keypoints[0]
        roi = roi_from_detection(detection.keypoints)
        for t in self.tracked:
            if t is skip:
                continue
            if roi_iou(roi, t.roi) > TRACKED_ROI_IOU:
                return True
            if t.pose is None:
                centre = np.array([t.roi.cx, t.roi.cy])
            else:
                centre = t.pose.auxiliary[0]
                x, y, w, h = person_box(t.pose.keypoints, width, height)
                grow = 0.1 * h
                if x - grow <= hip[0] <= x + w + grow and y - grow <= hip[1] <= y + h + grow:
                    return True
            if np.hypot(*(hip - centre)) < TRACKED_DISTANCE * t.roi.size:
                return True
        return False

    def _add(self, detections: list[Detection], width: int, height: int) -> None:
        """Follow the detected people not followed yet, best first, while there is room."""
        for detection in detections:
            if not self._room():
                break
            if not self._is_tracked(detection, width, height):
                self.tracked.append(_Tracked(roi_from_detection(detection.keypoints)))

    def _detect_near(self, image: np.ndarray, roi: Roi,
                     skip: _Tracked | None = None) -> Detection | None:
        """The untracked detection nearest a lost person's last ROI, searched close by.

        The detector runs on a square region of :data:`RECOVER_REGION` times the
        ROI's side around it (one call, at a closer zoom than the whole frame).
        """
        height, width = image.shape[:2]
        region = _region_around(roi, RECOVER_REGION, width, height)
        best, best_dist = None, roi.size  # farther than one ROI side: someone else
        for detection in self.est.detector.detect(image, region):
            hip = detection.keypoints[0]
            dist = float(np.hypot(hip[0] - roi.cx, hip[1] - roi.cy))
            if dist < best_dist and not self._is_tracked(detection, width, height, skip):
                best, best_dist = detection, dist
        return best

    def _follow(self, image: np.ndarray, t: _Tracked, pose: PoseLandmarks, time: float) -> bool:
        """Take this frame's pose for a followed person, searching for them if lost.

        Returns False when the person is not (or no longer) followed; a person
        followed before becomes :class:`_Missing`. A newcomer's first pose must
        be confident (:data:`SEARCH_PRESENCE`).
        """
        height, width = image.shape[:2]
        est = self.est
        wanted = est.min_presence if t.frames else max(est.min_presence, SEARCH_PRESENCE)
        found: PoseLandmarks | None = pose
        if pose.score < wanted or not in_frame(pose, width, height):
            found = self._search(image, t) if t.frames > 0 else None
            if found is None:
                if t.frames > 0:
                    self.missing.append(_Missing(t, time))
                return False
        t.advance(found, time)
        return True

    def _search(self, image: np.ndarray, t: _Tracked) -> PoseLandmarks | None:
        """Find a followed person the landmark model lost in their ROI, in the same frame.

        In order, stopping at the first pose found: the ROI moved on by the last
        motion; for someone who was turning fast (flips, cartwheels:
        :data:`TURNING`), the moved ROI turned by 30-degree steps, first in the
        direction of the turn; the detector close by.
        A pose from a guessed ROI must be confident (:data:`SEARCH_PRESENCE`)
        and centred near where the person was expected.
        """
        est = self.est
        guess = t.predicted()

        height, width = image.shape[:2]

        def accept(pose: PoseLandmarks) -> bool:
            near = np.hypot(*(pose.auxiliary[0] - (guess.cx, guess.cy))) < 0.5 * guess.size
            return pose.score >= SEARCH_PRESENCE and bool(near) and in_frame(pose, width, height)

        pose = est.landmarker(image, guess)
        if accept(pose):
            return pose
        if t.turning >= TURNING and 0 <= guess.cx < width and 0 <= guess.cy < height:
            spin = 1.0 if t.previous is None or normalize_radians(
                t.roi.rotation - t.previous.rotation) >= 0 else -1.0
            for step in (1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6):
                turned = Roi(guess.cx, guess.cy, guess.size,
                             guess.rotation + spin * step * math.pi / 6)
                pose = est.landmarker(image, turned)
                if accept(pose):
                    return pose
        detection = self._detect_near(image, t.roi, skip=t)
        if detection is not None:
            pose = est.landmarker(image, roi_from_detection(detection.keypoints))
            if pose.score >= est.min_presence and in_frame(pose, width, height):
                return pose
        return None

    def step(self, frame: Frame) -> FramePoses:
        image = frame.image
        height, width = image.shape[:2]
        est = self.est
        self.missing = [m for m in self.missing
                        if frame.time - m.time <= est.max_track_age_s]

        # 1. Find people: first close to where someone was recently lost (on the
        #    first frames after the loss, then every few frames)...
        for missing in list(self.missing):
            missing.frames += 1
            t = missing.tracked
            if missing.frames <= SEARCH_FRAMES:
                t.previous, t.roi = t.roi, t.predicted()  # coast on the last motion
            if not self._room() or (missing.frames > SEARCH_FRAMES and missing.frames % 4):
                continue
            if missing.frames <= SEARCH_FRAMES:
                pose = self._search(image, t)
                if pose is not None:
                    t.roi = pose.roi
                    self.tracked.append(t)
                    self.missing.remove(missing)
                continue
            detection = self._detect_near(image, t.roi)
            if detection is not None:
                found = _Tracked(roi_from_detection(detection.keypoints))
                found.public_id = t.public_id  # found where they were lost: same person
                self.tracked.append(found)
                self.missing.remove(missing)
        # ... then everywhere when nobody is followed, or one region at a time on
        #    the cadence (tiles at the frame's edges first).
        region: tuple[int, int, int, int] | None = None
        scan = False
        if not self.tracked:
            self._add(est.detector.detect_tiled(image, max_levels=1), width, height)
            self.since_detect = 0
        elif self._room() and self.since_detect + 1 >= est.detect_every:
            # Tiles at the frame's edges first: newcomers mostly walk in from there.
            tiles = sorted(tile_regions(width, height, max_levels=1),
                           key=lambda r: -abs(r[0] + r[2] / 2 - width / 2)
                           - abs(r[1] + r[3] / 2 - height / 2))
            regions: list[tuple[int, int, int, int] | None] = list(tiles)
            if not regions or regions[0][2] < min(width, height):
                regions.append(None)  # tiles shorter than the frame: the whole frame too
            region = regions[self.scan % len(regions)]
            self.scan += 1
            scan = True
            self.since_detect = 0
        else:
            self.since_detect += 1

        # 2. Landmarks in each ROI, on two inference streams: the main thread and a
        #    worker that first runs the cadence detector, then shares the landmark
        #    passes. A followed person whose pose vanished is then searched for at
        #    once (fast motion or a fast turn leaves the ROI behind).
        poses, found = est._infer(image, [t.roi for t in self.tracked], region, scan)
        alive: list[_Tracked] = []
        for t, pose in zip(list(self.tracked), poses, strict=True):
            if self._follow(image, t, pose, frame.time):
                alive.append(t)
        # Newcomers from the cadence detector, looked at at once.
        if scan:
            if region is not None:
                found = [d for d in found if inside_tile(d, region, width, height)]
            self.tracked = list(alive)
            self._add(found, width, height)
            for t in self.tracked[len(alive):]:
                if self._follow(image, t, est.landmarker(image, t.roi), frame.time):
                    alive.append(t)

        # 3. Two ROIs that converged on one person: keep the longest-followed one.
        #    A newcomer mostly inside the box of someone followed for a while is
        #    a second reading of that person.
        order = sorted(range(len(alive)), key=lambda i: (-alive[i].frames, -alive[i].pose.score))
        kept = set(remove_duplicates([t.pose for t in alive], order))
        alive = [t for i, t in enumerate(alive) if i in kept]
        boxes = [person_box(t.pose.keypoints, width, height) for t in alive]
        self.tracked = [
            t for t, box in zip(alive, boxes, strict=True)
            if t.frames > YOUNG_FRAMES or not any(
                o.frames > YOUNG_FRAMES and box_inside(box, b) > 0.5
                for o, b in zip(alive, boxes, strict=True))
        ]

        # 4. Identities.
        poses = [t.pose for t in self.tracked]
        keypoints = [p.keypoints for p in poses]
        boxes = [person_box(k, width, height) for k in keypoints]
        ids = self._identities(self.tracker.update(frame.time, keypoints, boxes))
        people = [
            Person(int(i), p.score, b, k, p.world)
            for i, p, b, k in zip(ids, poses, boxes, keypoints, strict=True)
        ]
        return FramePoses(frame.index, frame.time, people)

    def _identities(self, tracker_ids: list[int]) -> list[int]:
        """Public ids from the tracker's, kept through sudden changes of pose.

        The tracker matches people by how alike their keypoints and boxes are,
        which a back flip or a cartwheel defeats within a few frames: it then
        opens a new track for someone the landmark model never lost. When the
        tracker gives a brand-new id to a person followed without a break from
        the previous frame, or found again close to where they were lost less
        than ``max_track_age_s`` ago, that new id is made an alias of the
        person's id (unless someone else in the frame already has it).
        """
        public: list[int] = []
        for t, tid in zip(self.tracked, tracker_ids, strict=True):
            new = tid > self.last_tracker_id
            if tid in self.alias:
                pid = self.alias[tid]
            elif new and t.public_id is not None and t.public_id not in public:
                self.alias[tid] = pid = t.public_id
            else:
                pid = tid
            if pid in public:  # an alias clashing with someone else's id
                pid = tid
            public.append(pid)
            t.public_id = pid
        self.last_tracker_id = max([self.last_tracker_id, *tracker_ids])
        # Ids shown are 0, 1, 2, ... in order of first appearance (no gaps from aliases).
        return [self.shown.setdefault(pid, len(self.shown)) for pid in public]
