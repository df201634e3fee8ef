"""Two clips from the store compared: :func:`compare_stored_clips` reads each clip's
athlete track (or the track asked for) and runs :func:`analysis.comparison.compare_clips`.

Re-exported by :mod:`analysis.pipeline` and :mod:`analysis`.
"""

from __future__ import annotations

from typing import Any

from analysis.errors import AnalysisError
from analysis.store import Store


def compare_stored_clips(
    store: Store,
    clip_a: int,
    clip_b: int,
    *,
    track_a: int | None = None,
    track_b: int | None = None,
    by: str = "auto",
) -> Any:
    """:func:`analysis.comparison.compare_clips` on two stored clips (differences b - a).

    Each clip contributes one person: ``track_a`` / ``track_b``, by default the clip's
    athlete track. Raises AnalysisError for an unknown clip, a clip not analysed (yet), a
    photo (no time to normalise), or a clip with nobody in it.
    """
    from analysis.comparison import compare_clips

    tables = []
    for clip_id, track_id in ((clip_a, track_a), (clip_b, track_b)):
        clip = store.get_clip(clip_id)
        if clip.status != "done":
            raise AnalysisError(f"Clip {clip_id} is not analysed ({clip.status}).")
        if clip.kind == "photo":
            raise AnalysisError(f"Clip {clip_id} is a photo: only clips can be compared.")
        chosen = track_id if track_id is not None else clip.athlete_track
        if chosen is None:
            raise AnalysisError(f"Clip {clip_id} has nobody in it to compare.")
        tables.append(store.read_tables(clip_id, chosen, ("angles", "repetitions")))
    a, b = tables
    return compare_clips(
        a["angles"],
        b["angles"],
        by=by,
        repetitions_a=a.get("repetitions"),
        repetitions_b=b.get("repetitions"),
    )
