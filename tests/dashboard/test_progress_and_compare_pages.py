"""Progress and Compare as a coach meets them after working on one athlete (issue 10,
defect 5): two sessions on one day are two points, not a stack on an axis ticking hours;
a joint keeps one colour; both pages open on the athlete just worked on."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from analysis.store import Store
from tests.dashboard.conftest import make_synthetic_clip
from tests.dashboard.test_pages import open_page

DAY = dt.date(2026, 3, 2)


def anna_twice_a_day_and_bob(store: Store, folder: Path) -> dict[str, int]:  # noqa: F811
    return {
        "morning": make_synthetic_clip(store, folder, "Anna Lee", "Morning", DAY),
        "evening": make_synthetic_clip(store, folder, "Anna Lee", "Evening", DAY, period_s=1.2),
        "bob": make_synthetic_clip(store, folder, "Bob Marsh", "Sprint", DAY),
    }


def view_clip(at, clip_id: int):
    at.switch_page("dashboard/pages/clip_view.py").run()
    at.selectbox(key="clip_view_clip").select(clip_id).run()
    assert not at.exception
    return at


def test_two_sessions_on_one_day_are_two_points_on_a_session_axis(
    store: Store, tmp_path: Path  # noqa: F811
):
    clips = anna_twice_a_day_and_bob(store, tmp_path / "clips")
    at = view_clip(open_page("analyse"), clips["evening"])
    at.switch_page("dashboard/pages/progress.py").run()
    assert not at.exception
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    axis = figure["layout"]["xaxis"]
    assert axis["type"] == "category"
    assert axis["categoryarray"] == ["2026-03-02<br>Morning", "2026-03-02<br>Evening"]
    traces = figure["data"]
    assert all(list(t["x"]) == axis["categoryarray"] for t in traces)
    # One colour per joint, the side in the line: six lines, three colours, two dashes.
    assert len(traces) == 6
    colours = {t["name"].split()[-1]: set() for t in traces}
    for t in traces:
        colours[t["name"].split()[-1]].add(t["line"]["color"])
    assert all(len(c) == 1 for c in colours.values())
    assert len({t["line"]["color"] for t in traces}) == 3
    assert {t["line"]["dash"] for t in traces} == {"solid", "dash"}
    assert axis["automargin"] and axis["title"]["standoff"] >= 10


def test_progress_opens_on_the_athlete_of_the_clip_just_viewed(
    store: Store, tmp_path: Path  # noqa: F811
):
    clips = anna_twice_a_day_and_bob(store, tmp_path / "clips")
    at = open_page("progress")
    assert at.selectbox(key="progress_athlete").value == store.find_athlete("Anna Lee").id
    view_clip(at, clips["bob"])
    at.switch_page("dashboard/pages/progress.py").run()
    assert at.selectbox(key="progress_athlete").value == store.find_athlete("Bob Marsh").id
    view_clip(at, clips["morning"])
    at.switch_page("dashboard/pages/progress.py").run()
    assert at.selectbox(key="progress_athlete").value == store.find_athlete("Anna Lee").id
    # A choice made on the page stays chosen (the athlete last viewed no longer wins).
    at.selectbox(key="progress_athlete").select(store.find_athlete("Bob Marsh").id).run()
    assert at.selectbox(key="progress_athlete").value == store.find_athlete("Bob Marsh").id
    at.run()
    assert at.selectbox(key="progress_athlete").value == store.find_athlete("Bob Marsh").id


def test_compare_opens_on_the_clip_just_viewed_against_the_same_athletes_earlier_one(
    store: Store, tmp_path: Path  # noqa: F811
):
    clips = anna_twice_a_day_and_bob(store, tmp_path / "clips")  # Bob's is the latest
    at = view_clip(open_page("analyse"), clips["evening"])
    at.switch_page("dashboard/pages/compare.py").run()
    assert not at.exception
    assert at.selectbox(key="compare_clip_B").value == clips["evening"]
    assert at.selectbox(key="compare_clip_A").value == clips["morning"]
    anna = store.find_athlete("Anna Lee").id
    assert at.selectbox(key="compare_athlete_A").value == anna
