"""Model weights: fetched once at set-up from the mediapipe wheel, verified by sha256.

The weights are two TensorFlow Lite files shipped inside the PyPI wheel named in
``models/manifest.json``. Set-up (``python -m estimator.weights``, run by
``make setup``) downloads that wheel with pip for an explicit platform, extracts
just those files into ``models/`` and checks their sha256. The mediapipe package
itself is never installed nor imported. Nothing is downloaded at run time: a
missing or corrupt file raises :class:`ModelWeightsError` naming the command
that fetches it.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from functools import cache
from pathlib import Path

from estimator.errors import ModelWeightsError

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
MANIFEST_PATH = MODELS_DIR / "manifest.json"
FETCH_COMMAND = "make models"


def load_manifest() -> dict:
    """The committed manifest: package, version, and per model file, member and sha256."""
    return json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@cache
def model_path(name: str, models_dir: Path = MODELS_DIR) -> Path:
    """Path of a verified model file, e.g. ``model_path("pose_detection")``.

    Checked against the manifest's sha256 once per process.
    """
    entry = load_manifest()["models"][name]
    path = Path(models_dir) / entry["file"]
    if not path.is_file():
        raise ModelWeightsError(
            f"model weights {entry['file']} are missing from {models_dir}: run `{FETCH_COMMAND}`"
        )
    if sha256_of(path) != entry["sha256"]:
        raise ModelWeightsError(
            f"model weights {path} do not match their sha256 (corrupt or replaced): "
            f"run `{FETCH_COMMAND}`"
        )
    return path


def fetch(models_dir: Path = MODELS_DIR, wheel: Path | None = None) -> list[Path]:
    """Download the wheel with pip (unless given), extract and verify every model file.

    Files already present with the right sha256 are kept. A file is written
    under a temporary name and renamed only once verified, so a failure never
    leaves a half-written model behind.
    """
    manifest = load_manifest()
    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    wanted = {
        name: entry
        for name, entry in manifest["models"].items()
        if not ((models_dir / entry["file"]).is_file()
                and sha256_of(models_dir / entry["file"]) == entry["sha256"])
    }
    if not wanted:
        return [models_dir / e["file"] for e in manifest["models"].values()]
    with tempfile.TemporaryDirectory() as tmp:
        if wheel is None:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                 "--only-binary=:all:", "--platform", manifest["platform"],
                 "--python-version", manifest["python_version"],
                 f"{manifest['package']}=={manifest['version']}", "--dest", tmp],
                check=True,
            )
            wheel = Path(tmp) / manifest["wheel"]
        with zipfile.ZipFile(wheel) as archive:
            for entry in wanted.values():
                target = models_dir / entry["file"]
                partial = target.with_suffix(target.suffix + ".partial")
                partial.write_bytes(archive.read(entry["member"]))
                got = sha256_of(partial)
                if got != entry["sha256"]:
                    partial.unlink()
                    raise ModelWeightsError(
                        f"{entry['member']} in {wheel.name} has sha256 {got}, "
                        f"expected {entry['sha256']}"
                    )
                partial.replace(target)
    model_path.cache_clear()
    return [models_dir / e["file"] for e in manifest["models"].values()]


def main() -> int:
    try:
        paths = fetch()
    except (ModelWeightsError, subprocess.CalledProcessError, OSError, KeyError) as exc:
        print(f"error: could not fetch model weights: {exc}", file=sys.stderr)
        return 1
    for path in paths:
        print(f"ok {path.name} sha256 verified", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
