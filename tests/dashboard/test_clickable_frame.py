"""The frame a coach clicks on (joint corrections, drawings): what is sent to the browser
and how a click maps back to the clip's pixels."""

from __future__ import annotations

import base64
import json

import cv2
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.clickable_frame import SENT_WIDTH, SHOWN_WIDTH, clip_pixels


def _script(width: int, height: int) -> None:
    import numpy as np

    from dashboard.clickable_frame import clickable_frame

    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[:, : width // 2] = (255, 0, 0)  # left half red: the picture must survive
    clickable_frame(rgb, key="frame")


def _sent_image(width: int, height: int) -> tuple[str, np.ndarray, dict]:
    at = AppTest.from_function(_script, args=(width, height), default_timeout=30).run()
    assert not at.exception
    (component,) = at.get("component_instance")
    args = json.loads(component.proto.json_args)
    head, data = args["src"].split(",", 1)
    image = cv2.imdecode(np.frombuffer(base64.b64decode(data), np.uint8), cv2.IMREAD_COLOR)
    return head, image, args


def test_a_large_frame_is_sent_as_a_jpeg_at_twice_the_shown_width():
    head, image, args = _sent_image(1768, 994)
    assert head == "data:image/jpeg;base64"
    assert image.shape[:2] == (round(994 * SENT_WIDTH / 1768), SENT_WIDTH)
    assert args["width"] == SHOWN_WIDTH
    assert image[:, : SENT_WIDTH // 2 - 8, 2].mean() > 240  # red (BGR) kept on the left
    assert image[:, SENT_WIDTH // 2 + 8:].max() < 16


def test_a_small_frame_is_sent_at_its_own_size():
    _head, image, args = _sent_image(320, 240)
    assert image.shape[:2] == (240, 320)
    assert args["width"] == 320


@pytest.mark.parametrize(("click", "scale", "expected"), [
    ({"x": 320, "y": 180, "width": 640, "height": 360}, 1.0, (884.0, 497.0)),
    ({"x": 320, "y": 180, "width": 640, "height": 360}, 0.5, (1768.0, 994.0)),
    ({"x": 10, "y": 20}, 1.0, (10.0, 20.0)),  # no shown size reported: taken as drawn
])
def test_a_click_maps_to_the_clips_pixels(click, scale, expected):
    assert clip_pixels(click, (1768, 994), scale) == pytest.approx(expected, abs=0.5)
