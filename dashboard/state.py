"""What the pages share: the store, the estimator, the data folder and user-error display.

Long-lived objects are Streamlit resources, created once per server process:
the :class:`~analysis.store.Store` per database URL (``POSTURE_DB_URL`` is read
on every call, so tests may point the app at their own database) and the
:class:`~estimator.PoseEstimator` per number of people and landmark model (its models
load once; the
default one starts loading in the background on the first page load,
:func:`dashboard.warmup.warm_up`).

Files the dashboard keeps (uploads, previews for the frame slider, exported
clips) live under :func:`data_dir`: ``$POSTURE_DATA_DIR``, else the project's
``data/`` folder, beside the default database.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import streamlit as st

from analysis import AnalysisError, Store
from analysis.store import default_url
from dashboard.escape import md
from estimator import EstimatorError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR_ENV = "POSTURE_DATA_DIR"

#: Session-state keys shared between pages.
CURRENT_CLIP = "current_clip_id"
CURRENT_ATHLETE = "current_athlete_id"
#: Angles drawn on frames and charted (a plain key: it outlives the widgets that set it).
DISPLAY_ANGLES = "display_angles"
DEFAULT_DISPLAY_ANGLES: tuple[str, ...] = (
    "left_knee", "right_knee", "left_hip", "right_hip", "left_elbow", "right_elbow",
)


def display_angles() -> list[str]:
    """The angles the user chose to see (the default set until they choose)."""
    return list(st.session_state.get(DISPLAY_ANGLES, DEFAULT_DISPLAY_ANGLES))


def upload_limit_mb() -> int:
    """Largest upload accepted, in MB (``server.maxUploadSize``, .streamlit/config.toml)."""
    return int(st.get_option("server.maxUploadSize"))


def data_dir() -> Path:
    """Where uploads, previews and exports are kept (created when missing)."""
    folder = Path(os.environ.get(DATA_DIR_ENV) or PROJECT_ROOT / "data")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def uploads_dir() -> Path:
    folder = data_dir() / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def previews_dir() -> Path:
    return data_dir() / "previews"


def exports_dir() -> Path:
    folder = data_dir() / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@st.cache_resource(show_spinner=False)
def _store_for(url: str) -> Store:
    return Store(url)


def get_store() -> Store:
    """The store of ``$POSTURE_DB_URL`` (default SQLite ``data/posture.db``), opened once,
    as the signed-in user may use it.

    Every page reads and changes data through this: with sign-in on (``POSTURE_AUTH``)
    it is a :class:`~dashboard.access.ScopedStore` that sees only the user's athletes
    and refuses what their role may not do; with sign-in off, the store itself.
    """
    from dashboard import auth
    from dashboard.access import ScopedStore

    store = _store_for(default_url())
    access = auth.current_access()
    if access.role == "open":
        return store
    return ScopedStore(store, access, auth.users_path())  # type: ignore[return-value]


#: The Analyse page's default for "People to analyse": its estimator is loaded at start.
DEFAULT_MAX_PEOPLE = 4

#: Estimators by people limit (the verified weights) or (people limit, trained model name).
_ESTIMATORS: dict[int | tuple[int, str], Any] = {}
_ESTIMATORS_LOCK = threading.Lock()


def get_estimator(max_people: int, model: str | None = None):  # -> estimator.PoseEstimator
    """The pose estimator for up to ``max_people`` people reading with ``model`` (a
    trained landmark model's name, None: the verified BlazePose weights); its models load
    once per process.

    A trained model is found under the data folder and checked
    (:func:`estimator.finetune.registry.load`) when first asked for: one that is unknown
    or fails its checks raises its one-line ``ModelError`` (an EstimatorError, shown by
    :func:`user_errors`).

    A plain process-wide cache rather than ``st.cache_resource``:
    :func:`dashboard.warmup.warm_up` fills it from a thread of its own, outside any
    script run.
    """
    # The default keeps its plain key (the warm-up's, which tests look for).
    key: int | tuple[int, str] = int(max_people) if not model else (int(max_people), model)
    with _ESTIMATORS_LOCK:
        estimator = _ESTIMATORS.get(key)
        if estimator is None:
            from estimator import PoseEstimator
            from estimator.finetune.registry import resolve

            estimator = _ESTIMATORS[key] = PoseEstimator(
                max_people=int(max_people), landmark_model=resolve(model))
        return estimator


USER_ERRORS: tuple[type[BaseException], ...] = (AnalysisError, EstimatorError)


@contextlib.contextmanager
def user_errors(prefix: str = "") -> Iterator[None]:
    """Show a user's mistake (bad file, unknown clip, locked database) as one ``st.error`` line.

    The block stops at the error; the page goes on after it. Bugs keep their
    traceback (they are not the user's to fix). The message often quotes what the user
    typed (a name, a title), so it is shown as plain text (:func:`dashboard.escape.md`).
    """
    try:
        yield
    except USER_ERRORS as error:
        st.error(md(f"{prefix}{one_line(error)}"))


def one_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


TIMING_LOG_ENV = "POSTURE_TIMING_LOG"
_TIMING_LOCK = threading.Lock()


@contextlib.contextmanager
def timed(what: str) -> Iterator[None]:
    """Append ``<what> <milliseconds> <end in Unix seconds>`` to ``$POSTURE_TIMING_LOG``
    when it is set (the dashboard benchmark reads it); does nothing otherwise. Never shown
    on a page."""
    path = os.environ.get(TIMING_LOG_ENV)
    if not path:
        yield
        return
    start = time.perf_counter()
    try:
        yield
    finally:
        ms = (time.perf_counter() - start) * 1000.0
        with _TIMING_LOCK, open(path, "a", encoding="utf-8") as log:
            log.write(f"{what} {ms:.2f} {time.time():.3f}\n")
