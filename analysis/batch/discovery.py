"""Which files a batch analyses, and whose they are.

A batch is given folders (searched recursively for photos and clips, by name extension:
the content is still checked file by file when analysed), single files, and list files
(``.txt`` or ``.lst``: one path per line, relative to the list's own folder; blank lines
and lines starting with ``#`` skipped). Hidden files and folders (``.name``) are skipped.

Each file's athlete is read from

- ``folder``: the name of the folder holding the file (``season/Anna Lee/squat1.mp4`` ->
  ``Anna Lee``), the usual layout of an archive kept per athlete;
- ``name-pattern``: a regular expression searched in the file's name without its
  extension, whose group ``athlete`` is the name (default ``^(?P<athlete>[^_]+)_``:
  ``Anna Lee_squat1.mp4`` -> ``Anna Lee``); underscores inside the matched name are read
  as spaces (``anna_lee`` is not possible with the default, but is with a pattern such
  as ``^(?P<athlete>[a-z]+_[a-z]+)-``).

A file whose athlete cannot be read is not analysed: it is reported as failed, with the
reason, and the others go on.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from analysis.errors import AnalysisError

ATHLETE_FROM = ("folder", "name-pattern")
DEFAULT_NAME_PATTERN = r"^(?P<athlete>[^_]+)_"
LIST_SUFFIXES = frozenset({".txt", ".lst"})
#: Name extensions a folder is searched for (the estimator's own list).
MEDIA_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".bmp",
     ".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm"}
)


@dataclass(frozen=True)
class BatchFile:
    """One file of a batch: where it is, its athlete's name (None when it could not be
    read, ``problem`` then says why), and the name to show for it (an upload's own name;
    default the file's)."""

    path: Path
    athlete: str | None
    problem: str | None = None
    name: str | None = None


def find_files(inputs: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Every photo or clip named, listed or found (recursively) in a folder, each once,
    in the order given (a folder's files sorted by path).

    Raises AnalysisError (one line) for an input that does not exist, an unreadable list
    file, or a batch with no file at all.
    """
    found: list[Path] = []
    for entry in inputs:
        path = Path(entry)
        if path.is_dir():
            found.extend(_folder_media(path))
        elif path.is_file() and path.suffix.lower() in LIST_SUFFIXES:
            found.extend(_listed(path))
        elif path.is_file():
            found.append(path)
        else:
            raise AnalysisError(f"{path}: no such file or folder.")
    unique = list(dict.fromkeys(p.absolute() for p in found))
    if not unique:
        raise AnalysisError(
            "No photos or clips found in " + ", ".join(str(Path(i)) for i in inputs) + ".")
    return unique


def _folder_media(folder: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and Path(name).suffix.lower() in MEDIA_SUFFIXES:
                found.append(Path(root) / name)
    return found


def _listed(list_file: Path) -> list[Path]:
    try:
        lines = list_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise AnalysisError(f"{list_file}: cannot read the list of files ({error}).") from None
    paths = []
    for line in lines:
        text = line.strip()
        if text and not text.startswith("#"):
            path = Path(text).expanduser()
            paths.append(path if path.is_absolute() else list_file.parent / path)
    return paths


def athlete_of(path: Path, athlete_from: str, pattern: re.Pattern[str] | None = None) -> str:
    """The athlete's name for ``path`` (see the module docstring); AnalysisError when it
    cannot be read."""
    if athlete_from == "folder":
        name = path.parent.name
        if not name or name in (".", ".."):
            raise AnalysisError(f"{path.name}: no folder name to read the athlete from.")
        return name
    if athlete_from == "name-pattern":
        compiled = pattern or re.compile(DEFAULT_NAME_PATTERN)
        match = compiled.search(path.stem)
        name = (match.groupdict().get("athlete") or "") if match else ""
        name = " ".join(name.replace("_", " ").split())
        if not name:
            raise AnalysisError(
                f"{path.name}: the name does not match the pattern {compiled.pattern!r}.")
        return name
    raise AnalysisError(f"Unknown way to read athletes: {athlete_from!r} "
                        f"(one of {', '.join(ATHLETE_FROM)}).")


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled; AnalysisError when it is not a regular expression with a
    group named ``athlete``."""
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        raise AnalysisError(f"Not a regular expression: {pattern!r} ({error}).") from None
    if "athlete" not in compiled.groupindex:
        raise AnalysisError(f"The pattern {pattern!r} has no group (?P<athlete>...).")
    return compiled


def plan(
    inputs: Iterable[str | os.PathLike[str]],
    athlete_from: str = "folder",
    pattern: str | None = None,
) -> list[BatchFile]:
    """The batch's files with their athletes (see :func:`find_files`, :func:`athlete_of`)."""
    if athlete_from not in ATHLETE_FROM:
        raise AnalysisError(f"Unknown way to read athletes: {athlete_from!r} "
                            f"(one of {', '.join(ATHLETE_FROM)}).")
    compiled = compile_pattern(pattern or DEFAULT_NAME_PATTERN)
    files = []
    for path in find_files(list(inputs)):
        try:
            files.append(BatchFile(path, athlete_of(path, athlete_from, compiled)))
        except AnalysisError as error:
            files.append(BatchFile(path, None, str(error)))
    return files
