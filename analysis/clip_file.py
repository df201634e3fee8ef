"""The file a run analyses, as a file: its sha256 (:func:`file_sha256`, how a clip already
in a session is recognised), the copy kept on the server (``_keep_copy``), and error
messages that name it as the user knows it (``_user_message``).

Re-exported by :mod:`analysis.pipeline`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from analysis.errors import AnalysisError


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _user_message(error: BaseException, source: Path, shown: str) -> str:
    """``error``'s message, naming the file as the user knows it (an upload's own name)
    wherever it named the path the server keeps it at."""
    reason = getattr(error, "reason", None)
    if reason is not None and getattr(error, "path", None) == str(source):
        return f"{shown}: {reason}"
    text = str(error)
    for where in sorted({str(source.resolve()), str(source)}, key=len, reverse=True):
        if where != shown:
            text = text.replace(where, shown)
    return text


def _keep_copy(source: Path, target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.part")
        shutil.copyfile(source, partial)
        partial.replace(target)
    except OSError as error:
        raise AnalysisError(
            f"Cannot keep a copy of {source.name} on the server: {error.strerror or error}"
        ) from error
