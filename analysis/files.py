"""The data folder's files: where they live, what they weigh, and when they go.

Layout under :func:`data_dir` (``$POSTURE_DATA_DIR``, else the project's ``data/``)::

    uploads/<sha256><.ext>     an uploaded photo or clip, named by its content's sha256,
                               the extension from its detected type (``.jpg``, ``.mp4``...)
    previews/<sha256>.*        the frame slider's preview of that content (mp4 or png, json)
    exports/<name>-annotated-<clip key>-<drawing key>.mp4
                               annotated clips; ``clip key`` (:func:`export_key`) ties the
                               file to one clip row

Anything else there (the SQLite database by default, this folder's README) is never
touched. Decisions:

- **Uploads are streamed**, 1 MiB at a time, into a hidden temporary file in
  ``uploads/`` while they are hashed (:func:`save_upload`); the content is then checked
  (type, truncation, a photo's size from its header) and a rejected upload is deleted at
  once, its error naming the user's file name, never the server's path.
- **Files go with their rows.** :func:`delete_clip`, :func:`delete_session` and
  :func:`delete_athlete` delete the rows through the store, then the files of the clips
  that went: their stored upload (only inside ``uploads/``: a file analysed from the
  command line stays the user's), previews and annotated exports, except what a
  remaining clip still points to (the same bytes in another session share one upload).
  A file a running analysis of this process holds (:func:`hold`) is left for later.
- **Prune** (:func:`prune`, ``python -m analysis prune``) removes what no row points to:
  files left by a crash, by an older version, or by a deletion that failed half-way.
  Files younger than ``keep_recent_s`` (default a day) are kept, since an upload waiting
  in a batch has no row yet.

Rows are read and deleted through :class:`analysis.store.Store`'s public methods only.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from analysis.errors import AnalysisError

if TYPE_CHECKING:
    from analysis.store import ClipInfo, Store

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR_ENV = "POSTURE_DATA_DIR"
UPLOADS, PREVIEWS, EXPORTS = "uploads", "previews", "exports"
FOLDERS = (UPLOADS, PREVIEWS, EXPORTS)
#: Files younger than this are kept by :func:`prune` (an upload waiting for its analysis).
KEEP_RECENT_S = 24 * 3600.0
BLOCK_BYTES = 1 << 20

_EXPORT = re.compile(r"-annotated-(?P<clip>[0-9a-f]{12})-[0-9a-f]{12}\.mp4$")


def data_dir() -> Path:
    """``$POSTURE_DATA_DIR``, else the project's ``data/`` (not created here)."""
    return Path(os.environ.get(DATA_DIR_ENV) or PROJECT_ROOT / "data")


def folder(kind: str, data: Path | None = None) -> Path:
    """``uploads``, ``previews`` or ``exports`` under the data folder (not created here)."""
    if kind not in FOLDERS:
        raise ValueError(f"unknown data folder {kind!r}")
    return (data or data_dir()) / kind


def check_writable(path: Path) -> None:
    """Create ``path`` (a folder) if needed and make sure files can be written in it.

    Raises :class:`AnalysisError` in one line that names no server path: a coach cannot
    fix permissions, so it says who can.
    """
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-test-{os.getpid()}-{threading.get_ident()}"
        with open(probe, "wb"):
            pass
        probe.unlink()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise AnalysisError(
            f"The server's data folder cannot be written to ({reason.lower()}), so nothing "
            "can be kept: ask whoever runs the server to make it writable."
        ) from None


# --------------------------------------------------------------------------- uploads


_held: Counter[str] = Counter()
_held_lock = threading.Lock()


def _key(path: str | os.PathLike[str]) -> str:
    return os.path.realpath(path)


def acquire(path: str | os.PathLike[str]) -> None:
    """Keep ``path`` from being deleted by this process (an upload waiting for, or in,
    its analysis) until :func:`let_go` is called for it as many times."""
    with _held_lock:
        _held[_key(path)] += 1


def let_go(path: str | os.PathLike[str]) -> None:
    """Undo one :func:`acquire` of ``path``."""
    key = _key(path)
    with _held_lock:
        _held[key] -= 1
        if _held[key] <= 0:
            del _held[key]


@contextlib.contextmanager
def hold(path: str | os.PathLike[str]) -> Iterator[None]:
    """:func:`acquire` ``path`` while the block runs."""
    acquire(path)
    try:
        yield
    finally:
        let_go(path)


def _is_held(path: Path) -> bool:
    with _held_lock:
        return _key(path) in _held


