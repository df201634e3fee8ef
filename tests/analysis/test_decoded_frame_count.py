"""A clip whose container header promises more frames than it holds (issue 10, defect 4: a
broadcast clip, header 207 frames, 185 decoded) is stored with the frames actually decoded,
and its duration follows."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from analysis.pipeline import PipelineSettings, analyse_file
from analysis.store import Store

FPS = 25
DECODED = 185
PROMISED = 207


def write_overstated_clip(path: Path) -> Path:
    """A Matroska clip of ``DECODED`` video frames and an audio track as long as
    ``PROMISED`` frames: its header's frame count (from the duration) overstates the video."""
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = 160, 120, "yuv420p"
        audio = container.add_stream("aac", rate=48000)
        audio.layout = "mono"
        for i in range(DECODED):
            image = np.full((120, 160, 3), 40 + i % 150, np.uint8)
            for packet in video.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        samples, pts = int(48000 * PROMISED / FPS), 0
        while pts < samples:
            n = min(1024, samples - pts)
            chunk = av.AudioFrame.from_ndarray(np.zeros((1, n), np.float32), format="fltp",
                                               layout="mono")
            chunk.sample_rate, chunk.pts = 48000, pts
            pts += n
            for packet in audio.encode(chunk):
                container.mux(packet)
        for packet in audio.encode():
            container.mux(packet)
    return path


def test_the_header_of_the_test_clip_does_overstate_its_frames(tmp_path: Path):
    clip = write_overstated_clip(tmp_path / "broadcast.mkv")
    assert cv2.VideoCapture(str(clip)).get(cv2.CAP_PROP_FRAME_COUNT) > DECODED + 10


def test_a_clip_is_stored_with_the_frames_actually_decoded(tmp_path: Path):
    clip = write_overstated_clip(tmp_path / "broadcast.mkv")
    with Store(f"sqlite:///{tmp_path / 'posture.db'}") as store:
        clip_id = analyse_file(store, clip, "Anna Lee", "Broadcast",
                               PipelineSettings(max_people=1))
        stored = store.get_clip(clip_id)
    assert stored.status == "done"
    assert stored.frame_count == DECODED
    assert stored.duration_s == pytest.approx(DECODED / FPS)
