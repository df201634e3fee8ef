"""PoseEstimator: several people per photo or clip, each with a stable identity.

Photos (:meth:`PoseEstimator.estimate_image`): see :mod:`estimator.photos`.

Clips (:meth:`PoseEstimator.process`, :meth:`PoseEstimator.track`): see
:mod:`estimator.clip_session`, which follows people from frame to frame.

This module holds the models and their two inference streams
(:meth:`PoseEstimator._share`: the main thread and a worker thread, each with
its own interpreters) and the estimator's defaults. The box and duplicate
helpers live in :mod:`estimator.geometry` and are re-exported here.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from estimator.clip_session import _Session
from estimator.detector import Detection, PoseDetector
from estimator.geometry import (
    box_inside,
    box_iou,
    in_frame,
    person_box,
    remove_duplicates,
    same_person,
)
from estimator.landmarks import MIN_PRESENCE, LandmarkModel, PoseLandmarks
from estimator.movenet import MoveNetFinder, MoveNetThunder
from estimator.photos import estimate_photo
from estimator.roi import Roi
from estimator.sides import SideConsistency, SideSettings
from estimator.types import FramePoses, Person, SourceInfo
from estimator.video import Frame, in_source_pixels, iter_frames, media_kind, probe

if TYPE_CHECKING:
    from estimator.finetune.registry import UserModel

__all__ = [
    "DEFAULT_DETECT_EVERY",
    "DEFAULT_MAX_PEOPLE",
    "DEFAULT_NUM_THREADS",
    "PHOTO_MODEL",
    "PoseEstimator",
    "box_inside",
    "box_iou",
    "in_frame",
    "person_box",
    "remove_duplicates",
    "same_person",
]

T = TypeVar("T")
R = TypeVar("R")
F = TypeVar("F")

DEFAULT_MAX_PEOPLE = 4
DEFAULT_DETECT_EVERY = 2
#: XNNPACK threads per interpreter.
DEFAULT_NUM_THREADS = 2
#: Landmark model for photos: "heavy" raised PCK@0.2 on LSP-extended val from 0.680 to
#: 0.705 and cut the knee's median error from 10.2 to 9.0 degrees (bench/accuracy.py).
PHOTO_MODEL = "pose_landmark_heavy"


class PoseEstimator:
    """BlazePose GHUM (detector + landmark model), several people, photos and clips.

    Clips are read with the "full" landmark model (speed), photos with
    ``photo_model`` ("heavy" by default: more accurate, about 2.2x slower per
    reading, loaded on the first photo); or both with a user's trained
    ``landmark_model``.

    Parameters
    ----------
    max_people
        Most people per frame (1 behaves like MediaPipe's single-person Pose).
    detect_every
        While fewer than ``max_people`` are followed in a clip, the detector
        looks at one more tile of the frame every so many frames.
    num_threads
        XNNPACK threads per interpreter (default 2).
    min_detection_score, min_presence
        Thresholds on the detector's score and the landmark model's
        pose-presence score (both 0.5, MediaPipe's defaults).
    refine_heatmap
        Refine landmark positions with the model's heatmap (MediaPipe does).
    tile_photos
        Also run the detector on tiles of photos, to find small people.
    max_track_age_s
        A person unseen for longer ends their track; coming back they get a new id.
    parallel
        Run a second inference stream in a worker thread, with its own models,
        on a machine with 2 or more cores: in clips the cadence detector and
        some landmark passes, in photos half the tiles and people.
    sides
        How left/right readings are kept consistent along each track in clips
        (:class:`estimator.sides.SideSettings`); None leaves them as the model
        read them.
    photo_model
        The landmark model of the manifest used for photos
        (``"pose_landmark_heavy"`` or ``"pose_landmark_full"``).
    landmark_model
        A user's trained landmark model (:func:`estimator.finetune.registry.load`,
        which checks it), used for clips and photos alike, in both inference streams
        (``photo_model`` is then unused); None: the verified BlazePose weights.
    """

    def __init__(
        self,
        max_people: int = DEFAULT_MAX_PEOPLE,
        detect_every: int = DEFAULT_DETECT_EVERY,
        num_threads: int | None = None,
        min_detection_score: float = 0.5,
        min_presence: float = MIN_PRESENCE,
        refine_heatmap: bool = True,
        tile_photos: bool = True,
        max_track_age_s: float = 1.0,
        parallel: bool = True,
        sides: SideSettings | None = SideSettings(),  # noqa: B008 - frozen, shared safely
        photo_model: str = PHOTO_MODEL,
        landmark_model: UserModel | None = None,
    ) -> None:
        if max_people < 1:
            raise ValueError("max_people must be at least 1")
        self.max_people = int(max_people)
        self.detect_every = max(1, int(detect_every))
        self.min_presence = float(min_presence)
        self.tile_photos = tile_photos
        self.max_track_age_s = float(max_track_age_s)
        self.sides = sides
        threads = num_threads or DEFAULT_NUM_THREADS
        self.landmark_model = landmark_model
        clip_model = "pose_landmark_full" if landmark_model is None else landmark_model.path
        self.detector = PoseDetector(num_threads=threads, min_score=min_detection_score)
        self.landmarker = LandmarkModel(num_threads=threads, refine=refine_heatmap,
                                        model=clip_model)
        # Models of the worker stream (an interpreter serves one thread at a
        # time); the worker thread itself starts on first use.
        self._worker: tuple[PoseDetector, LandmarkModel] | None = None
        if parallel and (os.cpu_count() or 1) > 1:
            self._worker = (PoseDetector(num_threads=threads, min_score=min_detection_score),
                            LandmarkModel(num_threads=threads, refine=refine_heatmap,
                                          model=clip_model))
        self._pool: ThreadPoolExecutor | None = None
        self._threads, self._refine = threads, refine_heatmap
        self.photo_model = photo_model
        # Photo landmark models (main stream, worker stream), loaded on the first photo.
        self._photo_landmarkers: tuple[LandmarkModel, LandmarkModel | None] | None = None
        self._people_finder: MoveNetFinder | None = None
        self._thunder: MoveNetThunder | None = None

    @property
    def description(self) -> str:
        """What reads the poses, for the JSON's ``model`` field
        (:func:`estimator.output.model_description`)."""
        from estimator.output import model_description

        return model_description(self.landmark_model)

    def _photo_models(self) -> tuple[LandmarkModel, LandmarkModel | None]:
        if self._photo_landmarkers is None and self.landmark_model is not None:
            # One trained model for clips and photos: the clip streams' own interpreters
            # (each still serves one thread at a time).
            worker = self._worker[1] if self._worker is not None else None
            self._photo_landmarkers = (self.landmarker, worker)
        if self._photo_landmarkers is None:
            def load() -> LandmarkModel:
                return LandmarkModel(num_threads=self._threads, refine=self._refine,
                                     model=self.photo_model)
            self._photo_landmarkers = (load(), load() if self._worker is not None else None)
        return self._photo_landmarkers

    def people_finder(self) -> MoveNetFinder:
        """MoveNet MultiPose, photos' second person finder (loaded at the first photo)."""
        if self._people_finder is None:
            self._people_finder = MoveNetFinder(num_threads=self._threads)
        return self._people_finder

    def second_reader(self) -> MoveNetThunder:
        """MoveNet Thunder, photos' second landmark model (loaded at the first photo)."""
        if self._thunder is None:
            self._thunder = MoveNetThunder(num_threads=self._threads)
        return self._thunder

    def close(self) -> None:
        """Stop the worker thread (it is started again if the estimator is used again)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _share(
        self,
        items: Sequence[T],
        run: Callable[[PoseDetector, LandmarkModel, T], R],
        worker_first: Callable[[PoseDetector, LandmarkModel], F] | None = None,
        photo: bool = False,
    ) -> tuple[list[R], F | None]:
        """``run(detector, landmarker, item)`` for every item, on two inference streams.

        The main thread and the worker (which first does ``worker_first``, if
        given) take items in turn, each with its own models (an interpreter
        serves one thread at a time and releases the GIL while it runs).
        Without a worker stream, everything runs here, in order. ``photo``
        gives ``run`` the photo landmark models instead of the clip ones.
        """
        main = (self.detector, self.landmarker)
        worker = self._worker
        if photo:
            photo_main, photo_worker = self._photo_models()
            main = (self.detector, photo_main)
            if worker is not None and photo_worker is not None:
                worker = (worker[0], photo_worker)
        if worker is None or (worker_first is None and len(items) < 2):
            first = worker_first(*main) if worker_first is not None else None
            return [run(*main, item) for item in items], first
        results: list[R | None] = [None] * len(items)
        lock = threading.Lock()
        taken = [0]

        def take() -> int:
            with lock:
                taken[0] += 1
                return taken[0] - 1

        def serve(models: tuple[PoseDetector, LandmarkModel]) -> None:
            while (i := take()) < len(items):
                results[i] = run(*models, items[i])

        def work() -> F | None:
            first = worker_first(*worker) if worker_first is not None else None
            serve(worker)
            return first

        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="estimator-inference")
        future = self._pool.submit(work)
        try:
            serve(main)
        finally:
            first = future.result()
        return results, first  # type: ignore[return-value]  # every slot was filled

    def _infer(
        self,
        image: np.ndarray,
        rois: list[Roi],
        region: tuple[int, int, int, int] | None,
        scan: bool,
    ) -> tuple[list[PoseLandmarks], list[Detection]]:
        """Landmarks in each ROI and, if ``scan``, the detector on ``region`` (None: whole)."""
        poses, found = self._share(
            rois, lambda _d, lm, roi: lm(image, roi),
            (lambda d, _lm: d.detect(image, region)) if scan else None)
        return poses, found or []

    # ------------------------------------------------------------------ files

    def info(self, path: str | os.PathLike[str]) -> SourceInfo:
        """What a file is (raises :class:`~estimator.errors.BadInputError` for bad input)."""
        return probe(path)

    def process(self, path: str | os.PathLike[str]) -> Iterator[FramePoses]:
        """People in every frame of a photo or clip, streamed frame by frame.

        A photo is one frame (index 0, time 0) estimated with
        :meth:`estimate_image`; a clip is tracked with :meth:`track`.
        """
        if media_kind(path) == "image":
            for frame in iter_frames(path):  # a large photo is decoded reduced
                people = in_source_pixels(self.estimate_image(frame.image), frame)
                yield FramePoses(frame.index, frame.time, people)
            return
        yield from self.track(iter_frames(path))

    # ------------------------------------------------------------------ photos

    def estimate_image(self, image: np.ndarray) -> list[Person]:
        """People in one BGR photo (H, W, 3) uint8, largest first (ids 0, 1, ...).

        See :func:`estimator.photos.estimate_photo`.
        """
        return estimate_photo(self, image)

    # ------------------------------------------------------------------ clips

    def track(self, frames: Iterable[Frame]) -> Iterator[FramePoses]:
        """Follow people through a sequence of frames (one clip), with track ids.

        With :attr:`sides` set (the default), each person's left and right are
        kept consistent along their track (:mod:`estimator.sides`): frames come
        out ``sides.lookahead_s`` seconds after they go in, the rest at the end.
        """
        session = _Session(self)
        people = (session.step(frame) for frame in frames)
        if self.sides is None:
            yield from people
        else:
            yield from SideConsistency(self.sides).run(people)

