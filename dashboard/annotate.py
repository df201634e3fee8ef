"""Annotators that draw poses on frames: skeleton, track labels and joint angles.

In the manner of Roboflow ``supervision``: each annotator is a small frozen
dataclass holding its style, with one method ``annotate(image, people) ->
image`` that draws on the (H, W, 3) uint8 BGR ``image`` in place and returns
it, so annotators compose by chaining (or with :class:`Compose`).

``people`` is any sequence of objects with ``track_id`` (int) and
``keypoints`` (33, 3): x_px, y_px, visibility in [0, 1], in the keypoint order
of ``estimator.keypoints`` -- the estimator's ``Person`` or a :class:`Pose`
built from arrays the store returns (:func:`poses_from_arrays`). An object may
also carry ``angles`` (angle name -> degrees), which :class:`AngleAnnotator`
draws; the dashboard gets those values from the analysis layer and computes
none itself.

Colours come from :mod:`dashboard.theme`: the athlete's left in
``palette.left``, right in ``palette.right``, the midline in ``palette.centre``.
Line widths and text sizes scale with the image, so a 4K frame and a small
photo look alike.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import cv2
import numpy as np

from dashboard import label_layout as layout
from dashboard.label_layout import (  # noqa: F401 -- angle_anchor: part of this API too
    DEFAULT_ANGLES,
    Rect,
    angle_anchor,
    angle_short_name,
)
from dashboard.text import LabelPatch, paste, render_label
from dashboard.theme import PALETTE, Palette, bgr, readable_text_on
from estimator.keypoints import KEYPOINT_INDEX, KEYPOINT_NAMES, SKELETON, side_of

_SHIFT = 4  # OpenCV fixed-point bits: sub-pixel positions for smooth anti-aliased lines
_ONE = 1 << _SHIFT

FACE = frozenset(KEYPOINT_NAMES[:11])
HAND = frozenset(
    f"{side}_{part}" for side in ("left", "right") for part in ("pinky", "index", "thumb")
)
BODY_JOINTS = tuple(
    name for name in KEYPOINT_NAMES if name not in FACE and name not in HAND
) + ("nose",)


@runtime_checkable
class PersonLike(Protocol):
    """What the annotators read from one person in one frame."""

    track_id: int
    keypoints: np.ndarray  # (33, 3): x_px, y_px, visibility


@dataclass(frozen=True)
class Pose:
    """One person in one frame, from arrays (e.g. the store's poses table).

    ``keypoints`` (33, 3): x_px, y_px, visibility. ``angles``: angle name (as
    in DESIGN.md, e.g. ``left_knee``) -> degrees, NaN when not measured.
    """

    track_id: int
    keypoints: np.ndarray
    angles: Mapping[str, float] = field(default_factory=dict)


def poses_from_arrays(
    track_ids: Sequence[int] | np.ndarray,
    keypoints: np.ndarray,
    angles: Sequence[Mapping[str, float]] | None = None,
) -> list[Pose]:
    """People of one frame from arrays: ``track_ids`` (N,), ``keypoints`` (N, 33, 3)."""
    keypoints = np.asarray(keypoints, dtype=np.float32)
    if keypoints.ndim != 3 or keypoints.shape[1:] != (33, 3):
        raise ValueError(f"keypoints must have shape (N, 33, 3), got {keypoints.shape}")
    if len(track_ids) != len(keypoints):
        raise ValueError("one track id per person is needed")
    if angles is None:
        angles = [{}] * len(keypoints)
    return [
        Pose(int(t), k, dict(a)) for t, k, a in zip(track_ids, keypoints, angles, strict=True)
    ]


class Annotator(Protocol):
    def annotate(self, image: np.ndarray, people: Sequence[PersonLike]) -> np.ndarray: ...


@dataclass(frozen=True)
class Compose:
    """Several annotators applied in order (skeleton first, labels last)."""

    annotators: tuple[Annotator, ...]

    def annotate(self, image: np.ndarray, people: Sequence[PersonLike]) -> np.ndarray:
        for annotator in self.annotators:
            image = annotator.annotate(image, people)
        return image


def image_scale(image: np.ndarray) -> float:
    """Drawing scale of an image: 1.0 for a 720-pixel short side, proportional otherwise."""
    return min(image.shape[0], image.shape[1]) / 720.0


def _check_image(image: np.ndarray) -> None:
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be (H, W, 3) uint8 BGR, got {image.shape} {image.dtype}")


def _visible(keypoints: np.ndarray, threshold: float) -> np.ndarray:
    """(33,) bool: finite position and visibility at or above ``threshold``."""
    kp = np.asarray(keypoints)
    return np.isfinite(kp[:, :2]).all(axis=1) & (np.nan_to_num(kp[:, 2], nan=0.0) >= threshold)


def _fixed(point: np.ndarray) -> tuple[int, int]:
    return int(round(float(point[0]) * _ONE)), int(round(float(point[1]) * _ONE))


def _person_height(keypoints: np.ndarray, visible: np.ndarray) -> float:
    if visible.sum() < 2:
        return 0.0
    ys = keypoints[visible, 1]
    return float(ys.max() - ys.min())


_BONES = tuple((KEYPOINT_INDEX[a], KEYPOINT_INDEX[b], a, b) for a, b in SKELETON)


def _bone_side(a: str, b: str) -> str:
    sa, sb = side_of(a), side_of(b)
    return sa if sa == sb else "centre"


@dataclass(frozen=True)
class SkeletonAnnotator:
    """Bones and joints: left in ``palette.left``, right in ``palette.right``, midline neutral.

    A bone is drawn when both its ends are visible (visibility at or above
    ``visibility_threshold``), a joint when it is. Bones have a thin dark
    outline so they read on bright and dark scenes alike. ``thickness`` is in
    pixels at a 720-pixel short side and scales with the image; it is also
    kept below a fiftieth of the person's height, so small people in a wide
    shot are not buried under their own skeleton. Face and hand bones are
    drawn thinner, and can be left out.
    """

    palette: Palette = PALETTE
    visibility_threshold: float = 0.5
    thickness: float = 3.0
    face: bool = True
    hands: bool = True
    outline: bool = True

    def annotate(self, image: np.ndarray, people: Sequence[PersonLike]) -> np.ndarray:
        _check_image(image)
        scale = image_scale(image)
        colours = {
            "left": bgr(self.palette.left),
            "right": bgr(self.palette.right),
            "centre": bgr(self.palette.centre),
        }
        dark = bgr(self.palette.outline)
        for person in people:
            kp = np.asarray(person.keypoints, dtype=np.float64)
            visible = _visible(kp, self.visibility_threshold)
            height = _person_height(kp, visible)
            width = max(1.0, min(self.thickness * scale, height / 50.0 if height else 1e9))
            bones = []
            for i, j, a, b in _BONES:
                if not (visible[i] and visible[j]):
                    continue
                is_face = a in FACE and b in FACE
                is_hand = a in HAND or b in HAND
                if (is_face and not self.face) or (is_hand and not self.hands):
                    continue
                w = width * (0.55 if (is_face or is_hand) else 1.0)
                bones.append((kp[i], kp[j], colours[_bone_side(a, b)], max(1, round(w))))
            if self.outline:
                for p, q, _, w in bones:
                    cv2.line(image, _fixed(p), _fixed(q), dark, w + 2, cv2.LINE_AA, _SHIFT)
            for p, q, colour, w in bones:
                cv2.line(image, _fixed(p), _fixed(q), colour, w, cv2.LINE_AA, _SHIFT)
            radius = max(1.5, width * 1.15)
            for name in BODY_JOINTS:
                k = KEYPOINT_INDEX[name]
                if not visible[k]:
                    continue
                centre = _fixed(kp[k])
                r = int(round(radius * _ONE))
                colour = colours[side_of(name)]
                cv2.circle(image, centre, r + _ONE, dark, -1, cv2.LINE_AA, _SHIFT)
                cv2.circle(image, centre, r, colour, -1, cv2.LINE_AA, _SHIFT)
        return image


def track_label(track_id: int, names: Mapping[int, str] | None = None) -> str:
    """The label of a person: their name when known, else ``Person <id>``."""
    if names and int(track_id) in names and names[int(track_id)]:
        return str(names[int(track_id)])
    return f"Person {int(track_id)}"


MIN_TEXT_PX = 10


def _label_size(scale: float, base: float, person_height: float = 0.0, per_height: float = 0.0
                ) -> int:
    """Text size in pixels: ``base`` at a 720-pixel short side, scaled with the image, and
    (when ``per_height`` is given) at most ``person_height / per_height``, so labels of a
    small person in a wide shot do not bury them; never below :data:`MIN_TEXT_PX`."""
    size = base * scale
    if per_height and person_height > 0:
        size = min(size, person_height / per_height)
    return max(MIN_TEXT_PX, int(round(size)))




@dataclass(frozen=True)
class TrackIdAnnotator:
    """A label above each person's head: the athlete's name, or ``Person <track id>``.

    ``names`` maps track ids to names (the athlete chosen for a track). The
    label's box takes the track's colour from ``palette.tracks``; it is kept
    inside the image. ``text_size`` is in pixels at a 720-pixel short side,
    and at most a sixth of the person's height.
    """

    palette: Palette = PALETTE
    names: Mapping[int, str] = field(default_factory=dict)
    visibility_threshold: float = 0.5
    text_size: float = 17.0

    def annotate(self, image: np.ndarray, people: Sequence[PersonLike]) -> np.ndarray:
        _check_image(image)
        for person in people:
            placed = self.place(image, person)
            if placed is not None:
                patch, (x0, y0, _, _) = placed
                paste(image, patch, x0, y0)
        return image

    def place(self, image: np.ndarray, person: PersonLike) -> tuple[LabelPatch, Rect] | None:
        """The label of ``person`` and where it goes in ``image``; None when nobody is visible."""
        h, w = image.shape[:2]
        kp = np.asarray(person.keypoints, dtype=np.float64)
        visible = _visible(kp, self.visibility_threshold)
        if not visible.any():
            return None
        size = _label_size(image_scale(image), self.text_size, _person_height(kp, visible), 6.0)
        head = [KEYPOINT_INDEX[n] for n in KEYPOINT_NAMES[:11] if visible[KEYPOINT_INDEX[n]]]
        top = float(kp[visible, 1].min())
        x = float(np.mean(kp[head, 0])) if head else float(np.mean(kp[visible, 0]))
        if head:
            # The crown is above the eyes by about the eyes-to-mouth distance (raised
            # hands do not push the label up: it belongs to the head).
            face_h = float(kp[head, 1].max() - kp[head, 1].min())
            top = float(kp[head, 1].min()) - max(face_h, 0.4 * size)
        colour = self.palette.track(person.track_id)
        patch = render_label(
            track_label(person.track_id, self.names), size, colour, readable_text_on(colour)
        )
        px = int(round(x - patch.width / 2))
        py = int(round(top - patch.height - size * 0.3))
        px = min(max(px, 0), max(0, w - patch.width))
        py = min(max(py, 0), max(0, h - patch.height))
        return patch, (px, py, px + patch.width, py + patch.height)


#: Below this height (pixels, in the drawn image) a person gets no angle labels: even at
#: the smallest legible text they would be larger than the limbs they name. The values
#: stay in the charts and tables.
MIN_LABELLED_PERSON_PX = 6 * MIN_TEXT_PX


@dataclass(frozen=True)
class AngleAnnotator:
    """Angle values written at the joints, e.g. ``L knee 87°``, in the side's colour.

    Values come from each person's ``angles`` mapping, or from the ``angles``
    argument (track id -> angle name -> degrees), which takes precedence. Only
    the angles in ``names`` are drawn, and only where the value is finite and
    the anchor keypoints are visible. Each label sits beside its joint, on the
    outside of that joint relative to the same joint of the other side
    (:func:`dashboard.label_layout.outward`), and moves up or down when it would
    cover a label already drawn (or the place of a :class:`TrackIdAnnotator`
    label, given as ``track_labels``); a thin leader line then joins it to the
    joint. A label with no free spot near its joint is left out rather than
    drawn over another or far away. Text is ``text_size`` pixels at a 720-pixel
    short side, at most a ninth of the person's height; a person shorter than
    :data:`MIN_LABELLED_PERSON_PX` gets no labels.
    """

    palette: Palette = PALETTE
    names: tuple[str, ...] = DEFAULT_ANGLES
    visibility_threshold: float = 0.5
    text_size: float = 15.0
    decimals: int = 0
    track_labels: TrackIdAnnotator | None = None

    def annotate(
        self,
        image: np.ndarray,
        people: Sequence[PersonLike],
        angles: Mapping[int, Mapping[str, float]] | None = None,
    ) -> np.ndarray:
        _check_image(image)
        self._labels(image, people, angles, draw=True)
        return image

    def label_boxes(
        self,
        image: np.ndarray,
        people: Sequence[PersonLike],
        angles: Mapping[int, Mapping[str, float]] | None = None,
    ) -> list[tuple[int, str, Rect]]:
        """Where :meth:`annotate` would put each label on ``image`` (drawing nothing):
        (track id, angle name, box) for every label drawn; a label left out has none."""
        _check_image(image)
        return self._labels(image, people, angles, draw=False)

    def _labels(self, image: np.ndarray, people: Sequence[PersonLike],
                angles: Mapping[int, Mapping[str, float]] | None, draw: bool
                ) -> list[tuple[int, str, Rect]]:
        taken: list[Rect] = []
        if self.track_labels is not None:
            for person in people:
                placed = self.track_labels.place(image, person)
                if placed is not None:
                    taken.append(placed[1])
        boxes: list[tuple[int, str, Rect]] = []
        for person in people:
            values = (angles or {}).get(int(person.track_id))
            if values is None:
                values = getattr(person, "angles", None) or {}
            if values:
                boxes += [(int(person.track_id), name, rect) for name, rect
                          in self._label_person(image, person, values, taken, draw)]
        return boxes

    def _label_person(self, image: np.ndarray, person: PersonLike,
                      values: Mapping[str, float], taken: list[Rect], draw: bool
                      ) -> list[tuple[str, Rect]]:
        placed: list[tuple[str, Rect]] = []
        scale = image_scale(image)
        h, w = image.shape[:2]
        kp = np.asarray(person.keypoints, dtype=np.float64)
        visible = _visible(kp, self.visibility_threshold)
        height = _person_height(kp, visible)
        if height < MIN_LABELLED_PERSON_PX:
            return placed
        size = _label_size(scale, self.text_size, height, 9.0)
        sides = layout.label_directions(kp, visible, self.names, height)
        for name in self.names:
            value = values.get(name)
            direction = sides.get(name)
            if value is None or not math.isfinite(float(value)) or direction is None:
                continue
            jx, jy = layout.anchor_at(kp, visible, name)  # type: ignore[misc]
            patch = self._patch(name, float(value), size)
            gap = size * 0.8
            x = jx + gap if direction > 0 else jx - gap - patch.width
            y = jy - patch.height / 2
            # Near its joint or not at all: at most three label heights away, and less on
            # a small person (a quarter of their height).
            reach = min(3.0 * patch.height, max(patch.height * 0.5, height / 4.0))
            rect = layout.free_spot(int(round(x)), int(round(y)), patch.width, patch.height,
                                    taken, w, h, reach)
            if rect is None:
                continue
            taken.append(rect)
            placed.append((name, rect))
            if not draw:
                continue
            lx, ly = rect[0], rect[1]
            if abs(ly - y) > patch.height * 0.5 or abs(lx - x) > 1:
                anchor_x = lx if direction > 0 else lx + patch.width
                cv2.line(
                    image, _fixed((jx, jy)), _fixed((anchor_x, ly + patch.height / 2)),
                    bgr(self.palette.side(name)), max(1, round(scale)), cv2.LINE_AA, _SHIFT,
                )
            paste(image, patch, lx, ly)
        return placed

    def _patch(self, name: str, value: float, size: int) -> LabelPatch:
        shown = round(float(value), self.decimals) + 0.0  # "0°", never "-0°"
        text = f"{angle_short_name(name)} {shown:.{self.decimals}f}°"
        colour = self.palette.side(name)
        return render_label(text, size, colour, readable_text_on(colour))
