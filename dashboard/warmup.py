"""Start-up work done in the background on the first page load: the default estimator's
models and the Clip view's modules, so the first analysis and the first Clip view of a
server do not wait for them.

Kept apart from :mod:`dashboard.state` because it imports the modules that import
``state`` (:mod:`dashboard.clipdata`, :mod:`dashboard.render`): ``state`` imports none
of them back.
"""

from __future__ import annotations

import logging
import threading

from dashboard.state import DEFAULT_MAX_PEOPLE, get_estimator

log = logging.getLogger(__name__)

_WARM_UP_LOCK = threading.Lock()
_warm_up_thread: threading.Thread | None = None


def warm_up() -> threading.Thread:
    """Load, once per server process and in the background, what the first analysis and
    the first Clip view need: the default estimator's models and the Clip view's modules.

    Called on the first page load, so by the time a file is uploaded the models are in
    memory (otherwise the first analysis of a server waits about a second for them).
    Returns the thread (tests wait on it).
    """
    global _warm_up_thread
    with _WARM_UP_LOCK:
        if _warm_up_thread is None:
            _warm_up_thread = threading.Thread(target=_warm, name="warm-up", daemon=True)
            _warm_up_thread.start()
        return _warm_up_thread


def _warm() -> None:
    try:
        get_estimator(DEFAULT_MAX_PEOPLE)
        import dashboard.charts  # noqa: F401 -- plotly and the Clip view's drawing
        import dashboard.clipdata  # noqa: F401
        import dashboard.render  # noqa: F401
    except Exception:  # noqa: BLE001 -- the page will load them itself and show the error
        log.exception("warming up the dashboard failed")
