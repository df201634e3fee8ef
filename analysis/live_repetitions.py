"""Repetitions counted while the signal arrives (the Live page), with the clips' logic.

A clip's repetitions come from :func:`analysis.repetitions.find_cycle` on the
cleaned angle signal of the whole clip (:mod:`analysis.track`). A live stream
has no end, so :class:`LiveRepCounter` keeps the last ``window_s`` seconds of
the raw angles and, every ``every_s`` seconds, runs that same chain on them:
clean-up (:func:`analysis.filtering.clean_signals`, the clips' settings), the
signal (:func:`analysis.rep_signals.rep_signal`: a column or a left/right pair)
and :func:`find_cycle` (the clips' thresholds and regularity checks).

A repetition is counted once, when a run finds it ending at least ``settle_s``
before the newest sample (the zero-phase low-pass and the end of a repetition,
back within 10 % of its valley, need a little of what follows); one already
counted (its peak within ``min_period_s`` of a counted peak) is not counted
again. So the count runs about one repetition behind while the first two are
made (clips need two repetitions to call a movement repeated), then follows
each one as it ends. Over a stream shorter than the window, the count after
:meth:`LiveRepCounter.finish` is the offline count of the same signal; the
tests check that.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.filtering import CleanSettings, clean_signals
from analysis.rep_signals import rep_signal
from analysis.repetitions import RepSettings, find_cycle

#: Fewest samples before a run is attempted (find_cycle needs a few periods anyway).
MIN_SAMPLES = 10


@dataclass(frozen=True)
class LiveReps:
    """What the counter knows now.

    Attributes
    ----------
    count
        Repetitions counted since the start (or the last :meth:`LiveRepCounter.reset`).
    last_rom
        Range of motion of the last repetition counted, degrees (NaN before the first).
    last_duration_s
        Start to end of the last repetition counted, seconds (NaN before the first).
    value
        The newest raw value of the signal, degrees (NaN when not seen).
    peaks_s
        Times (s, the stream's clock) of the peaks counted, oldest first.
    """

    count: int
    last_rom: float
    last_duration_s: float
    value: float
    peaks_s: tuple[float, ...]


class LiveRepCounter:
    """Online repetition counter on one angle or left/right pair.

    Parameters
    ----------
    angle
        A column of :func:`analysis.compute_angles` (``left_knee``) or a pair (``knee``:
        the mean of both sides where both are seen).
    settings
        Detection thresholds (:class:`RepSettings`; its ``angle`` is ignored).
    clean
        Clean-up of the raw angles (the clips' default; None for the default).
    window_s
        Seconds of signal kept and searched (a repetition longer than half of it is
        not found).
    every_s
        Seconds between two searches (a search on 60 s at 30 fps takes a few ms).
    settle_s
        A repetition is counted once it ended at least this long before the newest sample.
    """

    def __init__(self, angle: str, settings: RepSettings | None = None,
                 clean: CleanSettings | None = None, window_s: float = 60.0,
                 every_s: float = 0.5, settle_s: float = 0.25) -> None:
        self.angle = angle
        self.settings = settings or RepSettings()
        self.clean = clean or CleanSettings()
        self.window_s, self.every_s, self.settle_s = float(window_s), float(every_s), settle_s
        self.columns = ([angle] if "_" in angle and angle.split("_", 1)[0] in ("left", "right")
                        else [f"left_{angle}", f"right_{angle}", angle])
        self.reset()

    def reset(self) -> None:
        """Forget the signal and the count (a new set)."""
        self._times: deque[float] = deque()
        self._rows: deque[tuple[float, ...]] = deque()
        self._peaks: list[float] = []
        self._last_rom = float("nan")
        self._last_duration = float("nan")
        self._last_run = float("-inf")

    def push(self, time_s: float, angles: Mapping[str, float]) -> LiveReps:
        """Add one frame's raw angles (name -> degrees, NaN or absent when not seen) at
        ``time_s`` seconds (increasing); search again when ``every_s`` has passed."""
        if self._times and time_s <= self._times[-1]:
            return self.state()
        self._times.append(float(time_s))
        self._rows.append(tuple(float(angles.get(c, np.nan)) for c in self.columns))
        while self._times and self._times[0] < time_s - self.window_s:
            self._times.popleft()
            self._rows.popleft()
        if time_s - self._last_run >= self.every_s:
            self._search(final=False)
        return self.state()

    def finish(self) -> LiveReps:
        """Search once more counting every repetition that has ended (end of the stream)."""
        self._search(final=True)
        return self.state()

    def state(self) -> LiveReps:
        value = float("nan")
        if self._rows:
            value = float(self._signal(self._frame(list(self._rows)[-1:]))[-1])
        return LiveReps(len(self._peaks), self._last_rom, self._last_duration, value,
                        tuple(self._peaks))

    # ------------------------------------------------------------------ internals

    def _frame(self, rows: list[tuple[float, ...]]) -> pd.DataFrame:
        return pd.DataFrame(np.array(rows, dtype=float).reshape(len(rows), len(self.columns)),
                            columns=self.columns)

    def _signal(self, df: pd.DataFrame) -> np.ndarray:
        # Only the columns that were ever seen: a pair must not read as the single
        # column of the same name (and vice versa).
        seen = df.loc[:, df.notna().any()]
        name = self.angle
        if name in seen.columns or {f"left_{name}", f"right_{name}"} <= set(seen.columns):
            return rep_signal(seen, name)
        left, right = f"left_{name}", f"right_{name}"
        if left in seen.columns or right in seen.columns:
            side = left if left in seen.columns else right
            return seen[side].to_numpy(dtype=float)  # one side seen: that side
        return np.full(len(df), np.nan)

    def _search(self, final: bool) -> None:
        if len(self._times) < MIN_SAMPLES:
            return
        times = np.array(self._times)
        self._last_run = float(times[-1])
        fps = 1.0 / float(np.median(np.diff(times)))
        raw = self._frame(list(self._rows))
        if self.clean.lowpass and not fps > 2 * self.clean.cutoff_hz:
            return  # too few frames a second for the clips' low-pass (see pipeline)
        cleaned = clean_signals(raw.loc[:, raw.notna().any()], fps, self.clean) \
            if raw.notna().any().any() else raw
        signal = self._signal(cleaned) if len(cleaned.columns) else np.full(len(raw), np.nan)
        reps = find_cycle(signal, times, fps, self.settings).repetitions
        limit = times[-1] - (0.0 if final else self.settle_s)
        for rep in reps.itertuples():
            if rep.end_s > limit:
                continue
            if any(abs(rep.peak_s - p) < self.settings.min_period_s for p in self._peaks):
                continue
            self._peaks.append(float(rep.peak_s))
            self._peaks.sort()
            self._last_rom, self._last_duration = float(rep.rom), float(rep.duration_s)
