"""Rotated square ROIs: built from alignment points, cropped with one warp, mapped back."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from estimator.roi import (
    Roi,
    normalize_radians,
    roi_from_alignment,
    roi_from_auxiliary,
    roi_iou,
)


def test_upright_person_gives_an_unrotated_square_of_2_5_times_the_hip_to_scale_distance() -> None:
    roi = roi_from_alignment(np.array([100.0, 200.0]), np.array([100.0, 100.0]))
    assert roi.cx == 100.0 and roi.cy == 200.0
    assert roi.size == pytest.approx(2 * 100 * 1.25)
    assert roi.rotation == pytest.approx(0.0)


def test_person_lying_head_right_is_turned_so_the_head_is_up_in_the_crop() -> None:
    centre, head = np.array([300.0, 300.0]), np.array([400.0, 300.0])
    roi = roi_from_alignment(centre, head)
    assert roi.rotation == pytest.approx(math.pi / 2)
    # The crop's top-centre lies toward the head, to the right of the centre.
    top = roi.to_image(np.array([0.5, 0.0]))
    np.testing.assert_allclose(top, [300 + roi.size / 2, 300.0], atol=1e-9)


def test_auxiliary_landmarks_give_the_same_roi_as_alignment_points() -> None:
    aux = np.array([[50.0, 60.0, 0.0], [70.0, 10.0, 0.0]])
    assert roi_from_auxiliary(aux) == roi_from_alignment(aux[0, :2], aux[1, :2])


@pytest.mark.parametrize("rotation", [0.0, 0.3, -1.2, math.pi / 2, 3.0])
def test_points_map_to_the_crop_and_back(rotation: float) -> None:
    roi = Roi(cx=321.7, cy=155.2, size=287.3, rotation=rotation)
    points = np.random.default_rng(0).uniform(0, 640, size=(50, 2))
    back = roi.to_image(roi.from_image(points))
    np.testing.assert_allclose(back, points, atol=1e-3)


@pytest.mark.parametrize("rotation", [0.0, 0.7, -2.0])
def test_the_warp_puts_an_image_point_where_the_roi_maps_it(rotation: float) -> None:
    # A bright spot at a known image position must land, in the 256x256 crop,
    # where Roi.from_image says (sub-pixel, from the spot's centroid).
    image = np.zeros((480, 640), dtype=np.float32)
    spot = np.array([350.0, 220.0])
    yy, xx = np.mgrid[0:480, 0:640]
    image[:] = np.exp(-((xx + 0.5 - spot[0]) ** 2 + (yy + 0.5 - spot[1]) ** 2) / (2 * 6.0**2))
    roi = Roi(cx=330.0, cy=240.0, size=200.0, rotation=rotation)
    crop = roi.crop(image, 256)
    cy, cx = np.mgrid[0:256, 0:256]
    weight = crop / crop.sum()
    found = np.array([(weight * (cx + 0.5)).sum(), (weight * (cy + 0.5)).sum()])
    expected = roi.from_image(spot) * 256
    np.testing.assert_allclose(found, expected, atol=0.05)


def test_crop_matrix_matches_to_image_at_pixel_centres() -> None:
    roi = Roi(cx=200.0, cy=150.0, size=120.0, rotation=-0.4)
    m = roi.crop_matrix(256)
    q = np.array([[0.0, 0.0], [255.0, 0.0], [17.0, 201.0]])  # crop pixel indices
    via_matrix = q @ m[:, :2].T + m[:, 2]  # image pixel indices
    via_roi = roi.to_image((q + 0.5) / 256) - 0.5
    np.testing.assert_allclose(via_matrix, via_roi, atol=1e-9)


def test_crop_is_uint8_256x256_and_keeps_an_upright_crop_upright() -> None:
    image = np.zeros((400, 400, 3), dtype=np.uint8)
    image[100:150, :] = 255  # a bright horizontal band in the upper part
    roi = Roi(cx=200.0, cy=200.0, size=400.0, rotation=0.0)
    crop = roi.crop(image, 256)
    assert crop.shape == (256, 256, 3) and crop.dtype == np.uint8
    rows = crop[:, :, 0].mean(axis=1)
    assert 64 <= int(np.argmax(rows)) <= 96  # band at 100..150 of 400 -> 64..96 of 256
    # Turned by 180 degrees, the band moves to the lower part.
    flipped = Roi(cx=200.0, cy=200.0, size=400.0, rotation=math.pi).crop(image, 256)
    assert 160 <= int(np.argmax(flipped[:, :, 0].mean(axis=1))) <= 192


def test_roi_iou_of_same_disjoint_and_rotated_squares() -> None:
    a = Roi(100.0, 100.0, 50.0, 0.0)
    assert roi_iou(a, a) == pytest.approx(1.0, abs=1e-4)
    assert roi_iou(a, Roi(300.0, 100.0, 50.0, 0.0)) == 0.0
    # A square turned by 45 degrees inside itself: intersection is the octagon.
    octagon = 2 * (math.sqrt(2) - 1) * 50.0**2
    expected = octagon / (2 * 50.0**2 - octagon)
    assert roi_iou(a, Roi(100.0, 100.0, 50.0, math.pi / 4)) == pytest.approx(expected, rel=1e-3)


def test_normalize_radians_wraps_into_minus_pi_to_pi() -> None:
    assert normalize_radians(3 * math.pi / 2) == pytest.approx(-math.pi / 2)
    assert normalize_radians(-3 * math.pi / 2) == pytest.approx(math.pi / 2)
    assert normalize_radians(0.25) == pytest.approx(0.25)


def test_warp_matches_opencv_convention_for_an_integer_scale() -> None:
    # A 2x downscale of the top-left 512x512 square equals OpenCV's area-free
    # bilinear resize at the same pixel-centre convention.
    rng = np.random.default_rng(1)
    image = rng.integers(0, 255, size=(512, 512, 3), dtype=np.uint8)
    crop = Roi(256.0, 256.0, 512.0, 0.0).crop(image, 256)
    expected = cv2.resize(image, (256, 256), interpolation=cv2.INTER_LINEAR)
    assert np.abs(crop.astype(int) - expected.astype(int)).max() <= 1


@pytest.mark.parametrize("rotation", [0.0, 0.6, -2.0])
@pytest.mark.parametrize("size", [600.0, 1100.0])
def test_antialiased_crop_puts_points_where_the_plain_warp_does(rotation: float,
                                                                size: float) -> None:
    image = np.zeros((1500, 2000), dtype=np.float32)
    spot = np.array([1234.0, 777.0])
    yy, xx = np.mgrid[0:1500, 0:2000]
    image[:] = np.exp(-((xx + 0.5 - spot[0]) ** 2 + (yy + 0.5 - spot[1]) ** 2) / (2 * 20.0**2))
    roi = Roi(cx=1100.0, cy=800.0, size=size, rotation=rotation)
    crop = roi.crop(image, 256, antialias=True)
    cy, cx = np.mgrid[0:256, 0:256]
    weight = crop / crop.sum()
    found = np.array([(weight * (cx + 0.5)).sum(), (weight * (cy + 0.5)).sum()])
    np.testing.assert_allclose(found, roi.from_image(spot) * 256, atol=0.05)


def test_antialiased_crop_of_fine_stripes_is_smooth_where_the_plain_warp_aliases() -> None:
    # Stripes 2 pixels wide seen 4x smaller are finer than the crop's pixels:
    # they should blur to grey, not turn into coarse false stripes.
    image = np.zeros((1200, 1200), dtype=np.float32)
    image[:, ::4] = 1.0
    image[:, 1::4] = 1.0
    roi = Roi(cx=600.0, cy=600.0, size=1024.0 + 7.3, rotation=0.0)
    plain = roi.crop(image, 256)
    smooth = roi.crop(image, 256, antialias=True)
    assert abs(float(smooth.mean()) - 0.5) < 0.05
    assert float(smooth[:, 20:236].std()) < 0.25 * float(plain[:, 20:236].std())
