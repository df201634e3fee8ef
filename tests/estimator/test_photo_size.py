"""Very large photos (issue 11, finding 4): refused from the header past the stated limits,
decoded reduced below them in bounded memory, and poses given back in the photo's pixels.

Sizes are read from the header before anything is decoded: a 100,000 x 100,000 PNG gave
an OpenCV traceback that stopped a whole folder, and a 20,000 x 20,000 PNG took 2.8 GB.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import tracemalloc
from pathlib import Path

import cv2
import numpy as np
import pytest

import estimator.photo_decode as photo_decode
import estimator.photo_size as photo_size
from estimator.errors import BadInputError
from estimator.photo_size import MAX_PHOTO_SIDE
from estimator.video import iter_frames, media_kind, probe
from tests.conftest import PROJECT_ROOT
from tests.estimator.png_writer import random_rows, write_plain_png, write_png
from tests.estimator.test_video import jpeg_with_exif_orientation, marked_image, red_corner


def _refused_everywhere(path: Path, reason: str) -> None:
    for read in (media_kind, probe, lambda p: list(iter_frames(p))):
        with pytest.raises(BadInputError, match=reason) as caught:
            read(path)
        assert caught.value.path == str(path) and "\n" not in str(caught.value)


def _no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args, **_kwargs):
        raise AssertionError("the photo was decoded")

    monkeypatch.setattr(cv2, "imdecode", refuse)


def test_a_100000_pixel_png_is_refused_from_its_header(tmp_path: Path, monkeypatch):
    huge = write_plain_png(tmp_path / "huge.png", 100_000, 100_000, rows=4)
    _no_decoding(monkeypatch)
    _refused_everywhere(huge, r"photo too large: 100000 x 100000 pixels; at most 30,000 "
                              r"pixels a side are read")


def _patched_jpeg(tmp_path: Path, width: int, height: int, progressive: bool) -> Path:
    """A small real JPEG whose frame header claims ``width`` x ``height``."""
    params = [cv2.IMWRITE_JPEG_PROGRESSIVE, int(progressive)]
    data = bytearray(cv2.imencode(".jpg", marked_image(), params)[1].tobytes())
    sof = data.find(b"\xff\xc2" if progressive else b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    path = tmp_path / f"claims_{width}x{height}.jpg"
    path.write_bytes(bytes(data))
    return path


def _patched_bmp(tmp_path: Path, width: int, height: int) -> Path:
    data = bytearray(cv2.imencode(".bmp", marked_image())[1].tobytes())
    struct.pack_into("<ii", data, 18, width, height)
    path = tmp_path / "claims.bmp"
    path.write_bytes(bytes(data))
    return path


def _patched_webp(tmp_path: Path, width: int, height: int) -> Path:
    data = bytearray(cv2.imencode(".webp", marked_image(), [cv2.IMWRITE_WEBP_QUALITY, 80])[1]
                     .tobytes())
    assert data[12:16] == b"VP8 "
    struct.pack_into("<HH", data, 26, width, height)
    path = tmp_path / "claims.webp"
    path.write_bytes(bytes(data))
    return path


def test_a_side_over_the_limit_is_refused_in_every_format(tmp_path: Path, monkeypatch):
    jpeg = _patched_jpeg(tmp_path, 40_000, 300, progressive=False)
    bmp = _patched_bmp(tmp_path, 300, -31_000)  # a top-down BMP: negative height
    _no_decoding(monkeypatch)
    _refused_everywhere(jpeg, "photo too large: 40000 x 300 pixels")
    _refused_everywhere(bmp, "photo too large: 300 x 31000 pixels")


@pytest.mark.parametrize("fmt", ["progressive JPEG", "BMP", "WebP", "interlaced PNG"])
def test_formats_decoded_whole_are_refused_over_100_megapixels(tmp_path: Path, monkeypatch,
                                                               fmt: str):
    if fmt == "progressive JPEG":
        path = _patched_jpeg(tmp_path, 12_000, 9_000, progressive=True)
    elif fmt == "BMP":
        path = _patched_bmp(tmp_path, 12_000, 9_000)
    elif fmt == "WebP":
        path = _patched_webp(tmp_path, 12_000, 9_000)
    else:
        path = write_plain_png(tmp_path / "interlaced.png", 12_000, 9_000, rows=2)
        data = bytearray(path.read_bytes())
        data[28] = 1  # IHDR interlace method: Adam7 (CRC is not checked before decoding)
        path.write_bytes(bytes(data))
    _no_decoding(monkeypatch)
    _refused_everywhere(path, f"photo too large for a {fmt}: 12000 x 9000 pixels "
                              r"\(108 megapixels; at most 100")


def test_a_zero_size_header_is_corrupt(tmp_path: Path):
    path = write_plain_png(tmp_path / "nothing.png", 0, 10, rows=1)
    _refused_everywhere(path, "header gives a size of 0 x 10 pixels")


# --------------------------------------------------------------------------- reduced


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Photos over 40 pixels a side are 'large'; PNG strips of 2000 bytes (a few rows)."""
    monkeypatch.setattr(photo_size, "MAX_DECODED_SIDE", 40)
    monkeypatch.setattr(photo_size, "PNG_STRIP_BYTES", 2000)


