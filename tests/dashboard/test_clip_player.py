"""The Clip view's player through AppTest (issue 10, defects 1, 4 and 6): the page hands the
browser's player the clip's preview, its frame times and everyone's skeleton; a frame the
player reports when it stops becomes the page's frame and stays so; the clip ends at its
last decoded frame; portrait frames are shown no taller than the screen."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from analysis.store import Store
from dashboard.annotate import MIN_LABELLED_PERSON_PX
from dashboard.frames import build_preview
from dashboard.player import MAX_FRAME_HEIGHT_PX, fit_width
from tests.dashboard.conftest import make_synthetic_clip, squat_poses
from tests.dashboard.test_pages import media, open_page  # noqa: F401 -- the media fixture


def with_preview(store: Store, tmp_path: Path, **options) -> int:  # noqa: F811
    clip_id = make_synthetic_clip(store, tmp_path / "clips", **options)
    clip = store.get_clip(clip_id)
    build_preview(clip.stored_path, tmp_path / "data" / "previews", clip.sha256)
    return clip_id


def player_args(at) -> dict:
    def walk(node):
        for child in getattr(node, "children", {}).values():
            yield child
            yield from walk(child)

    # the player among the page's components (the Correct joints panel has one too)
    (player,) = [e for e in walk(at._tree) if getattr(e, "type", None) == "component_instance"
                 and e.proto.component_name.endswith("clip_player")]
    return json.loads(player.proto.json_args)


def frame_caption(at) -> str:
    return next(c.value for c in at.caption if c.value.startswith("Frame "))


def test_the_player_gets_the_preview_its_frame_times_and_the_skeletons(
    store: Store, tmp_path: Path, media  # noqa: F811
):
    with_preview(store, tmp_path)
    at = open_page("clip_view")
    args = player_args(at)
    assert len(args["times"]) == 90 and args["times"][30] == pytest.approx(1.0)
    assert args["frame"] == 0 and (args["width"], args["height"]) == (320, 240)
    assert args["still"].startswith("data:image/jpeg;base64,")
    video = next(v for k, v in media.items() if k in args["video_url"])
    assert video[4:8] == b"ftyp"  # the H.264 preview itself
    overlay = json.loads(next(v for k, v in media.items() if k in args["overlay_url"]))
    (person,) = overlay["people"]
    truth = squat_poses(90)
    assert person["athlete"] and person["label"] == "Anna Lee"
    np.testing.assert_allclose(np.array(person["xy"][10], dtype=float),
                               truth.keypoints[10, :, :2], atol=0.06)
    assert person["angles"]["labels"][:2] == ["L knee", "R knee"]
    stored = store.read_analysis(store.list_clips()[0].id, 0).angles["left_knee"]
    assert person["angles"]["values"][22][0] == round(float(stored.iloc[22]))


def test_the_player_puts_angle_labels_on_the_same_sides_as_the_server(
    store: Store, tmp_path: Path, media  # noqa: F811
):
    """Issue 10, defect 9: the canvas places each label outside its own joint, as the
    server's drawing does (dashboard.label_layout), and skips people too small."""
    with_preview(store, tmp_path)
    at = open_page("clip_view")
    args = player_args(at)
    overlay = json.loads(next(v for k, v in media.items() if k in args["overlay_url"]))
    (person,) = overlay["people"]
    labels = person["angles"]["labels"]
    # the synthetic squatter faces the camera: their left is on the image's right
    expected = [1 if name.startswith("L ") else -1 for name in labels]
    assert labels[:2] == ["L knee", "R knee"]
    assert all(sides == expected for sides in person["angles"]["sides"])
    assert overlay["minTall"] == MIN_LABELLED_PERSON_PX


def test_a_frame_the_player_stops_at_becomes_the_pages_frame_and_stays(
    store: Store, tmp_path: Path  # noqa: F811
):
    with_preview(store, tmp_path)
    at = open_page("clip_view")
    assert frame_caption(at).startswith("Frame 0 of 0–89")
    at.session_state["clip_player"] = {"frame": 40, "seq": 1}
    at.run()
    assert frame_caption(at) == "Frame 40 of 0–89 · 1.33 s"
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [s["x0"] for s in chart["layout"]["shapes"] if s.get("x0") == s.get("x1")] == [
        pytest.approx(40 / 30)]
    assert player_args(at)["frame"] == 40
    # Any other control afterwards keeps the frame (it used to jump to the last one).
    at.toggle(key="clip_raw").set_value(False).run()
    assert frame_caption(at).startswith("Frame 40 of")
    assert player_args(at)["frame"] == 40


def test_the_clip_ends_at_its_last_decoded_frame(store: Store, tmp_path: Path):  # noqa: F811
    # A header that promised 110 frames for 90 decoded ones (clips stored before the
    # pipeline counted decoded frames): the player and the page end at frame 89.
    clip_id = with_preview(store, tmp_path)
    with store._writing() as session:
        from analysis.store.models import Clip

        session.get(Clip, clip_id).frame_count = 110
    at = open_page("clip_view")
    assert frame_caption(at).startswith("Frame 0 of 0–89")
    assert len(player_args(at)["times"]) == 90


def test_portrait_frames_are_shown_no_taller_than_the_screen():
    assert fit_width(1920, 1080) == "stretch"
    width = fit_width(1080, 1920)
    assert width * 1920 / 1080 == pytest.approx(MAX_FRAME_HEIGHT_PX, abs=2)

