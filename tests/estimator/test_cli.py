"""``python -m estimator``, run for real as a subprocess.

Bad input: exit status 2, exactly one line on stderr naming the file and the
reason, no traceback, no JSON (nor a partial one) left behind, and the models
are never needed. Good input: valid JSON in the documented format.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from estimator.keypoints import KEYPOINT_NAMES
from estimator.output import PoseJsonWriter
from estimator.types import FramePoses, Person, SourceInfo
from tests.conftest import PROJECT_ROOT
from tests.estimator.test_video import photo_bytes, write_clip, write_empty_clip

SUMMARY = re.compile(r"^(\d+) frames, (\d+) people-frames, [\d.]+ s, [\d.]+ fps$")


def run_cli(*args: object, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "estimator", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def stderr_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def assert_rejected(result: subprocess.CompletedProcess[str], name: str, reason: str,
                    out_dir: Path) -> None:
    assert "Traceback" not in result.stderr
    assert result.returncode == 2, result.stderr
    (line,) = stderr_lines(result)
    assert name in line and reason in line, line
    assert list(out_dir.iterdir()) == []  # no JSON, no partial file


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


# --------------------------------------------------------------------------- bad input


def test_missing_file(tmp_path: Path, out_dir: Path) -> None:
    result = run_cli(tmp_path / "squat.mp4", "--out", out_dir / "poses.json")
    assert_rejected(result, "squat.mp4", "file not found", out_dir)


def test_empty_file(tmp_path: Path, out_dir: Path) -> None:
    (tmp_path / "empty.jpg").touch()
    result = run_cli(tmp_path / "empty.jpg", "--out", out_dir / "poses.json")
    assert_rejected(result, "empty.jpg", "empty file (0 bytes)", out_dir)


@pytest.mark.media
def test_truncated_real_clip(tmp_path: Path, out_dir: Path, parkour_clip: Path) -> None:
    cut = tmp_path / "parkour_cut.mp4"
    cut.write_bytes(parkour_clip.read_bytes()[:512 * 1024])
    result = run_cli(cut, "--out", out_dir / "poses.json")
    assert_rejected(result, "parkour_cut.mp4", "truncated", out_dir)


def test_truncated_clip(tmp_path: Path, out_dir: Path) -> None:
    whole = write_clip(tmp_path / "whole.mp4", n_frames=30).read_bytes()
    (tmp_path / "cut.mp4").write_bytes(whole[: len(whole) // 2])
    result = run_cli(tmp_path / "cut.mp4", "--out", out_dir / "poses.json")
    assert_rejected(result, "cut.mp4", "truncated", out_dir)


def test_corrupt_bytes_named_jpg(tmp_path: Path, out_dir: Path) -> None:
    path = tmp_path / "IMG_2041.jpg"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 20_000, np.uint8).tobytes())
    result = run_cli(path, "--out", out_dir / "poses.json")
    assert_rejected(result, "IMG_2041.jpg", "not a JPEG, PNG, WebP or BMP photo", out_dir)


def test_corrupt_jpeg_body(tmp_path: Path, out_dir: Path) -> None:
    good = photo_bytes(".jpg", np.random.default_rng(1).integers(0, 255, (64, 64, 3), np.uint8))
    path = tmp_path / "damaged.jpg"
    path.write_bytes(good[:2] + b"\xff\xdb" + bytes(range(256)) * 20 + b"\xff\xd9")
    result = run_cli(path, "--out", out_dir / "poses.json")
    assert_rejected(result, "damaged.jpg", "corrupt", out_dir)


def test_text_file_named_mp4(tmp_path: Path, out_dir: Path) -> None:
    path = tmp_path / "session.mp4"
    path.write_text("Monday: squats 5x5\n")
    result = run_cli(path, "--out", out_dir / "poses.json")
    assert_rejected(result, "session.mp4", "is a text file", out_dir)


def test_folder_with_no_media(tmp_path: Path, out_dir: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "notes.txt").write_text("nothing to see")
    result = run_cli(folder, "--out", out_dir)
    assert_rejected(result, "photos", "folder holds no photo or clip", out_dir)


def test_zero_frame_clip(tmp_path: Path, out_dir: Path) -> None:
    path = write_empty_clip(tmp_path / "nothing.avi")
    result = run_cli(path, "--out", out_dir / "poses.json")
    assert_rejected(result, "nothing.avi", "zero frames", out_dir)


def test_clip_without_video(tmp_path: Path, out_dir: Path) -> None:
    path = write_empty_clip(tmp_path / "voice.mp4", codec="libx264")
    result = run_cli(path, "--out", out_dir / "poses.json")
    assert_rejected(result, "voice.mp4", "contains no video", out_dir)


@pytest.mark.parametrize("name", ["my squat.mp4", "sprünge_☃.mp4", "-take1.mp4"])
def test_odd_file_names_are_named_in_the_error(tmp_path: Path, out_dir: Path,
                                               name: str) -> None:
    (tmp_path / name).write_text("not a clip")
    result = run_cli("--out", out_dir / "poses.json", "--", tmp_path / name)
    assert_rejected(result, name, "is a text file", out_dir)


def test_leading_dash_name_without_double_dash_is_a_usage_error(out_dir: Path) -> None:
    result = run_cli("-take1.mp4", "--out", out_dir / "poses.json")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "usage:" in result.stderr


def test_several_bad_inputs_one_line_each(tmp_path: Path, out_dir: Path) -> None:
    (tmp_path / "a.jpg").touch()
    (tmp_path / "b.mp4").write_text("text")
    result = run_cli(tmp_path / "a.jpg", tmp_path / "b.mp4", tmp_path / "c.png",
                     "--out", out_dir)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = stderr_lines(result)
    assert len(lines) == 3
    assert "a.jpg" in lines[0] and "empty" in lines[0]
    assert "b.mp4" in lines[1] and "text" in lines[1]
    assert "c.png" in lines[2] and "not found" in lines[2]
    assert list(out_dir.iterdir()) == []


def test_max_people_must_be_positive(tmp_path: Path, out_dir: Path) -> None:
    result = run_cli(tmp_path / "x.jpg", "--out", out_dir / "x.json", "--max-people", "0")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--max-people" in result.stderr


def _project_without_weights(tmp_path: Path) -> Path:
    """A copy of the estimator package and the model manifest, but no weights."""
    root = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT / "estimator", root / "estimator",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (root / "models").mkdir()
    shutil.copy(PROJECT_ROOT / "models" / "manifest.json", root / "models" / "manifest.json")
    return root


@pytest.mark.parametrize("weights", ["missing", "corrupt"])
def test_missing_or_corrupt_weights_name_the_fix(tmp_path: Path, out_dir: Path,
                                                 weights: str) -> None:
    root = _project_without_weights(tmp_path)
    if weights == "corrupt":
        for name in ("pose_detection.tflite", "pose_landmark_full.tflite"):
            (root / "models" / name).write_bytes(b"not a model")
    photo = tmp_path / "photo.png"
    photo.write_bytes(photo_bytes(".png"))
    result = run_cli(photo, "--out", out_dir / "photo.json", cwd=root)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    (line,) = stderr_lines(result)
    assert "make models" in line
    assert list(out_dir.iterdir()) == []


def test_bad_input_needs_no_weights(tmp_path: Path, out_dir: Path) -> None:
    """Inputs are checked before the models load: without weights, still exit 2."""
    root = _project_without_weights(tmp_path)
    result = run_cli(tmp_path / "missing.jpg", "--out", out_dir / "x.json", cwd=root)
    assert_rejected(result, "missing.jpg", "file not found", out_dir)


# --------------------------------------------------------------------------- real runs


def load(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["keypoint_names"] == list(KEYPOINT_NAMES)
    assert data["frame_count"] == len(data["frames"])
    for frame in data["frames"]:
        for person in frame["people"]:
            assert len(person["keypoints"]) == 33 and len(person["world"]) == 33
            assert all(len(k) == 3 for k in person["keypoints"])
            assert len(person["bbox"]) == 4 and 0 <= person["score"] <= 1
    return data


@pytest.mark.media
def test_photo_end_to_end(media_dir: Path, out_dir: Path) -> None:
    out = out_dir / "golf.json"
    result = run_cli(media_dir / "images" / "golf.jpg", "--out", out)
    assert result.returncode == 0, result.stderr
    data = load(out)
    assert (data["width"], data["height"], data["fps"]) == (1313, 1348, 0.0)
    (frame,) = data["frames"]
    assert (frame["index"], frame["time"]) == (0, 0.0)
    assert len(frame["people"]) >= 1
    (summary,) = stderr_lines(result)
    assert SUMMARY.match(summary) and summary.startswith("1 frames")


@pytest.mark.media
def test_clip_end_to_end(parkour_clip: Path, out_dir: Path) -> None:
    out = out_dir / "parkour.json"
    result = run_cli(parkour_clip, "--out", out)
    assert result.returncode == 0, result.stderr
    data = load(out)
    assert (data["width"], data["height"], data["fps"]) == (1768, 994, 30.0)
    assert data["frame_count"] == 230
    assert [f["index"] for f in data["frames"]] == list(range(230))
    assert data["frames"][-1]["time"] == pytest.approx(229 / 30, abs=1e-3)
    with_people = [f for f in data["frames"] if f["people"]]
    assert len(with_people) > 0.8 * 230
    summary = SUMMARY.match(stderr_lines(result)[-1])
    assert summary and int(summary.group(1)) == 230
    assert int(summary.group(2)) == sum(len(f["people"]) for f in data["frames"])


def test_photo_with_nobody_gives_an_empty_people_list(tmp_path: Path, out_dir: Path) -> None:
    photo = tmp_path / "wall.png"
    photo.write_bytes(photo_bytes(".png", np.full((240, 320, 3), 128, np.uint8)))
    result = run_cli(photo, "--out", out_dir / "wall.json")
    assert result.returncode == 0, result.stderr
    data = load(out_dir / "wall.json")
    assert data["frames"] == [{"index": 0, "time": 0.0, "people": []}]


@pytest.mark.media
def test_folder_and_files_one_json_each_bad_ones_reported(media_dir: Path, tmp_path: Path,
                                                          out_dir: Path) -> None:
    folder = tmp_path / "Coach's photos"
    folder.mkdir()
    shutil.copy(media_dir / "images" / "soccer.jpg", folder / "soccer.jpg")
    shutil.copy(media_dir / "images" / "soccer.jpg", folder / "soccer.png")  # same stem
    (folder / "notes.txt").write_text("skipped: not a photo")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(100))
    clip = write_clip(tmp_path / "drill.mp4", n_frames=5)
    odd = tmp_path / "-Ünïcode golf.jpg"
    shutil.copy(media_dir / "images" / "golf.jpg", odd)
    result = run_cli("--out", out_dir, "--max-people", "2", "--", folder, clip, odd)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = stderr_lines(result)
    assert len(lines) == 2 and "broken.jpg" in lines[0] and SUMMARY.match(lines[1])
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "-Ünïcode golf.json", "drill.json", "soccer.json", "soccer.png.json"]
    assert len(load(out_dir / "drill.json")["frames"]) == 5
    assert load(out_dir / "soccer.json")["source"] == str(folder / "soccer.jpg")
    golf = load(out_dir / "-Ünïcode golf.json")
    assert 1 <= len(golf["frames"][0]["people"]) <= 2


def test_single_input_into_an_existing_folder(tmp_path: Path, out_dir: Path) -> None:
    photo = tmp_path / "wall.bmp"
    photo.write_bytes(photo_bytes(".bmp", np.full((120, 160, 3), 90, np.uint8)))
    result = run_cli(photo, "--out", out_dir)
    assert result.returncode == 0, result.stderr
    assert [p.name for p in out_dir.iterdir()] == ["wall.json"]
    result = run_cli(photo, "--out", f"{out_dir / 'new'}/")  # a folder still to make
    assert result.returncode == 0, result.stderr
    assert [p.name for p in (out_dir / "new").iterdir()] == ["wall.json"]


# --------------------------------------------------------------------------- the JSON writer


def _info(width: int = 640, height: int = 480) -> SourceInfo:
    return SourceInfo(path=Path("clip.mp4"), kind="video", width=width, height=height,
                      fps=29.97002997, frame_count=3)


def _someone(track_id: int) -> Person:
    keypoints = np.column_stack([np.full(33, 100.123456), np.full(33, 200.987654),
                                 np.full(33, 0.87654321)])
    keypoints[5, :2] = np.nan  # a keypoint the model could not place
    world = np.full((33, 3), 0.123456789)
    return Person(track_id=track_id, score=0.99876, bbox=np.array([1.111, 2.222, 3.333, 4.444]),
                  keypoints=keypoints, world=world)


def test_writer_rounds_and_streams_valid_json(tmp_path: Path) -> None:
    out = tmp_path / "poses.json"
    with PoseJsonWriter(out, _info(), source="clip.mp4", model="test model") as writer:
        writer.write(FramePoses(0, 0.0, [_someone(0), _someone(1)]))
        writer.write(FramePoses(1, 1 / 29.97, []))
    data = json.loads(out.read_text(encoding="utf-8"))
    assert (data["source"], data["width"], data["height"], data["fps"], data["model"]) == (
        "clip.mp4", 640, 480, 29.97, "test model")
    assert data["frame_count"] == 2 and (writer.frames_written, writer.people_written) == (2, 2)
    person = data["frames"][0]["people"][1]
    assert person["track_id"] == 1 and person["score"] == 0.999
    assert person["bbox"] == [1.11, 2.22, 3.33, 4.44]
    assert person["keypoints"][0] == [100.12, 200.99, 0.877]
    assert person["keypoints"][5] == [None, None, 0.877]
    assert person["world"][0] == [0.1235, 0.1235, 0.1235]
    assert data["frames"][1] == {"index": 1, "time": 0.0334, "people": []}


def test_writer_leaves_nothing_behind_on_failure(tmp_path: Path) -> None:
    out = tmp_path / "poses.json"
    out.write_text('{"earlier": "result"}')
    with pytest.raises(RuntimeError), PoseJsonWriter(out, _info(), source="clip.mp4") as writer:
        writer.write(FramePoses(0, 0.0, [_someone(0)]))
        raise RuntimeError("decoder died")
    assert [p.name for p in tmp_path.iterdir()] == ["poses.json"]
    assert out.read_text() == '{"earlier": "result"}'
