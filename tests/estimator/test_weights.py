"""Model weights: the registry sources in the manifest, the npm integrity check, which
landmark model reads photos and which reads clips."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
from pathlib import Path

import numpy as np
import pytest

from estimator import PoseEstimator
from estimator.errors import ModelWeightsError
from estimator.weights import _download_npm, load_manifest, model_path


def _tarball(tmp_path: Path, member: str, data: bytes) -> Path:
    path = tmp_path / "pkg.tgz"
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo(member)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return path


def _integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def test_every_model_comes_from_a_named_registry_package_with_a_sha256() -> None:
    manifest = load_manifest()
    for name, entry in manifest["models"].items():
        source = manifest["sources"][entry["source"]]
        assert source["registry"] in ("PyPI", "npm"), name
        assert len(entry["sha256"]) == 64, name
    assert manifest["models"]["pose_landmark_heavy"]["source"] == "npm"
    for source in manifest["sources"].values():
        if source["registry"] == "npm":
            assert source["integrity"].startswith("sha512-")
    converted = manifest["models"]["movenet_multipose"]
    assert converted["convert"] == "tfjs_graph_model"
    assert set(converted["member_sha256"]) == {converted["member"], *converted["shards"]}


def test_an_npm_tarball_is_read_only_when_its_integrity_matches(tmp_path: Path) -> None:
    tarball = _tarball(tmp_path, "package/model.tflite", b"weights")
    source = {"tarball": tarball.as_uri(), "integrity": _integrity(tarball)}
    download = tmp_path / "download"
    download.mkdir()
    assert _download_npm(source, download)("package/model.tflite") == b"weights"

    source["integrity"] = "sha512-" + base64.b64encode(b"\0" * 64).decode()
    with pytest.raises(ModelWeightsError, match="integrity"):
        _download_npm(source, download)


def test_photos_are_read_by_the_heavy_model_and_clips_by_the_full_one() -> None:
    estimator = PoseEstimator(max_people=1)
    try:
        assert estimator.landmarker.model.path == model_path("pose_landmark_full")
        assert estimator._photo_landmarkers is None  # not loaded until a photo comes
        estimator.estimate_image(np.full((240, 320, 3), 127, dtype=np.uint8))
        main, worker = estimator._photo_landmarkers
        assert main.model.path == model_path("pose_landmark_heavy")
        assert worker is None or worker.model.path == model_path("pose_landmark_heavy")
    finally:
        estimator.close()
