"""Where a user's trained landmark models live, and how one is chosen by name.

Trained weights are a user's data, never the repository's: each model is a folder
under the data folder's ``models/`` (:func:`models_root`)::

    <data>/models/<NAME>/model.tflite    the landmark network, inputs and outputs as
                                          BlazePose's pose_landmark_full.tflite
    <data>/models/<NAME>/manifest.json   what it is (below)
    <data>/models/<NAME>/logs/           the training's TensorBoard logs, when trained here

``manifest.json`` (written by :func:`register`)::

    {"name": "club-squats", "sha256": "<64 hex of model.tflite>",
     "base": "pose_landmark_full",           # the built-in model it was trained from
     "created": "2025-01-31T12:00:00Z",      # ISO 8601, UTC
     "labels": {"file": "labels.json", "sha256": "<64 hex>", "frames": 120, "joints": 14},
     "figures": {"before": {"pck@0.2": 0.70, ...}, "after": {"pck@0.2": 0.78, ...}},
     "settings": {...}}                      # how it was trained, free-form

``figures`` holds validation figures (free-form names, plain numbers) of the base
model ("before") and of the trained one ("after"), on the same validation frames.

A model is registered whole or not at all (:func:`register`: written into a hidden
sibling folder, renamed into place in one step), and checked every time it is chosen
(:func:`load`: the file's sha256 against its manifest, then the file opened by the
inference runtime and its outputs checked against the landmark model's). Every refusal
is a :class:`ModelError` of one line naming the model.

Imports no TensorFlow (nor the runtime, until :func:`load`): listing models is cheap.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from estimator.errors import EstimatorError
from estimator.weights import sha256_of

PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: The data folder's variable, as ``analysis.files.DATA_DIR_ENV``.
DATA_DIR_ENV = "POSTURE_DATA_DIR"
MODEL_FILE = "model.tflite"
MANIFEST_FILE = "manifest.json"
#: ``--model default`` (and the dashboard's first choice): the verified BlazePose weights.
DEFAULT = "default"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ModelError(EstimatorError, ValueError):
    """A trained model that cannot be used: unknown name, bad name, or a file that fails
    its checks. The message is one line and names the model. (An EstimatorError too, so
    the command lines and the dashboard show it as a user's mistake, without traceback.)"""


def models_root(data: Path | None = None) -> Path:
    """``<data>/models``; ``data`` defaults to ``$POSTURE_DATA_DIR``, else the project's
    ``data/`` (not created here)."""
    # The same rule as analysis.files.data_dir, repeated: the estimator layer must not
    # import the analysis layer above it.
    return (data or Path(os.environ.get(DATA_DIR_ENV) or PROJECT_ROOT / "data")) / "models"


def _builtin_names() -> set[str]:
    from estimator.weights import load_manifest

    try:
        return set(load_manifest()["models"])
    except (OSError, ValueError, KeyError):  # no manifest: nothing to clash with
        return set()


def valid_name(name: str) -> str:
    """``name`` when it can name a trained model: 1-64 of letters, digits, ``_ . -``,
    starting with a letter or digit, and neither a built-in model's name nor
    ``"default"``. Else :class:`ModelError`."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ModelError(
            f"model name {name!r} is not usable: 1 to 64 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit")
    if name.lower() == DEFAULT:
        raise ModelError(f"model name {name!r} stands for the verified BlazePose weights: "
                         "choose another")
    if name in _builtin_names():
        raise ModelError(f"model name {name!r} is taken by a built-in model: choose another")
    return name


def _utc_now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace(
        "+00:00", "Z")


@dataclass(frozen=True)
class UserModel:
    """A trained landmark model as its manifest describes it.

    Attributes
    ----------
    name
        The folder's name, what a user picks (``--model NAME``).
    folder
        ``<models root>/<name>``.
    sha256
        Of ``model.tflite`` (64 hex).
    base
        The built-in model it was trained from, e.g. ``"pose_landmark_full"``.
    created
        ISO 8601 UTC, e.g. ``"2025-01-31T12:00:00Z"``.
    labels
        The labels used: ``file`` (name), ``sha256`` (of the labels file), ``frames``
        and ``joints`` (counts).
    figures
        ``{"before": {name: value}, "after": {name: value}}``: validation figures of
        the base and the trained model (e.g. ``"pck@0.2"``, fraction 0-1).
    settings
        How it was trained (free-form).
    """

    name: str
    folder: Path
    sha256: str
    base: str
    created: str
    labels: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, dict[str, float]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        """The TF Lite file."""
        return self.folder / MODEL_FILE

    def to_manifest(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "base": self.base,
                "created": self.created, "labels": dict(self.labels),
                "figures": {k: dict(v) for k, v in self.figures.items()},
                "settings": dict(self.settings)}

    @classmethod
    def from_manifest(cls, folder: Path, data: dict[str, Any]) -> UserModel:
        """The model of ``folder`` described by ``data`` (its manifest); ModelError when
        the manifest lacks a field or holds one of the wrong kind."""
        folder = Path(folder)
        name = folder.name

        def need(key: str, kind: type) -> Any:
            value = data.get(key) if isinstance(data, dict) else None
            if not isinstance(value, kind):
                raise ModelError(f"model {name!r}: its manifest has no valid {key!r}")
            return value

        sha256 = need("sha256", str)
        if not _SHA256.match(sha256):
            raise ModelError(f"model {name!r}: its manifest's sha256 is not 64 hex digits")
        figures = data.get("figures") or {}
        if not isinstance(figures, dict) or not all(
                isinstance(v, dict) for v in figures.values()):
            raise ModelError(f"model {name!r}: its manifest's figures are not "
                             "'before' and 'after' tables")
        return cls(name=name, folder=folder, sha256=sha256, base=need("base", str),
                   created=need("created", str), labels=dict(data.get("labels") or {}),
                   figures={k: dict(v) for k, v in figures.items()},
                   settings=dict(data.get("settings") or {}))


def _read(folder: Path) -> UserModel:
    try:
        data = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        reason = getattr(error, "strerror", None) or type(error).__name__
        raise ModelError(f"model {folder.name!r}: its manifest cannot be read ({reason})"
                         ) from error
    return UserModel.from_manifest(folder, data)


def _check_file(model: UserModel) -> None:
    """The file opened by the inference runtime; its input and outputs those of the
    landmark model (ModelError otherwise)."""
    from estimator.errors import ModelWeightsError
    from estimator.landmarks import _OUTPUT_SHAPES, INPUT_SIZE
    from estimator.runtime import TFLiteModel

    try:
        runtime = TFLiteModel(model.path, _OUTPUT_SHAPES, num_threads=1)
    except ModelWeightsError as error:
        reason = " ".join(str(error).split())  # one line, whatever the runtime said
        reason = reason.replace(f"model {model.path.name} has outputs", "its outputs are")
        raise ModelError(f"model {model.name!r} is not a BlazePose landmark model: {reason}"
                         ) from None
    if runtime.input_shape != (1, INPUT_SIZE, INPUT_SIZE, 3):
        raise ModelError(f"model {model.name!r} is not a BlazePose landmark model: input "
                         f"{runtime.input_shape}, expected (1, {INPUT_SIZE}, {INPUT_SIZE}, 3)")


def register(folder: Path, content: bytes, manifest: dict[str, Any],
             logs: Path | None = None) -> UserModel:
    """Keep a trained model as ``folder`` (``<models root>/<NAME>``): all of it or nothing.

    ``content`` is the TF Lite file; ``manifest`` gives ``base``, ``labels``, ``figures``,
    ``settings`` and optionally ``created`` (default now); the sha256 is computed here.
    ``logs``, a folder (the training's TensorBoard logs), is copied in as ``logs/``.
    The file is checked as :func:`load` checks it, in a hidden sibling folder
    (``.NAME.<random>.partial``) which is then renamed to ``folder`` in one step; on any
    failure or interruption that hidden folder is removed and ``folder`` never appears.

    Raises ModelError: a bad name, ``folder`` already there, a base that is not a
    built-in model, content that is not a landmark model.
    """
    folder = Path(folder)
    name = valid_name(folder.name)
    if folder.exists():
        raise ModelError(f"a trained model named {name!r} already exists: choose another name")
    base = manifest.get("base")
    builtins = _builtin_names()
    if builtins and base not in builtins:
        raise ModelError(f"model {name!r}: base {base!r} is not a built-in model")
    model = UserModel.from_manifest(folder, {
        **manifest, "sha256": hashlib.sha256(content).hexdigest(),
        "created": manifest.get("created") or _utc_now()})
    folder.parent.mkdir(parents=True, exist_ok=True)
    temp = folder.with_name(f".{name}.{secrets.token_hex(4)}.partial")
    temp.mkdir()
    try:
        _write(temp / MODEL_FILE, content)
        _write(temp / MANIFEST_FILE,
               (json.dumps(model.to_manifest(), indent=2) + "\n").encode("utf-8"))
        _check_file(dataclasses.replace(model, folder=temp))  # never a bad model in place
        if logs is not None:
            shutil.copytree(logs, temp / "logs")
        if folder.exists():  # taken while this one was written
            raise ModelError(
                f"a trained model named {name!r} already exists: choose another name")
        os.replace(temp, folder)
    except BaseException:  # KeyboardInterrupt too: no half model left behind
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return model


def _write(path: Path, data: bytes) -> None:
    with open(path, "xb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def list_models(root: Path | None = None) -> list[UserModel]:
    """The complete trained models under ``root`` (default :func:`models_root`), by name.

    Folders without a readable manifest or a model file, hidden folders (a model being
    written) and folders whose name cannot be a model's are left out. Files are not
    checked here (see :func:`load`).
    """
    root = models_root() if root is None else Path(root)
    try:
        folders = sorted(p for p in root.iterdir() if p.is_dir())
    except OSError:
        return []
    found = []
    for folder in folders:
        try:
            valid_name(folder.name)
            if not (folder / MODEL_FILE).is_file():
                continue
            found.append(_read(folder))
        except (ModelError, OSError):
            continue
    return sorted(found, key=lambda m: m.name)


def load(name: str, root: Path | None = None) -> UserModel:
    """The trained model ``name``, checked: its file's sha256 is the manifest's, and the
    inference runtime opens it with the landmark model's input and outputs.

    Raises ModelError (one line naming the model) otherwise, and for an unknown name
    (listing the trained ones).
    """
    root = models_root() if root is None else Path(root)
    name = valid_name(name)
    folder = root / name
    if not (folder / MANIFEST_FILE).is_file():
        names = [m.name for m in list_models(root)]
        known = f"trained models: {', '.join(names)}" if names else "none trained yet"
        raise ModelError(f"no trained model named {name!r} ({known})")
    model = _read(folder)
    if not model.path.is_file():
        raise ModelError(f"model {name!r}: its file {MODEL_FILE} is missing")
    if sha256_of(model.path) != model.sha256:
        raise ModelError(f"model {name!r}: {MODEL_FILE} does not match the sha256 of its "
                         "manifest (changed or corrupt since it was trained)")
    _check_file(model)
    return model


def resolve(name: str | None, root: Path | None = None) -> UserModel | None:
    """:func:`load` ``name``; None (the verified BlazePose weights) for None, ``""`` or
    ``"default"``."""
    if name is None or name == "" or name.lower() == DEFAULT:
        return None
    return load(name, root)
