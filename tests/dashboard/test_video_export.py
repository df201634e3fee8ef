"""Annotated clip export: an H.264 MP4 a browser plays, as long as its source, written safely."""

from __future__ import annotations

import os
from pathlib import Path

import av
import numpy as np
import pytest

from dashboard.video_export import H264Writer, even_size, write_mp4


def coloured_frames(n: int, width: int, height: int, fps: float):
    for i in range(n):
        image = np.zeros((height, width, 3), np.uint8)
        image[:, :, 1] = 40 + (i * 7) % 200  # green ramps, so frames differ
        image[: height // 2, :, 2] = 200
        yield image, i / fps


def test_the_clip_is_h264_yuv420p_mp4_with_its_index_first(tmp_path: Path):
    out = write_mp4(coloured_frames(30, 320, 240, 25.0), tmp_path / "clip.mp4", 25.0)
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert container.format.name.startswith("mov,mp4")
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert stream.frames == 30
    data = out.read_bytes()
    assert 0 <= data.find(b"moov") < data.find(b"mdat")  # +faststart: playable while loading


def test_duration_and_rate_follow_the_source(tmp_path: Path):
    out = write_mp4(coloured_frames(230, 160, 96, 30.0), tmp_path / "clip.mp4", 30.0)
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert container.duration / 1e6 == pytest.approx(230 / 30, abs=0.005)
        assert float(stream.average_rate) == pytest.approx(30.0, abs=0.01)


def test_variable_frame_times_are_kept(tmp_path: Path):
    times = [0.0, 0.04, 0.1, 0.2, 0.21, 0.5]
    frames = [(np.full((64, 64, 3), 30 * i, np.uint8), t) for i, t in enumerate(times)]
    out = write_mp4(frames, tmp_path / "vfr.mp4", 25.0)
    with av.open(str(out)) as container:
        decoded = [float(f.time) for f in container.decode(video=0)]
    assert decoded == pytest.approx(times, abs=1e-3)


def test_odd_sizes_are_cropped_to_even(tmp_path: Path):
    out = write_mp4(coloured_frames(5, 321, 241, 30.0), tmp_path / "odd.mp4", 30.0)
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (320, 240)
    assert even_size(1768, 994) == (1768, 994)
    with pytest.raises(ValueError):
        even_size(1, 10)


def test_pixels_survive_the_encoding(tmp_path: Path):
    frames = list(coloured_frames(10, 128, 96, 30.0))
    out = write_mp4(frames, tmp_path / "c.mp4", 30.0, crf=18)
    with av.open(str(out)) as container:
        decoded = [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]
    for (src, _), got in zip(frames, decoded, strict=True):
        assert np.abs(src.astype(int) - got.astype(int)).mean() < 4


def test_a_failed_export_leaves_no_file_behind(tmp_path: Path):
    target = tmp_path / "clip.mp4"

    def broken():
        yield from coloured_frames(5, 64, 64, 30.0)
        raise RuntimeError("decoder died")

    with pytest.raises(RuntimeError):
        write_mp4(broken(), target, 30.0)
    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_is_replaced_only_when_the_new_one_is_complete(tmp_path: Path):
    target = tmp_path / "clip.mp4"
    target.write_bytes(b"previous export")
    with pytest.raises(ValueError), H264Writer(target, 30.0) as writer:
        writer.write(np.zeros((64, 64, 3), np.uint8))
        writer.write(np.zeros((32, 32, 3), np.uint8))  # wrong size
    assert target.read_bytes() == b"previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]


def test_an_empty_clip_is_refused(tmp_path: Path):
    with pytest.raises(ValueError):
        write_mp4([], tmp_path / "none.mp4", 30.0)
    assert list(tmp_path.iterdir()) == []


def test_a_frame_rate_is_required(tmp_path: Path):
    with pytest.raises(ValueError):
        H264Writer(tmp_path / "x.mp4", 0.0)


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux /proc")
def test_memory_does_not_grow_with_the_clips_length(tmp_path: Path):
    with H264Writer(tmp_path / "long.mp4", 30.0, preset="ultrafast") as writer:
        for i, (image, t) in enumerate(coloured_frames(1200, 640, 360, 30.0)):
            writer.write(image, t)
            if i == 200:
                start = _rss_mb()
        end = _rss_mb()
    # 1000 more frames would hold ~690 MB if kept; the encoder's buffers are bounded.
    assert end - start < 40
