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