@dataclass(frozen=True)
class StoredUpload:
    """An upload kept in ``uploads/``: its path and sha256."""

    path: Path
    sha256: str


def save_upload(data: IO[bytes], name: str, uploads: Path) -> StoredUpload:
    """Stream ``data`` into ``uploads/<sha256><.ext>``, 1 MiB at a time, and check it.

    The extension comes from the content (``.jpg``, ``.png``, ``.mp4``, ``.mov``...),
    never from ``name``. The same bytes uploaded twice are one file. Content that is not
    a supported photo or clip (or is empty, truncated, a photo too large) is deleted at
    once and raises :class:`AnalysisError` as ``<name>: <reason>``.
    """
    from estimator import EstimatorError, content_suffix

    check_writable(uploads)
    digest = hashlib.sha256()
    partial = uploads / f".upload-{os.getpid()}-{threading.get_ident()}-{time.monotonic_ns()}.part"
    try:
        with open(partial, "wb") as out:
            with contextlib.suppress(AttributeError, OSError):
                data.seek(0)
            for block in iter(lambda: data.read(BLOCK_BYTES), b""):
                digest.update(block)
                out.write(block)
        try:
            suffix = content_suffix(partial)
        except EstimatorError as error:
            raise AnalysisError(f"{name}: {getattr(error, 'reason', error)}") from None
        target = uploads / f"{digest.hexdigest()}{suffix}"
        if target.exists():
            partial.unlink()
            os.utime(target)  # fresh again: prune keeps recent files
        else:
            partial.replace(target)
    except OSError as error:
        raise AnalysisError(
            f"{name}: could not be kept on the server ({(error.strerror or str(error)).lower()})"
        ) from None
    finally:
        partial.unlink(missing_ok=True)
    return StoredUpload(target, digest.hexdigest())


def release_upload(store: Store, path: str | os.PathLike[str], data: Path | None = None,
                   ) -> Removal:
    """Delete an upload whose analysis did not keep it (rejected, failed or cancelled):
    unless a clip that is not failed points to it, or another analysis holds it."""
    path = Path(path)
    removal = Removal()
    if not _inside(path, folder(UPLOADS, data)) or _is_held(path):
        return removal
    key = _key(path)
    if any(_key(c.stored_path) == key for c in store.list_clips() if c.status != "failed"):
        return removal
    removal.remove(path, data or data_dir())
    return removal


# --------------------------------------------------------------------------- deleting


@dataclass
class Removal:
    """Files removed (or that would be, in a dry run), the bytes they held, and any
    that could not be removed with the reason."""

    removed: list[Path] = field(default_factory=list)
    bytes: int = 0
    failed: list[tuple[Path, str]] = field(default_factory=list)
    kept_recent: int = 0
    dry_run: bool = False

    def remove(self, path: Path, data: Path) -> None:
        try:
            size = path.stat().st_size
            if not self.dry_run:
                path.unlink()
        except FileNotFoundError:
            return
        except OSError as error:
            self.failed.append((_relative(path, data), error.strerror or str(error)))
            return
        self.removed.append(_relative(path, data))
        self.bytes += size

    def merge(self, other: Removal) -> None:
        self.removed += other.removed
        self.bytes += other.bytes
        self.failed += other.failed
        self.kept_recent += other.kept_recent


def _relative(path: Path, data: Path) -> Path:
    try:
        return path.relative_to(data)
    except ValueError:
        return path


def _inside(path: str | os.PathLike[str], parent: Path) -> bool:
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(parent))
    except ValueError:
        return False
    return True


def export_key(clip: ClipInfo) -> str:
    """12 hex digits naming one clip row in its annotated exports' file names."""
    text = f"{clip.id}:{clip.sha256}:{clip.created_at.isoformat()}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _preview_sha(name: str) -> str:
    """The sha256 a preview's file name is made of (``<sha>.mp4``, ``.<sha>.part.json``)."""
    return name.lstrip(".").split(".", 1)[0]


def clip_files(clip: ClipInfo, data: Path | None = None) -> list[Path]:
    """Every file of the data folder made for this clip: its upload (when it is in
    ``uploads/``), its previews and its annotated exports."""
    data = data or data_dir()
    found = []
    if _inside(clip.stored_path, folder(UPLOADS, data)):
        found.append(Path(clip.stored_path))
    previews = folder(PREVIEWS, data)
    if previews.is_dir():
        found += [p for p in previews.iterdir() if _preview_sha(p.name) == clip.sha256]
    exports = folder(EXPORTS, data)
    if exports.is_dir():
        key = export_key(clip)
        found += [p for p in exports.iterdir()
                  if (m := _EXPORT.search(p.name)) is not None and m["clip"] == key]
    return found


