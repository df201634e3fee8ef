"""The One Euro filter, as MediaPipe applies it to the auxiliary landmarks before the next ROI.

MediaPipe's pose graph (``pose_landmark_filtering``) smooths the two
auxiliary landmarks (hip centre and scale point) with a One Euro filter
(Casiez, Roussel and Vogel, CHI 2012) before the next frame's ROI is built
from them, with ``min_cutoff 0.01 Hz``, ``beta 10`` and ``derivate_cutoff
1 Hz``, speeds measured in object sizes per second. We keep the first two and
estimate the speed faster (5 Hz, see :data:`AUX_DERIVATE_CUTOFF_HZ`). Building the ROI from the
raw auxiliary landmarks instead lets one misread frame throw the next crop
off the person (a collapsed skeleton the frame after); the heavy low-speed
smoothing keeps the crop still while the athlete is still, and the speed term
lets it follow a fast movement within a frame or two.

For each coordinate, with ``dt`` the seconds since the previous sample:

- ``speed = lowpass((x - x_prev_raw) / dt / scale, derivate_cutoff)``;
- ``cutoff = min_cutoff + beta * |speed|``;
- ``x_hat = lowpass(x, cutoff)``,

where ``lowpass(v, fc)`` is the exponential smoother with
``alpha = 1 / (1 + tau / dt)``, ``tau = 1 / (2 pi fc)``.
"""

from __future__ import annotations

import math

import numpy as np

#: MediaPipe's settings for the auxiliary landmarks (``pose_landmark_filtering.pbtxt``).
AUX_MIN_CUTOFF_HZ = 0.01
AUX_BETA = 10.0
#: MediaPipe uses 1 Hz; its tracker re-detects a person it loses. Ours follows through
#: back flips with the landmark model alone, where a speed estimate that takes ~5 frames
#: to rise lags the crop behind the turn (the flip of parkour_walk.mp4 was lost for 14
#: frames at 1 Hz, 1 frame at 5 Hz, with the one-frame collapse at frame 17 gone either way).
AUX_DERIVATE_CUTOFF_HZ = 5.0


def _alpha(cutoff_hz: np.ndarray | float, dt: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * np.maximum(cutoff_hz, 1e-9))
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """One Euro filter over an array of values of a fixed shape (e.g. (2, 2) points).

    Parameters
    ----------
    min_cutoff_hz
        Cut-off at rest, Hz: the lower, the stiller a still signal.
    beta
        Growth of the cut-off with speed (in ``scale`` units per second).
    derivate_cutoff_hz
        Cut-off of the speed estimate, Hz.
    """

    def __init__(self, min_cutoff_hz: float = AUX_MIN_CUTOFF_HZ, beta: float = AUX_BETA,
                 derivate_cutoff_hz: float = AUX_DERIVATE_CUTOFF_HZ) -> None:
        if min_cutoff_hz <= 0 or derivate_cutoff_hz <= 0 or beta < 0:
            raise ValueError("cut-offs must be positive and beta non-negative")
        self.min_cutoff_hz = min_cutoff_hz
        self.beta = beta
        self.derivate_cutoff_hz = derivate_cutoff_hz
        self.reset()

    def reset(self) -> None:
        """Forget the past: the next value passes unchanged."""
        self._time: float | None = None
        self._raw: np.ndarray | None = None
        self._value: np.ndarray | None = None
        self._speed: np.ndarray | None = None

    def __call__(self, value: np.ndarray, time_s: float, scale: float = 1.0) -> np.ndarray:
        """The filtered value at ``time_s`` (seconds); ``scale`` is the object's size.

        A value of another shape than the last, a time not after the last, or a
        non-finite value restarts the filter from this value.
        """
        x = np.asarray(value, dtype=np.float64)
        if (self._time is None or self._raw is None or self._raw.shape != x.shape
                or not time_s > self._time or not np.isfinite(x).all()):
            self._time, self._raw, self._value = time_s, x.copy(), x.copy()
            self._speed = np.zeros_like(x)
            return x.copy()
        dt = time_s - self._time
        speed = (x - self._raw) / (dt * max(scale, 1e-9))
        self._speed = self._speed + _alpha(self.derivate_cutoff_hz, dt) * (speed - self._speed)
        cutoff = self.min_cutoff_hz + self.beta * np.abs(self._speed)
        self._value = self._value + _alpha(cutoff, dt) * (x - self._value)
        self._time, self._raw = time_s, x.copy()
        return self._value.copy()
