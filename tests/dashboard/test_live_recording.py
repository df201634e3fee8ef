"""Recording the live camera (issue 12: "the recording (frames as received, with their
timestamps) is saved as a clip"): frames encoded on the recorder's thread into a real
H.264 MP4 that keeps each frame's own time, nothing left behind when it fails or is
abandoned."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from dashboard.live_recording import Recorder, fit_into, recording_name


def frame(i: int) -> np.ndarray:
    """A 160x120 BGR frame whose brightness tells its number."""
    return np.full((120, 160, 3), 20 + 8 * i, np.uint8)


def decoded_times(path: Path) -> list[float]:
    with av.open(str(path)) as container:
        return [float(f.time) for f in container.decode(video=0)]


def test_frames_at_an_uneven_rate_keep_their_own_times(tmp_path: Path):
    recorder = Recorder(tmp_path)
    times = [100.0, 100.033, 100.1, 100.4, 100.433, 101.0]  # the browser's capture clock
    for i, t in enumerate(times):
        assert recorder.add(frame(i), t)
    done = recorder.stop()
    assert done.frames == len(times) and done.dropped == 0
    assert done.duration_s == pytest.approx(1.0)
    assert done.path.parent == tmp_path and done.path.suffix == ".mp4"
    got = decoded_times(done.path)
    assert len(got) == len(times)
    assert np.allclose(np.array(got) - got[0], np.array(times) - times[0], atol=0.002)
    assert recording_name(done).startswith("live-") and recording_name(done).endswith(".mp4")


def test_a_frame_from_the_past_or_beyond_the_longest_recording_is_refused(tmp_path: Path):
    recorder = Recorder(tmp_path, max_s=1.0)
    assert recorder.add(frame(0), 5.0)
    assert recorder.add(frame(1), 5.5)
    assert not recorder.add(frame(2), 5.2)  # earlier than the last one kept
    assert not recorder.add(frame(3), 6.5)  # 1.5 s in: past max_s
    done = recorder.stop()
    assert done.frames == 2 and recorder.elapsed_s == pytest.approx(0.5)
    assert len(decoded_times(done.path)) == 2


def test_a_camera_that_changes_its_picture_size_keeps_recording_at_the_first_size(
        tmp_path: Path):
    recorder = Recorder(tmp_path)
    assert recorder.add(frame(0), 0.0)
    smaller = np.full((60, 80, 3), 200, np.uint8)  # the sender lowered the resolution
    turned = np.full((160, 120, 3), 90, np.uint8)  # a phone turned upright
    assert recorder.add(smaller, 0.1) and recorder.add(turned, 0.2)
    done = recorder.stop()
    with av.open(str(done.path)) as container:
        images = [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]
    assert [im.shape for im in images] == [(120, 160, 3)] * 3
    assert abs(int(images[1][60, 80, 1]) - 200) < 12  # scaled up to fill the frame
    assert images[2][60, 5].max() < 20 and abs(int(images[2][60, 80, 1]) - 90) < 12  # bars


def test_fit_into_keeps_the_shape_and_centres_on_black():
    tall = np.full((200, 100, 3), 255, np.uint8)
    out = fit_into(tall, (160, 120))
    assert out.shape == (120, 160, 3)
    assert out[:, 50:110].min() == 255 and out[:, :49].max() == 0 and out[:, 111:].max() == 0


def test_an_encoder_failure_reaches_stop_and_leaves_no_file(tmp_path: Path):
    recorder = Recorder(tmp_path)
    assert recorder.add(np.zeros((120, 160), np.uint8), 0.0)  # not a colour frame
    with pytest.raises(ValueError, match="uint8 BGR"):
        recorder.stop()
    assert list(tmp_path.iterdir()) == []


def test_stopping_with_nothing_recorded_raises_and_abandon_deletes_the_file(tmp_path: Path):
    empty = Recorder(tmp_path)
    with pytest.raises(ValueError, match="no frames"):
        empty.stop()
    kept = Recorder(tmp_path)
    kept.add(frame(0), 0.0)
    kept.abandon()
    assert list(tmp_path.iterdir()) == []
