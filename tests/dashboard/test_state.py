"""What the pages share: the estimator is loaded once per server, in the background."""

from __future__ import annotations

from dashboard import state, warmup


def test_the_default_estimator_loads_in_the_background_once_per_process():
    thread = warmup.warm_up()
    assert warmup.warm_up() is thread  # a second page load starts nothing new
    thread.join(120)
    assert not thread.is_alive()
    assert state.DEFAULT_MAX_PEOPLE in state._ESTIMATORS  # loaded by the thread
    estimator = state.get_estimator(state.DEFAULT_MAX_PEOPLE)
    assert estimator.max_people == state.DEFAULT_MAX_PEOPLE
    assert state.get_estimator(state.DEFAULT_MAX_PEOPLE) is estimator


def test_the_warm_up_imports_what_the_pages_import_but_tensorflow():
    modules = warmup.page_imports()
    # the Clip view's panels and players, the Live page's WebRTC, the charts
    assert {"dashboard.player", "dashboard.joints_panel", "dashboard.notes_panel",
            "dashboard.charts", "streamlit_webrtc"} <= set(modules)
    assert not any(m.split(".")[0] == "tensorflow" for m in modules)
    assert modules == sorted(set(modules))


def test_the_start_up_objects_are_left_out_of_later_full_collections():
    import gc

    gc.unfreeze()  # an earlier warm-up in this process may have frozen them already
    alive = gc.get_objects()
    try:
        warmup.settle_start_up_objects()
        assert gc.get_freeze_count() >= len(alive) * 0.9  # what lived then is frozen
        garbage = [[] for _ in range(1000)]
        for item in garbage:
            item.append(item)  # cycles: only the collector frees them
        del garbage, item
        assert gc.collect() >= 1000  # made later: still collected
    finally:
        gc.unfreeze()
