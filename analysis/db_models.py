"""The store's tables, now :mod:`analysis.store.models`; this name keeps older imports working."""

from analysis.store.models import (  # noqa: F401
    CLIP_KINDS,
    CLIP_STATUSES,
    CORRECTION_KINDS,
    Athlete,
    Base,
    Clip,
    Correction,
    MetricChunk,
    PoseChunk,
    Track,
    TrainingSession,
    utcnow,
)
