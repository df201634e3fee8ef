"""Reading photos and clips: content decides the type, rotation and timestamps are honoured,
frames stream with bounded memory, and every bad file raises BadInputError with a reason.

The helpers at the top write small synthetic photos and clips (PyAV encodes the clips);
``tests/estimator/test_cli.py`` reuses them.
"""

from __future__ import annotations

import gc
import os
import struct
import threading
import weakref
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from estimator.errors import BadInputError
from estimator.video import (
    Frame,
    _prefetched,
    iter_frames,
    media_kind,
    probe,
    quiet_native_stderr,
    sniff,
)

RED = (0, 0, 255)  # BGR


# --------------------------------------------------------------------------- synthetic media


def marked_image(width: int = 64, height: int = 48, shade: int = 0) -> np.ndarray:
    """(H, W, 3) BGR: red top-left quadrant on a grey background, to see rotations."""
    image = np.full((height, width, 3), shade, np.uint8)
    image[: height // 2, : width // 2] = RED
    return image


def red_corner(image: np.ndarray) -> str:
    """Which corner of an image is red: "top_left", "top_right", ..."""
    h, w = image.shape[:2]
    corners = {"top_left": image[2, 2], "top_right": image[2, w - 3],
               "bottom_left": image[h - 3, 2], "bottom_right": image[h - 3, w - 3]}
    (found,) = [name for name, px in corners.items() if px[2] > 150 and px[0] < 100]
    return found


def write_clip(path: Path, n_frames: int = 10, width: int = 64, height: int = 48,
               fps: int = 30, pts_ms: list[int] | None = None, codec: str = "libx264",
               container_format: str | None = None) -> Path:
    """A small clip: frame i is ``marked_image`` with background shade 10*i.

    ``pts_ms`` gives each frame's presentation time in milliseconds (variable rate,
    late start); by default frames are 1/fps apart from 0. ``container_format``
    (e.g. "mp4") overrides the one FFmpeg guesses from the file name.
    """
    with av.open(str(path), "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if pts_ms is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
        for i in range(n_frames if pts_ms is None else len(pts_ms)):
            frame = av.VideoFrame.from_ndarray(marked_image(width, height, 10 * i % 250),
                                               format="bgr24")
            if pts_ms is not None:
                frame.pts, frame.time_base = pts_ms[i], Fraction(1, 1000)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def write_empty_clip(path: Path, codec: str = "mpeg4") -> Path:
    """A container with a video stream but no frame in it (AVI keeps such a stream)."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        container.start_encoding()
    return path


def _boxes(data: bytes | bytearray, start: int, end: int):
    while start + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, start)
        yield kind, start, size
        start += size


def set_mp4_rotation(path: Path, degrees: int) -> None:
    """Write a phone's display rotation into the MP4 track header (tkhd) matrix.

    This is where phones store it; FFmpeg reads it as the display matrix and
    OpenCV turns the frames. ``degrees`` is clockwise, as shown by players.
    """
    data = bytearray(path.read_bytes())
    one, w_one = 0x10000, 1 << 30
    for kind, moov, size in _boxes(data, 0, len(data)):
        if kind != b"moov":
            continue
        for kind2, trak, size2 in _boxes(data, moov + 8, moov + size):
            if kind2 != b"trak":
                continue
            for kind3, tkhd, _ in _boxes(data, trak + 8, trak + size2):
                if kind3 != b"tkhd":
                    continue
                version = data[tkhd + 8]
                matrix_at = tkhd + 12 + (32 if version == 1 else 20) + 16
                w, h = (v >> 16 for v in struct.unpack_from(">II", data, matrix_at + 36))
                matrix = {90: (0, one, 0, -one, 0, 0, h * one, 0, w_one),
                          180: (-one, 0, 0, 0, -one, 0, w * one, h * one, w_one),
                          270: (0, -one, 0, one, 0, 0, 0, w * one, w_one)}[degrees]
                struct.pack_into(">9i", data, matrix_at, *matrix)
    path.write_bytes(bytes(data))


def jpeg_with_exif_orientation(image: np.ndarray, orientation: int) -> bytes:
    """JPEG bytes carrying an EXIF Orientation tag (6 = turn 90 degrees clockwise to view)."""
    ok, encoded = cv2.imencode(".jpg", image)
    assert ok
    tiff = b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", 1)
    tiff += struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">I", 0)
    app1 = b"Exif\x00\x00" + tiff
    segment = b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1
    return b"\xff\xd8" + segment + encoded[2:].tobytes()


def photo_bytes(ext: str, image: np.ndarray | None = None) -> bytes:
    ok, encoded = cv2.imencode(ext, marked_image() if image is None else image)
    assert ok
    return encoded.tobytes()


# --------------------------------------------------------------------------- photos


@pytest.mark.parametrize("ext", [".jpg", ".png", ".webp", ".bmp"])
def test_photo_is_one_frame_at_time_zero(tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"photo{ext}"
    path.write_bytes(photo_bytes(ext))
    info = probe(path)
    assert (info.kind, info.width, info.height, info.fps, info.frame_count) == ("image", 64, 48,
                                                                                 0.0, 1)
    (frame,) = list(iter_frames(path))
    assert (frame.index, frame.time) == (0, 0.0)
    assert frame.image.shape == (48, 64, 3) and frame.image.dtype == np.uint8
    assert red_corner(frame.image) == "top_left"


def test_content_decides_not_the_name(tmp_path: Path) -> None:
    photo_named_clip = tmp_path / "really_a_photo.mp4"
    photo_named_clip.write_bytes(photo_bytes(".jpg"))
    clip_named_photo = write_clip(tmp_path / "really_a_clip.jpg", n_frames=5,
                                  container_format="mp4")
    assert probe(photo_named_clip).kind == "image"
    assert probe(clip_named_photo).kind == "video"
    assert len(list(iter_frames(clip_named_photo))) == 5


def test_media_kind_reads_content_without_decoding(tmp_path: Path) -> None:
    photo = tmp_path / "x.mp4"
    photo.write_bytes(photo_bytes(".png"))
    assert media_kind(photo) == "image"
    assert media_kind(write_clip(tmp_path / "y.png", 2, container_format="mp4")) == "video"
    with pytest.raises(BadInputError, match="empty"):
        (tmp_path / "z.jpg").touch()
        media_kind(tmp_path / "z.jpg")


def test_photo_exif_orientation_is_applied(tmp_path: Path) -> None:
    path = tmp_path / "portrait.jpg"
    path.write_bytes(jpeg_with_exif_orientation(marked_image(64, 48), orientation=6))
    info = probe(path)
    assert (info.width, info.height) == (48, 64)
    (frame,) = list(iter_frames(path))
    assert red_corner(frame.image) == "top_right"


def test_sniff_recognises_each_supported_format(tmp_path: Path) -> None:
    assert sniff(photo_bytes(".jpg")[:64]) == ("image", "JPEG")
    assert sniff(photo_bytes(".png")[:64]) == ("image", "PNG")
    assert sniff(photo_bytes(".webp")[:64]) == ("image", "WebP")
    assert sniff(photo_bytes(".bmp")[:64]) == ("image", "BMP")
    for ext, fmt in [("mp4", "MP4/MOV"), ("mov", "MP4/MOV"), ("mkv", "MKV")]:
        assert sniff(write_clip(tmp_path / f"c.{ext}", 2).read_bytes()[:4096]) == ("video", fmt)
    assert sniff(write_clip(tmp_path / "c.webm", 2, codec="libvpx").read_bytes()[:64]) == (
        "video", "WebM")
    assert sniff(write_clip(tmp_path / "c.avi", 2, codec="mpeg4").read_bytes()[:64]) == (
        "video", "AVI")
    assert sniff(b"hello, this is text") is None


# --------------------------------------------------------------------------- clips


@pytest.mark.parametrize(("ext", "codec"), [("mp4", "libx264"), ("mov", "libx264"),
                                             ("avi", "mpeg4"), ("mkv", "libx264"),
                                             ("webm", "libvpx")])
def test_clip_frames_in_order_with_container_times(tmp_path: Path, ext: str, codec: str) -> None:
    path = write_clip(tmp_path / f"clip.{ext}", n_frames=12, fps=25, codec=codec)
    info = probe(path)
    assert (info.kind, info.width, info.height, info.rotation) == ("video", 64, 48, 0)
    assert info.fps == pytest.approx(25, rel=0.05)
    frames = list(iter_frames(path))
    assert [f.index for f in frames] == list(range(12))
    np.testing.assert_allclose([f.time for f in frames], np.arange(12) / 25, atol=1e-3)
    # Background shade 10*i tells the frames apart: they come in display order.
    shades = [int(f.image[40, 60].mean()) for f in frames]
    assert shades == sorted(shades)
    assert all(f.image.shape == (48, 64, 3) and f.image.dtype == np.uint8 for f in frames)


@pytest.mark.parametrize(("degrees", "size", "corner"), [
    (90, (48, 64), "top_right"), (180, (64, 48), "bottom_right"), (270, (48, 64), "bottom_left")])
def test_phone_rotation_metadata_turns_frames(tmp_path: Path, degrees: int,
                                              size: tuple[int, int], corner: str) -> None:
    path = write_clip(tmp_path / "phone.mp4", n_frames=4, width=64, height=48)
    set_mp4_rotation(path, degrees)
    info = probe(path)
    assert (info.width, info.height, info.rotation) == (*size, degrees)
    for frame in iter_frames(path):
        assert frame.image.shape[1::-1] == size
        assert red_corner(frame.image) == corner


def test_variable_frame_rate_keeps_true_times(tmp_path: Path) -> None:
    pts = [0, 33, 66, 150, 160, 170, 400, 433]
    path = write_clip(tmp_path / "vfr.mp4", pts_ms=pts)
    times = [f.time for f in iter_frames(path)]
    np.testing.assert_allclose(times, np.array(pts) / 1000, atol=1e-3)


@pytest.mark.parametrize("ext", ["mp4", "mkv"])
def test_clip_starting_late_is_timed_from_its_first_frame(tmp_path: Path, ext: str) -> None:
    path = write_clip(tmp_path / f"late.{ext}", pts_ms=[1500, 1540, 1580, 1620])
    times = [f.time for f in iter_frames(path)]
    np.testing.assert_allclose(times, [0.0, 0.04, 0.08, 0.12], atol=1e-3)


def test_prefetch_thread_and_inline_decoding_give_the_same_frames(tmp_path: Path) -> None:
    path = write_clip(tmp_path / "clip.mp4", n_frames=15)
    threaded = [(f.index, f.time, f.image.copy()) for f in iter_frames(path, prefetch=3)]
    inline = [(f.index, f.time, f.image.copy()) for f in iter_frames(path, prefetch=0)]
    assert [t[:2] for t in threaded] == [t[:2] for t in inline]
    assert all(np.array_equal(a[2], b[2]) for a, b in zip(threaded, inline, strict=True))


def _decoder_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "estimator-frame-decoder"]


def test_stopping_early_ends_the_decoder_thread(tmp_path: Path) -> None:
    path = write_clip(tmp_path / "clip.mp4", n_frames=60)
    frames = iter_frames(path, prefetch=2)
    first = [next(frames) for _ in range(3)]
    assert [f.index for f in first] == [0, 1, 2]
    assert len(_decoder_threads()) == 1
    frames.close()
    assert _decoder_threads() == []


def test_leaving_a_for_loop_early_ends_the_decoder_thread(tmp_path: Path) -> None:
    path = write_clip(tmp_path / "clip.mp4", n_frames=60)

    def first_index_after(t: float) -> int:
        for frame in iter_frames(path):
            if frame.time > t:
                return frame.index
        return -1

    assert first_index_after(0.1) == 4
    gc.collect()
    assert _decoder_threads() == []


def test_memory_holds_a_bounded_number_of_frames(tmp_path: Path) -> None:
    """However long the clip, only prefetch + a few frames are alive at once."""
    path = write_clip(tmp_path / "long.mp4", n_frames=120)
    alive: weakref.WeakSet[Frame] = weakref.WeakSet()
    most = 0
    for frame in iter_frames(path, prefetch=2):
        alive.add(frame)
        del frame
        most = max(most, len(alive))
    assert most <= 2 + 3


def test_decoder_errors_reach_the_consumer() -> None:
    """An error in the decoding thread is raised in the caller, after the frames before it."""

    def failing_decoder(stop: threading.Event):
        yield "frame 0"
        yield "frame 1"
        raise BadInputError("clip.mp4", "corrupt MP4/MOV clip")

    received = []
    with pytest.raises(BadInputError, match="corrupt"):
        for item in _prefetched(failing_decoder, (), 2):
            received.append(item)
    assert received == ["frame 0", "frame 1"]
    assert _decoder_threads() == []


@pytest.mark.media
def test_real_clip_streams_all_frames(parkour_clip: Path) -> None:
    info = probe(parkour_clip)
    assert (info.kind, info.width, info.height, info.frame_count) == ("video", 1768, 994, 230)
    assert info.fps == pytest.approx(30.0)
    times = [frame.time for frame in iter_frames(parkour_clip)]
    assert len(times) == 230
    assert times[-1] == pytest.approx(229 / 30, abs=1e-3)


# --------------------------------------------------------------------------- bad input


def _reason(path: Path) -> str:
    with pytest.raises(BadInputError) as caught:
        probe(path)
    assert caught.value.path == str(path)
    with pytest.raises(BadInputError):
        iter_frames(path)  # raised at once, before the first frame is asked for
    return caught.value.reason


def test_missing_file(tmp_path: Path) -> None:
    assert _reason(tmp_path / "nope.mp4") == "file not found"


def test_folder(tmp_path: Path) -> None:
    assert "folder" in _reason(tmp_path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.touch()
    assert _reason(path) == "empty file (0 bytes)"


def test_text_named_as_clip(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("squat session, 3 sets of 5\n")
    assert _reason(path).startswith("is a text file")


def test_random_bytes_named_as_photo(tmp_path: Path) -> None:
    path = tmp_path / "broken.jpg"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 5000, np.uint8).tobytes())
    assert "not recognised" in _reason(path)


def test_jpeg_with_garbage_body_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "garbled.jpg"
    good = photo_bytes(".jpg", np.random.default_rng(1).integers(0, 255, (64, 64, 3), np.uint8))
    body = np.random.default_rng(2).integers(0, 256, len(good), np.uint8).tobytes()
    path.write_bytes(good[:2] + b"\xff\xdb" + body + b"\xff\xd9")
    reason = _reason(path)
    assert reason.startswith("corrupt") or reason.startswith("truncated")


@pytest.mark.parametrize("ext", [".jpg", ".png", ".bmp", ".webp"])
def test_truncated_photo(tmp_path: Path, ext: str) -> None:
    image = np.random.default_rng(3).integers(0, 255, (120, 160, 3), np.uint8)
    data = photo_bytes(ext, image)
    path = tmp_path / f"cut{ext}"
    path.write_bytes(data[: len(data) * 2 // 3])
    assert _reason(path).startswith("truncated")


def test_truncated_clip(tmp_path: Path) -> None:
    whole = write_clip(tmp_path / "whole.mp4", n_frames=30).read_bytes()
    path = tmp_path / "cut.mp4"
    path.write_bytes(whole[: len(whole) // 2])
    assert _reason(path).startswith("truncated")


@pytest.mark.media
def test_truncated_real_clip(tmp_path: Path, parkour_clip: Path) -> None:
    path = tmp_path / "parkour_cut.mp4"
    path.write_bytes(parkour_clip.read_bytes()[:300_000])
    reason = _reason(path)
    assert reason.startswith("truncated") and "3968304" in reason


@pytest.mark.parametrize("ext", ["mkv", "avi"])
def test_truncated_other_containers(tmp_path: Path, ext: str) -> None:
    whole = write_clip(tmp_path / f"whole.{ext}", n_frames=30, codec="mpeg4").read_bytes()
    path = tmp_path / f"cut.{ext}"
    path.write_bytes(whole[: len(whole) // 2])
    assert _reason(path).startswith("truncated")


def test_zero_frame_clip(tmp_path: Path) -> None:
    assert _reason(write_empty_clip(tmp_path / "empty.avi")) == "the clip has zero frames"


def test_mp4_without_video(tmp_path: Path) -> None:
    path = write_empty_clip(tmp_path / "empty.mp4", codec="libx264")
    assert _reason(path).startswith("contains no video")


def test_unsupported_formats_are_named(tmp_path: Path) -> None:
    heic = tmp_path / "IMG_0001.jpg"
    heic.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(100))
    assert "HEIC" in _reason(heic)
    gif = tmp_path / "anim.gif"
    gif.write_bytes(b"GIF89a" + bytes(100))
    assert "GIF" in _reason(gif)


def test_quiet_native_stderr_always_gives_fd2_back() -> None:
    """Nested and concurrent uses (several decodes at once) restore the real stderr."""
    before = os.fstat(2)
    barrier = threading.Barrier(4)

    def decode_quietly() -> None:
        with quiet_native_stderr():
            barrier.wait(timeout=10)
            with quiet_native_stderr():
                pass

    workers = [threading.Thread(target=decode_quietly) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    after = os.fstat(2)
    assert (after.st_dev, after.st_ino) == (before.st_dev, before.st_ino)
