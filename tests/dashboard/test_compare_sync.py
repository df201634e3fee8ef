"""Compare's "Played together" (issue 10, build 3) under AppTest: the page offers side by
side and the ghost overlay, lines the clips up on repetitions or the coach's key frames,
moves the curves' cursor to where the player stopped, and exports the side by side as one
MP4 of the right size and frame count (decoded with PyAV)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import av
import numpy as np
import pytest

from analysis.store import Store
from dashboard.frames import build_preview
from tests.dashboard.conftest import make_synthetic_clip
from tests.dashboard.test_pages import media, open_page  # noqa: F401 -- the media fixture


def two_tempos(store: Store, folder: Path, previews: bool = True,  # noqa: F811
               size_b: tuple[int, int] = (320, 240)) -> tuple[int, int]:
    """A: 90 frames squatting every 1.5 s; B (opened as B): 120 frames, every 1.0 s."""
    a = make_synthetic_clip(store, folder, date=dt.date(2026, 1, 10), period_s=1.5)
    b = make_synthetic_clip(store, folder, date=dt.date(2026, 2, 10), n_frames=120,
                            period_s=1.0, size=size_b)
    if previews:
        for clip_id in (a, b):
            clip = store.get_clip(clip_id)
            build_preview(clip.stored_path, folder.parent / "data" / "previews", clip.sha256)
    return a, b


def player_args(at) -> dict:
    def walk(node):
        for child in getattr(node, "children", {}).values():
            yield child
            yield from walk(child)

    (player,) = [e for e in walk(at._tree) if getattr(e, "type", None) == "component_instance"
                 and e.proto.component_name.endswith("compare_player")]
    return json.loads(player.proto.json_args)


def sync_caption(at) -> str:
    return next(c.value for c in at.caption if c.value.startswith("A frame "))


def test_compare_offers_side_by_side_and_the_ghost_overlay(
    store: Store, tmp_path: Path, media  # noqa: F811
):
    two_tempos(store, tmp_path / "clips")
    at = open_page("compare")
    view = at.radio(key="compare_view")
    assert view.options == ["Side by side", "Overlay: B as a ghost over A"]
    args = player_args(at)
    assert args["mode"] == "side" and len(args["a"]["times"]) == 90
    assert len(args["b"]["times"]) == 120
    data = json.loads(next(v for k, v in media.items() if k in args["data_url"]))
    assert len(data["map"]) == 90 and max(data["map"]) <= 119
    assert len(data["ghost"]) == 90 and data["a"]["people"][0]["label"] == "Anna Lee"
    assert at.button(key="compare_export").label == "Side-by-side video (MP4)"
    view.set_value("overlay").run()
    assert not at.exception
    assert player_args(at)["mode"] == "overlay"
    assert any("as a ghost" in c.value for c in at.caption)
    assert not at.get("imgs")  # the player, not still frames


def test_the_curves_cursor_follows_the_frame_the_player_stopped_at(
    store: Store, tmp_path: Path, media  # noqa: F811
):
    a, b = two_tempos(store, tmp_path / "clips")
    reps_a = store.read_analysis(a, 0).repetitions
    reps_b = store.read_analysis(b, 0).repetitions
    peak_a, peak_b = int(reps_a["peak_frame"].iloc[0]), int(reps_b["peak_frame"].iloc[0])
    at = open_page("compare")
    assert at.radio(key="compare_align").value == "repetition"
    at.session_state["compare_player"] = {"frame": peak_a, "ghost": peak_b, "seq": 1}
    at.run()
    assert not at.exception
    assert sync_caption(at).startswith(f"A frame {peak_a} · B frame {peak_b} ·")
    start, end = int(reps_a["start_frame"].iloc[0]), int(reps_a["end_frame"].iloc[0])
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    cursors = [s for s in chart["layout"]["shapes"] if s.get("name") == "cursor"]
    panels = [k for k in chart["layout"] if k.startswith("xaxis")]
    assert len(cursors) == len(panels) >= 2  # one per angle's panel
    assert all(c["x0"] == pytest.approx(100 * (peak_a - start) / (end - start))
               for c in cursors)
    assert player_args(at)["frame"] == peak_a


def test_the_coachs_key_frames_line_the_clips_up_when_both_have_them(
    store: Store, tmp_path: Path, media  # noqa: F811
):
    a, b = two_tempos(store, tmp_path / "clips")
    at = open_page("compare")
    assert at.radio(key="compare_align").options == ["Repetitions (0-100 % of each)"]
    store.add_note(a, 20, "key_frame")
    store.add_note(a, 60, "key_frame")
    store.add_note(b, 50, "key_frame")
    store.add_note(b, 100, "key_frame")
    at = open_page("compare")
    at.radio(key="compare_align").set_value("key_frames").run()
    assert not at.exception
    data = json.loads(next(v for k, v in media.items() if k in player_args(at)["data_url"]))
    assert data["map"][20] == 50 and data["map"][60] == 100
    assert data["map"][40] == 75  # halfway between the key frames


def decoded(path: Path) -> tuple[int, int, int]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return stream.width, stream.height, frames


def test_the_side_by_side_exports_as_one_mp4_of_the_right_size_and_length(
    store: Store, tmp_path: Path  # noqa: F811
):
    two_tempos(store, tmp_path / "clips", size_b=(240, 320))  # B portrait
    at = open_page("compare")
    at.button(key="compare_export").click().run()
    assert not at.exception, at.exception
    (made,) = (tmp_path / "data" / "exports").glob("compare-*.mp4")
    # Both panels 240 high (the lower clip): A 320 wide, B 180 wide; one frame per A frame.
    assert decoded(made) == (500, 240, 90)
    assert len(at.get("video")) == 1
    assert any("500×240, 90 frames" in c.value for c in at.caption)


def test_the_side_by_side_shows_b_at_as_phase(store: Store, tmp_path: Path):  # noqa: F811
    """Frame by frame, the right half is B's frame at A's phase: the synthetic clips' grey
    level rises frame by frame, so each half's level tells its frame."""
    from analysis.phase_sync import frame_map
    from dashboard.clipdata import load_clip
    from dashboard.compare_export import export_side_by_side

    a, b = two_tempos(store, tmp_path / "clips", previews=False)
    data_a, data_b = load_clip(store.get_clip(a)), load_clip(store.get_clip(b))
    sync = frame_map(90, 120, np.empty((0, 2)))
    path = export_side_by_side(data_a, data_b, (0, 0), ("A", "B"), sync.b_of_a, ("left_knee",),
                               tmp_path / "out")
    def corner_levels(video: str) -> np.ndarray:  # a corner away from skeleton and tag
        with av.open(video) as container:
            return np.array([float(np.median(f.to_ndarray(format="gray")[-20:, -20:]))
                             for f in container.decode(video=0)])

    own_b = corner_levels(store.get_clip(b).stored_path)
    made = corner_levels(str(path))
    assert len(made) == 90
    # Re-encoding shifts every level alike (about 2); beyond that, within a level and a
    # half, which is two frames of B's ramp (0.67 per frame).
    gap = made - own_b[sync.b_of_a]
    assert np.abs(gap - np.median(gap)).max() <= 1.5, gap
    # and not A's frame number read in B: late in A the two differ by many levels
    assert np.abs(made[60:] - own_b[60:90]).min() > 5
    assert export_side_by_side(data_a, data_b, (0, 0), ("A", "B"), sync.b_of_a,
                               ("left_knee",), tmp_path / "out") == path  # reused
