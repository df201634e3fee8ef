"""The palette: one colour per side, used by frames and charts alike."""

from __future__ import annotations

from dashboard.theme import PALETTE, bgr, readable_text_on, rgb, side_of_name


def test_sides_are_read_from_names():
    assert side_of_name("left_knee") == "left"
    assert side_of_name("right_hip_3d") == "right"
    assert side_of_name("trunk_lean") == "centre"
    assert side_of_name("L knee") == "left"


def test_left_and_right_have_their_own_colours_everywhere():
    assert PALETTE.side("left_elbow") == PALETTE.left
    assert PALETTE.side("right_elbow") == PALETTE.right
    assert PALETTE.left != PALETTE.right
    assert PALETTE.side_chart("trunk") == PALETTE.centre_chart
    assert PALETTE.side_chart("left_knee") == PALETTE.left


def test_colour_conversions():
    assert rgb("#ff8000") == (255, 128, 0)
    assert bgr("#ff8000") == (0, 128, 255)


def test_label_text_contrasts_with_its_box():
    assert readable_text_on("#ffffff") == "#111111"
    assert readable_text_on("#101010") == "#ffffff"


def test_track_colours_are_stable_per_id():
    assert PALETTE.track(2) == PALETTE.track(2 + len(PALETTE.tracks))
    assert PALETTE.track(0) != PALETTE.track(1)