def _remove_files_of(store: Store, gone: Iterable[ClipInfo], data: Path | None) -> Removal:
    """After their rows were deleted: the files of ``gone`` no remaining clip points to."""
    data = data or data_dir()
    remaining = store.list_clips()
    uploads_kept = {_key(c.stored_path) for c in remaining}
    shas_kept = {c.sha256 for c in remaining}
    removal = Removal()
    for clip in gone:
        for path in clip_files(clip, data):
            in_uploads = path.parent.name == UPLOADS
            if in_uploads and (_key(path) in uploads_kept or _is_held(path)):
                continue
            if path.parent.name == PREVIEWS and clip.sha256 in shas_kept:
                continue
            removal.remove(path, data)
    return removal


def delete_clip(store: Store, clip_id: int, data: Path | None = None) -> Removal:
    """Delete a clip's rows, then its upload, previews and annotated exports."""
    clip = store.get_clip(clip_id)
    store.delete_clip(clip_id)
    return _remove_files_of(store, [clip], data)


def delete_session(store: Store, session_id: int, data: Path | None = None) -> Removal:
    """Delete a session and everything in it: rows, then the files of its clips."""
    store.get_session(session_id)
    clips = store.list_clips(session_id)
    store.delete_session(session_id)
    return _remove_files_of(store, clips, data)


def delete_athlete(store: Store, athlete: int | str, data: Path | None = None) -> Removal:
    """Delete an athlete and everything of theirs: rows, then the files of their clips."""
    athlete_id = store.get_athlete(athlete).id
    clips = store.list_clips(athlete=athlete_id)
    store.delete_athlete(athlete_id)
    return _remove_files_of(store, clips, data)


# --------------------------------------------------------------------------- prune and use


def prune(store: Store, data: Path | None = None, *, dry_run: bool = False,
          keep_recent_s: float = KEEP_RECENT_S) -> Removal:
    """Remove the files of ``uploads/``, ``previews/`` and ``exports/`` that no row
    points to; with ``dry_run``, only say which. Files younger than ``keep_recent_s``
    are kept (and counted in ``kept_recent``)."""
    data = data or data_dir()
    clips = store.list_clips()
    uploads_kept = {_key(c.stored_path) for c in clips}
    shas_kept = {c.sha256 for c in clips}
    keys_kept = {export_key(c) for c in clips}
    removal = Removal(dry_run=dry_run)
    now = time.time()
    for kind in FOLDERS:
        where = folder(kind, data)
        if not where.is_dir():
            continue
        for path in sorted(where.iterdir()):
            if not path.is_file() or path.is_symlink():
                continue
            if kind == UPLOADS:
                used = _key(path) in uploads_kept or _is_held(path)
            elif kind == PREVIEWS:
                used = _preview_sha(path.name) in shas_kept
            else:
                match = _EXPORT.search(path.name)
                used = match is not None and match["clip"] in keys_kept
            if used:
                continue
            try:
                age = now - path.stat().st_mtime
            except OSError:
                continue
            if age < keep_recent_s:
                removal.kept_recent += 1
                continue
            removal.remove(path, data)
    return removal


@dataclass(frozen=True)
class FolderUse:
    """Files and bytes in one folder of the data folder."""

    files: int
    bytes: int


def usage(data: Path | None = None) -> dict[str, FolderUse]:
    """Files and bytes in ``uploads/``, ``previews/`` and ``exports/`` (and below)."""
    data = data or data_dir()
    use = {}
    for kind in FOLDERS:
        files = size = 0
        for root, _dirs, names in os.walk(folder(kind, data)):
            for name in names:
                with contextlib.suppress(OSError):
                    size += os.lstat(os.path.join(root, name)).st_size
                    files += 1
        use[kind] = FolderUse(files, size)
    return use


def format_bytes(n: float) -> str:
    """``0 B``, ``512 B``, ``1.5 kB``, ``23 MB``, ``1.2 GB`` (powers of 1000)."""
    if abs(n) < 1000:
        return f"{int(n)} B"
    for unit in ("kB", "MB", "GB"):
        n /= 1000
        if abs(n) < 1000 or unit == "GB":
            break
    return f"{n:.1f} {unit}" if abs(n) < 10 else f"{n:.0f} {unit}"