PNG_TYPES = {  # name: (colour type, bit depth)
    "grey1": (0, 1), "grey2": (0, 2), "grey8": (0, 8), "grey16": (0, 16),
    "rgb8": (2, 8), "rgb16": (2, 16), "palette4": (3, 4), "palette8": (3, 8),
    "grey-alpha8": (4, 8), "grey-alpha16": (4, 16), "rgba8": (6, 8), "rgba16": (6, 16),
}


@pytest.mark.parametrize("name", list(PNG_TYPES))
def test_a_large_png_is_decoded_in_strips_exactly_as_opencv_decodes_it_whole(
        tmp_path: Path, small_limits, name: str):
    color_type, depth = PNG_TYPES[name]
    rows, palette = random_rows(np.random.default_rng(7), 160, 96, depth, color_type)
    path = write_png(tmp_path / f"{name}.png", rows, 160, depth, color_type, palette)
    whole = cv2.imread(str(path), cv2.IMREAD_COLOR)  # every filter type, many strips
    expected = cv2.resize(whole, (40, 24), interpolation=cv2.INTER_AREA)
    (frame,) = list(iter_frames(path))
    assert frame.scale == (4.0, 4.0)
    np.testing.assert_array_equal(frame.image, expected)
    info = probe(path)
    assert (info.width, info.height) == (160, 96)  # the photo's own size


def test_a_large_png_keeps_its_exif_orientation(tmp_path: Path, small_limits):
    image = marked_image(160, 96)
    rgb = image[..., ::-1]
    exif = b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", 1)
    exif += struct.pack(">HHIHH", 0x0112, 3, 1, 6, 0) + struct.pack(">I", 0)
    path = write_png(tmp_path / "portrait.png", [bytes(r) for r in rgb.reshape(96, -1)], 160,
                     8, 2, exif=exif)
    (frame,) = list(iter_frames(path))
    assert frame.image.shape == (40, 24, 3) and frame.scale == (4.0, 4.0)
    assert red_corner(frame.image) == "top_right"
    info = probe(path)
    assert (info.width, info.height) == (96, 160)


def test_an_odd_sized_png_is_reduced_to_whole_pixels(tmp_path: Path, small_limits):
    x = np.linspace(0, 255, 159)
    y = np.linspace(0, 255, 99)[:, None]
    image = np.stack([(x + y) / 2, x + 0 * y, y + 0 * x], axis=2).astype(np.uint8)
    path = write_png(tmp_path / "odd.png", [bytes(r) for r in image.reshape(99, -1)], 159, 8, 2)
    (frame,) = list(iter_frames(path))  # reduced by 4, the last row from 3 rows
    assert frame.image.shape == (25, 40, 3)
    assert frame.scale == pytest.approx((159 / 40, 99 / 25))
    whole = cv2.resize(cv2.imread(str(path)), (40, 25), interpolation=cv2.INTER_AREA)
    assert np.abs(frame.image.astype(int) - whole).mean() < 2.0


