"""How the run of one file ends: :class:`FileOutcome` (the clip id, and whether the
clip was already in the session) or :class:`AnalysisCancelled`.

Re-exported by :mod:`analysis.pipeline` and :mod:`analysis`.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.errors import AnalysisError


class AnalysisCancelled(AnalysisError):
    """The user cancelled the analysis of a clip; nothing of it was kept."""


@dataclass(frozen=True)
class FileOutcome:
    """What :func:`run_file` did: the clip id, and whether the clip was already there."""

    clip_id: int
    reused: bool
