"""Which files a batch takes and whose they are: folders searched recursively, lists of
files, the athlete from the folder or from a pattern in the name (no models needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.batch import plan
from analysis.batch.discovery import athlete_of, compile_pattern
from analysis.errors import AnalysisError


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_a_folder_is_searched_recursively_for_photos_and_clips_and_athletes_are_folders(
    tmp_path: Path,
) -> None:
    touch(tmp_path / "Anna Lee" / "squat.MP4")
    touch(tmp_path / "Anna Lee" / "week 2" / "jump.jpg")
    touch(tmp_path / "Ben Ode" / "golf.png")
    touch(tmp_path / "Ben Ode" / "notes.txt")  # not a photo or clip
    touch(tmp_path / "Ben Ode" / ".squat.mp4.part")  # hidden: a copy under way
    touch(tmp_path / ".trash" / "old.mp4")  # hidden folder
    found = [(f.path.relative_to(tmp_path).as_posix(), f.athlete) for f in plan([tmp_path])]
    assert found == [("Anna Lee/squat.MP4", "Anna Lee"),
                     ("Anna Lee/week 2/jump.jpg", "week 2"),
                     ("Ben Ode/golf.png", "Ben Ode")]


def test_a_list_of_files_and_athletes_from_a_name_pattern(tmp_path: Path) -> None:
    touch(tmp_path / "clips" / "Anna Lee_squat.mp4")
    touch(tmp_path / "clips" / "ben_ode-jump.mov")
    touch(tmp_path / "clips" / "nameless.mp4")
    listing = tmp_path / "season.txt"
    listing.write_text("# the season\nclips/Anna Lee_squat.mp4\n\nclips/nameless.mp4\n"
                       "clips/Anna Lee_squat.mp4\n")  # a file listed twice is one task
    files = plan([listing], "name-pattern")
    assert [(f.path.name, f.athlete, f.problem) for f in files] == [
        ("Anna Lee_squat.mp4", "Anna Lee", None),
        ("nameless.mp4", None,
         "nameless.mp4: the name does not match the pattern '^(?P<athlete>[^_]+)_'.")]
    own = plan([tmp_path / "clips" / "ben_ode-jump.mov"], "name-pattern",
               r"^(?P<athlete>[a-z]+_[a-z]+)-")
    assert own[0].athlete == "ben ode"  # underscores read as spaces


def test_mistakes_are_one_line_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(AnalysisError, match="no such file or folder"):
        plan([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(AnalysisError, match="No photos or clips found in"):
        plan([tmp_path / "empty"])
    with pytest.raises(AnalysisError, match=r"has no group \(\?P<athlete>"):
        compile_pattern(r"^([^_]+)_")
    with pytest.raises(AnalysisError, match="Not a regular expression"):
        compile_pattern(r"^(?P<athlete>[")
    with pytest.raises(AnalysisError, match="Unknown way to read athletes"):
        athlete_of(tmp_path / "a.mp4", "exif")
