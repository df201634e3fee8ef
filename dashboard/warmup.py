"""Start-up work done in the background on the first page load, so that the first
analysis and the first Clip view of a server do not wait for it: the default
estimator's models, every module the pages import, and the first use of the libraries
that pay a one-off cost (Plotly's figure validation and JSON, JPEG encoding).

Kept apart from :mod:`dashboard.state` because it imports the modules that import
``state`` (:mod:`dashboard.clipdata`, :mod:`dashboard.render`): ``state`` imports none
of them back.
"""

from __future__ import annotations

import ast
import gc
import importlib
import importlib.util
import logging
import threading
from pathlib import Path

import numpy as np
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from dashboard.state import DEFAULT_MAX_PEOPLE, get_estimator, timed

log = logging.getLogger(__name__)

PAGES_DIR = Path(__file__).resolve().parent / "pages"
#: Never imported ahead: training runs in a subprocess, and the server has no use for it.
NOT_AHEAD = ("tensorflow",)

_WARM_UP_LOCK = threading.Lock()
_warm_up_thread: threading.Thread | None = None


def warm_up() -> threading.Thread:
    """Do, once per server process and in the background, what the first analysis and
    the first Clip view would otherwise wait for (see the module's docstring).

    Called on the first page load, so by the time a file is uploaded the models are in
    memory and the pages' modules imported (measured under AppTest: the first Clip view
    of a process took 0.9 s against 0.2 s for later ones, most of it importing its
    panels). Returns the thread (tests wait on it).

    The pages' modules are imported only when called from a script run, whose context
    the thread carries: Streamlit registers a custom component (the player, the image
    click) only when its module is imported under a script run's context, and a module
    is imported once, so importing it bare would leave the component unserved.
    """
    global _warm_up_thread
    with _WARM_UP_LOCK:
        if _warm_up_thread is None:
            ctx = get_script_run_ctx(suppress_warning=True)
            _warm_up_thread = threading.Thread(
                target=_warm, kwargs={"pages": ctx is not None}, name="warm-up", daemon=True)
            if ctx is not None:
                add_script_run_ctx(_warm_up_thread, ctx)
            _warm_up_thread.start()
        return _warm_up_thread


def page_imports(pages_dir: Path = PAGES_DIR) -> list[str]:
    """The modules the page scripts in ``pages_dir`` import, read from their source
    (absolute imports; ``from package import name`` counts ``package.name`` when that
    is a module), sorted."""
    names: set[str] = set()
    for script in sorted(pages_dir.glob("*.py")):
        for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names
                             if _is_module(f"{node.module}.{alias.name}"))
    return sorted(n for n in names if n.split(".")[0] not in NOT_AHEAD)


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # the parent is a module, not a package
        return False


def _warm(pages: bool) -> None:
    with timed("warm_up"):  # the dashboard benchmark waits for it
        _warm_all(pages)
        if pages:  # a server: what is loaded now stays for its life
            settle_start_up_objects()


def settle_start_up_objects() -> None:
    """Move every object alive now (modules, models, Streamlit's own) out of the garbage
    collector's full passes (``gc.freeze``): they live as long as the server, and each
    full pass walked them all, about 0.1-0.2 s with the GIL held, in whichever thread
    happened to allocate (measured: 186 ms inside the first Clip view after a server
    start, 49-124 ms each at start-up). Objects made later are collected as before."""
    gc.collect()
    gc.freeze()


def _warm_all(pages: bool) -> None:
    try:
        get_estimator(DEFAULT_MAX_PEOPLE)  # the clip models; photos' load on the first photo
        import dashboard.clipdata  # noqa: F401 -- the Clip view's data and drawing
        import dashboard.render  # noqa: F401
        _first_uses()
        for name in page_imports() if pages else ():
            importlib.import_module(name)
    except Exception:  # noqa: BLE001 -- the page will load them itself and show the error
        log.exception("warming up the dashboard failed")


def _first_uses() -> None:
    """One-off first-use costs paid now, on made-up data: the Clip view's first chart in
    the shape it is first shown in (:func:`dashboard.charts.example_angles_figure`),
    Plotly's dataframe plugins and cv2's JPEG codec. (The store's Parquet reads need
    none: they read each blob as one file, which imports nothing more the first time.)"""
    import cv2

    from dashboard import charts
    from dashboard.state import DEFAULT_DISPLAY_ANGLES

    charts.example_angles_figure(DEFAULT_DISPLAY_ANGLES).to_json()
    cv2.imencode(".jpg", np.zeros((64, 64, 3), np.uint8))