@pytest.mark.parametrize("orientation", [1, 6])
def test_a_large_jpeg_is_decoded_reduced_by_libjpeg(tmp_path: Path, orientation: int):
    x = np.linspace(0, 255, 5000)
    y = np.linspace(0, 255, 3000)[:, None]
    image = np.stack([x + 0 * y, y + 0 * x, (x + y) / 2], axis=2).astype(np.uint8)
    image[:1500, :2500] = (0, 0, 255)
    path = tmp_path / "big.jpg"
    path.write_bytes(jpeg_with_exif_orientation(image, orientation))
    del image
    info = probe(path)
    (frame,) = list(iter_frames(path))
    if orientation == 1:
        assert (info.width, info.height) == (5000, 3000)
        assert frame.image.shape == (1500, 2500, 3) and red_corner(frame.image) == "top_left"
    else:
        assert (info.width, info.height) == (3000, 5000)
        assert frame.image.shape == (2500, 1500, 3) and red_corner(frame.image) == "top_right"
    assert frame.scale == (2.0, 2.0)


def test_a_large_png_decodes_in_a_fraction_of_its_size(tmp_path: Path, monkeypatch):
    """8000 x 8000 RGB is 192 MB decoded whole; reduced by 8 it is 3 MB, in strips."""
    monkeypatch.setattr(photo_size, "MAX_DECODED_SIDE", 1000)
    path = write_plain_png(tmp_path / "plain.png", 8000, 8000)
    tracemalloc.start()
    try:
        (frame,) = list(iter_frames(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert frame.image.shape == (1000, 1000, 3) and frame.scale == (8.0, 8.0)
    assert frame.image[500, 500, 0] == 0x30 and frame.image[100, 500, 0] == 0x80
    assert peak < 64 * 2**20, f"peak {peak / 2**20:.0f} MB"


def test_probe_then_frames_decode_a_large_photo_once(tmp_path: Path, small_limits,
                                                     monkeypatch):
    rows, _ = random_rows(np.random.default_rng(1), 160, 96, 8, 2)
    path = write_png(tmp_path / "once.png", rows, 160, 8, 2)
    calls = []
    decode = photo_size.decode_png_strips
    monkeypatch.setattr(photo_decode, "decode_png_strips",
                        lambda *a: calls.append(a) or decode(*a))
    probe(path)
    probe(path)  # the command line probes every input first, then the pipeline again
    list(iter_frames(path))
    assert len(calls) == 1
    list(iter_frames(path))  # taken: read again from the file
    assert len(calls) == 2


@pytest.mark.media
def test_people_in_a_reduced_photo_are_given_in_the_photos_pixels(media_dir: Path,
                                                                  monkeypatch):
    from estimator import PoseEstimator

    golf = media_dir / "images" / "golf.jpg"  # 1313 x 1348
    estimator = PoseEstimator(max_people=1)
    (full,) = list(estimator.process(golf))
    monkeypatch.setattr(photo_size, "MAX_DECODED_SIDE", 700)  # decoded at half size
    (frame,) = list(iter_frames(golf))
    assert frame.scale[0] == pytest.approx(2.0, abs=0.01)
    (half,) = list(estimator.process(golf))
    (a,), (b,) = full.people, half.people
    seen = (a.keypoints[:, 2] > 0.5) & (b.keypoints[:, 2] > 0.5)
    assert seen.sum() >= 20
    height = np.ptp(a.keypoints[seen, 1])
    error = np.hypot(*(a.keypoints[seen, :2] - b.keypoints[seen, :2]).T)
    assert np.median(error) < 0.03 * height, np.median(error) / height
    assert np.allclose(a.bbox[2:], b.bbox[2:], rtol=0.15)


# --------------------------------------------------------------------------- command line


def test_a_huge_photo_in_a_folder_is_one_line_and_the_others_are_analysed(tmp_path: Path):
    folder = tmp_path / "photos"
    folder.mkdir()
    cv2.imwrite(str(folder / "wall.png"), np.full((120, 160, 3), 90, np.uint8))
    write_plain_png(folder / "huge.png", 100_000, 100_000, rows=4)
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "estimator", str(folder), "--out", str(out)],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 2
    error, summary = result.stderr.splitlines()
    assert error == (f"error: {folder / 'huge.png'}: photo too large: 100000 x 100000 "
                     f"pixels; at most {MAX_PHOTO_SIDE:,} pixels a side are read "
                     "(scale it down first)")
    assert summary.startswith("1 frames, 0 people-frames")
    assert sorted(p.name for p in out.iterdir()) == ["wall.json"]

