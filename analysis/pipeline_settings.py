"""How a file is analysed: :class:`PipelineSettings`, and what is checked or recorded of it.

- :class:`PipelineSettings` (people to follow, clean-up, athlete height, repetitions) and its
  (de)serialisation (:meth:`~PipelineSettings.to_dict`, :meth:`~PipelineSettings.from_dict`),
  as kept with a clip (``Clip.settings``) and sent to batch workers;
- :func:`check_frame_rate`: a clip whose frame rate the low-pass cannot use is refused
  before anything is estimated or written;
- ``_recorded_settings``: what a clip records it was analysed with.

Re-exported by :mod:`analysis.pipeline`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from analysis.errors import AnalysisError
from analysis.filtering import CleanSettings
from analysis.repetitions import RepSettings


@dataclass(frozen=True)
class PipelineSettings:
    """How a file is analysed; recorded with the clip (``Clip.settings``).

    Attributes
    ----------
    max_people
        Most people the estimator follows in a clip (or finds in a photo). When a
        ready ``estimator`` is passed to :func:`run_file`, its own limit applies (and is
        what the clip records).
    clean
        Clean-up of the angle signals (outliers, gaps, low-pass), see
        :class:`analysis.filtering.CleanSettings`.
    height_m
        The athlete's height in metres, for trajectories in metres; None uses the height
        stored with the athlete, if any. Applied to the athlete's track only (by default
        the person seen in the most frames).
    repetitions
        Which angle repetitions are counted in (None: the clearest cycle) and the
        smallest range counted, see :class:`analysis.repetitions.RepSettings`.
    model
        The name of a user's trained landmark model (under the data folder's
        ``models/``, see :mod:`estimator.finetune.registry`); None: the verified
        BlazePose weights. As with ``max_people``, a ready ``estimator`` passed to
        :func:`run_file` reads with its own model, and that is what the clip records.
    """

    max_people: int = 4
    clean: CleanSettings = field(default_factory=CleanSettings)
    height_m: float | None = None
    repetitions: RepSettings = field(default_factory=RepSettings)
    model: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= int(self.max_people) <= 20:
            raise AnalysisError(f"People to analyse must be 1 to 20, got {self.max_people}.")
        if self.height_m is not None and not 0.5 <= float(self.height_m) <= 2.8:
            raise AnalysisError(f"Athlete height {self.height_m} is not in metres (0.5 to 2.8).")
        if self.model is not None and not isinstance(self.model, str):
            raise AnalysisError(f"A landmark model is named by text, not {self.model!r}.")
        if self.model in ("", "default"):  # the verified weights, recorded as None
            object.__setattr__(self, "model", None)

    def to_dict(self) -> dict[str, Any]:
        return {
            # "model" only when not the default: the records of clips read with the
            # verified weights stay as they were before models could be chosen.
            "estimator": {"max_people": int(self.max_people),
                          **({"model": self.model} if self.model is not None else {})},
            "clean": self.clean.to_dict(),
            "height_m": self.height_m,
            "repetitions": self.repetitions.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PipelineSettings:
        return cls(
            max_people=int(data.get("estimator", {}).get("max_people", 4)),
            clean=CleanSettings.from_dict(data.get("clean", {})),
            height_m=data.get("height_m"),
            repetitions=RepSettings.from_dict(data.get("repetitions", {})),
            model=data.get("estimator", {}).get("model"),
        )


def check_frame_rate(kind: str, fps: float, settings: PipelineSettings, name: str) -> None:
    """Refuse, before anything is estimated, a clip whose frame rate the low-pass cannot
    use (a cut-off at or above half the frame rate, or no frame rate at all).

    The cut-off is the user's setting and is stored with the clip: it is never changed
    behind their back, so the clip is refused with what to do instead.
    """
    clean = settings.clean
    if kind != "video" or not clean.lowpass:
        return
    if not fps > 0:
        raise AnalysisError(
            f"{name}: the clip states no frame rate, so its angle curves cannot be smoothed: "
            "turn the smoothing off")
    if clean.cutoff_hz >= fps / 2:
        raise AnalysisError(
            f"{name}: at {fps:.3g} fps the clip is too slow for the {clean.cutoff_hz:g} Hz "
            f"smoothing (it needs more than {2 * clean.cutoff_hz:g} fps): lower the cut-off "
            f"below {fps / 2:.3g} Hz, or turn the smoothing off")


def _recorded_settings(
    settings: PipelineSettings, estimator: Any, height_m: float | None
) -> dict[str, Any]:
    """What the clip is analysed with: a reused estimator's own people limit and landmark
    model win (a trained model's sha256 is recorded beside its name: the name alone could
    later be given to another model)."""
    recorded = settings.to_dict()
    max_people = getattr(estimator, "max_people", None)
    if max_people is not None:
        recorded["estimator"]["max_people"] = int(max_people)
    if hasattr(estimator, "landmark_model"):
        recorded["estimator"].pop("model", None)
        model = estimator.landmark_model
        if model is not None:
            recorded["estimator"].update(model=model.name, model_sha256=model.sha256)
    recorded["height_m"] = height_m
    return recorded
