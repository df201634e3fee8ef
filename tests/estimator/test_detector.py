"""The person detector's maths: letterbox, decoding, weighted NMS, tiles."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from estimator.anchors import ssd_anchors
from estimator.detector import (
    Detection,
    Letterbox,
    PoseDetector,
    decode,
    inside_tile,
    letterbox,
    merge_detections,
    tile_regions,
    weighted_nms,
)


def test_letterbox_of_a_wide_frame_centres_it_with_equal_bands_above_and_below() -> None:
    image = np.full((994, 1768, 3), 200, dtype=np.uint8)
    square, mapping = letterbox(image, 224)
    assert square.shape == (224, 224, 3)
    rows = np.flatnonzero(square[:, 112, 0] > 0)
    top, bottom = rows[0], 223 - rows[-1]
    assert abs(top - bottom) <= 1 and 45 <= top <= 52
    assert mapping.scale_x == pytest.approx(224 / 1768)
    assert square[0, 0, 0] == 0 and square[112, 0, 0] == 200


def test_letterbox_mapping_round_trip() -> None:
    mapping = Letterbox(0.2, 0.21, 3.0, 49.0)
    points = np.random.default_rng(0).uniform(0, 1000, size=(20, 2))
    np.testing.assert_allclose(mapping.to_image(mapping.to_input(points)), points, atol=1e-9)


@pytest.mark.parametrize("region", [None, (300, 100, 500, 500)])
def test_a_spot_in_the_image_appears_where_the_mapping_says(region) -> None:
    image = np.zeros((994, 1768, 3), dtype=np.uint8)
    spot = (700, 400)  # x, y pixel
    image[spot[1] - 8:spot[1] + 8, spot[0] - 8:spot[0] + 8] = 255
    square, mapping = letterbox(image, 224, region)
    ys, xs = np.nonzero(square[:, :, 0] > 60)
    found = np.array([xs.mean() + 0.5, ys.mean() + 0.5])
    expected = mapping.to_input(np.array([spot[0], spot[1]], dtype=float))
    np.testing.assert_allclose(found, expected, atol=0.75)


def test_decode_puts_box_and_keypoints_at_anchor_plus_offset() -> None:
    anchors = ssd_anchors()
    raw = np.zeros((2254, 12), dtype=np.float32)
    logits = np.full((2254, 1), -50.0, dtype=np.float32)
    i = 1600  # an anchor of the stride-16 grid
    raw[i] = [4, -6, 30, 40, 1, 2, 3, 4, 5, 6, 7, 8]
    logits[i] = 2.0
    boxes, kps, scores = decode(raw, logits, anchors, min_score=0.5)
    assert len(scores) == 1
    centre = anchors[i, :2] * 224 + [4, -6]
    np.testing.assert_allclose(boxes[0], [centre[0] - 15, centre[1] - 20,
                                          centre[0] + 15, centre[1] + 20], atol=1e-4)
    np.testing.assert_allclose(kps[0, 0], anchors[i, :2] * 224 + [1, 2], atol=1e-4)
    np.testing.assert_allclose(kps[0, 3], anchors[i, :2] * 224 + [7, 8], atol=1e-4)
    assert scores[0] == pytest.approx(1 / (1 + np.exp(-2.0)))


def test_decode_clips_extreme_scores_without_overflow() -> None:
    anchors = ssd_anchors()
    raw = np.zeros((2254, 12), dtype=np.float32)
    logits = np.full((2254, 1), -1e6, dtype=np.float32)
    logits[0] = 1e6
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, _, scores = decode(raw, logits, anchors, min_score=0.5)
    assert scores.tolist() == [1.0]


def test_weighted_nms_averages_overlapping_boxes_by_score_and_keeps_separate_ones() -> None:
    boxes = np.array([
        [0.0, 0.0, 10.0, 10.0],
        [1.0, 1.0, 11.0, 11.0],     # IoU with the first ~0.68: merged
        [100.0, 100.0, 110.0, 110.0],  # far away: kept on its own
    ])
    kps = np.stack([np.full((4, 2), v) for v in (0.0, 10.0, 500.0)])
    scores = np.array([0.6, 0.9, 0.7])
    out_boxes, out_kps, out_scores = weighted_nms(boxes, kps, scores, 0.3)
    assert out_scores.tolist() == [0.9, 0.7]  # best member's score, best cluster first
    expected = (0.9 * boxes[1] + 0.6 * boxes[0]) / 1.5
    np.testing.assert_allclose(out_boxes[0], expected)
    np.testing.assert_allclose(out_kps[0], np.full((4, 2), (0.9 * 10 + 0.6 * 0) / 1.5))
    np.testing.assert_allclose(out_boxes[1], boxes[2])


def test_weighted_nms_keeps_boxes_overlapping_less_than_the_threshold() -> None:
    boxes = np.array([[0.0, 0.0, 10.0, 10.0], [6.0, 0.0, 16.0, 10.0]])  # IoU = 0.25
    _, _, scores = weighted_nms(boxes, np.zeros((2, 4, 2)), np.array([0.8, 0.7]), 0.3)
    assert len(scores) == 2


@pytest.mark.parametrize("size", [(640, 218), (1768, 994), (1313, 1348), (217, 232)])
def test_tiles_are_squares_inside_the_image_covering_all_of_it(size) -> None:
    width, height = size
    covered = np.zeros((height, width), dtype=bool)
    regions = tile_regions(width, height)
    assert regions
    for x, y, w, h in regions:
        assert w == h and x >= 0 and y >= 0 and x + w <= width and y + h <= height
        covered[y:y + h, x:x + w] = True
    assert covered.all()


def test_clip_frames_get_one_level_of_tiles_of_the_short_side() -> None:
    # Two 994-pixel squares would overlap by 220 pixels, less than a quarter: three.
    assert tile_regions(1768, 994, max_levels=1) == [
        (0, 0, 994, 994), (387, 0, 994, 994), (774, 0, 994, 994)]


def _detection(hip, scale_point, face_centre) -> Detection:
    face = np.array([face_centre[0] - 5, face_centre[1] - 5, face_centre[0] + 5,
                     face_centre[1] + 5], dtype=float)
    kps = np.array([hip, scale_point, hip, scale_point], dtype=float)
    return Detection(0.9, face, kps)


def test_a_tile_detection_cut_by_an_inner_tile_edge_is_dropped() -> None:
    region = (0, 0, 500, 500)  # inner edges at x=500 and y=500 of a 1000x1000 image
    whole = _detection((250, 300), (250, 200), (250, 150))
    cut = _detection((480, 300), (480, 100), (480, 50))  # body square reaches x=730
    assert inside_tile(whole, region, 1000, 1000)
    assert not inside_tile(cut, region, 1000, 1000)
    # The same cut person at the image's own edge is kept: it is cut everywhere.
    assert inside_tile(cut, (0, 0, 500, 500), 500, 1000)


def test_the_same_person_found_at_two_zooms_is_kept_once_with_the_best_score() -> None:
    a = _detection((250, 300), (250, 200), (250, 150))
    b = Detection(0.7, a.box + 2, a.keypoints + 3)
    other = Detection(0.8, a.box + 400, a.keypoints + 400)
    merged = merge_detections([b, a, other])
    assert [d.score for d in merged] == [0.9, 0.8]


@pytest.fixture(scope="module")
def detector() -> PoseDetector:
    return PoseDetector()


def test_the_detector_finds_nobody_in_a_blank_image(detector: PoseDetector) -> None:
    for image in (np.zeros((480, 640, 3), np.uint8), np.full((720, 1280, 3), 128, np.uint8)):
        assert detector.detect(image) == []
        assert detector.detect_tiled(image) == []
