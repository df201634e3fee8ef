"""Command line: poses of photos and clips as JSON.

    python -m estimator INPUT --out POSES.json [--max-people N] [--model NAME]
    python -m estimator A.jpg B.mp4 photos/ --out OUTDIR [--max-people N] [--model NAME]

One input file: ``--out`` is the JSON file (or, if it is an existing folder or
ends with ``/``, the folder to write ``<name>.json`` into). Several inputs, or a folder: one
JSON per photo or clip in the folder ``--out`` (created if needed), named
after the input (``golf.jpg`` -> ``golf.json``; when two inputs share a stem,
the later ones keep their extension, ``golf.png.json``, then get a number).
A folder contributes its photos and clips, not its sub-folders; hidden files
and files that are neither named nor made like a photo or clip are skipped.
A file whose name starts with ``-`` goes after ``--``:
``python -m estimator --out poses.json -- -take1.mp4``.

``--model NAME`` reads the landmarks with a trained model kept under the data folder
(``$POSTURE_DATA_DIR/models/NAME``, see :mod:`estimator.finetune.registry`), for clips
and photos; without it (or with ``default``), the verified BlazePose weights. The model
is checked (sha256, inputs and outputs) before anything else: an unknown or failing one
is one line on stderr, exit status 2, nothing written.

Every input is checked before the models load, so bad input is reported at
once and needs no model weights. Each bad input is one line on stderr,
``error: <file>: <reason>``; the good inputs are still processed. Progress
bars (clips, on a terminal) and one summary line go to stderr:
``N frames, M people-frames, T s, F fps`` (time after the models are loaded).

Exit status: 0 all inputs done; 2 at least one bad input, an unusable ``--model`` (or a
usage error);
1 set-up problem (model weights missing or corrupt: run ``make models``;
output not writable); 130 interrupted. No traceback for any of these.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from estimator.errors import BadInputError, EstimatorError, ModelWeightsError
from estimator.output import PoseJsonWriter, model_description
from estimator.types import SourceInfo
from estimator.video import (
    MEDIA_SUFFIXES,
    in_source_pixels,
    iter_frames,
    probe,
    quiet_native_stderr,
    sniff,
)

EXIT_OK, EXIT_SETUP, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


@dataclass
class Job:
    """One input file and where its JSON goes."""

    source: str  # as the user named it (or folder / name)
    path: Path
    out: Path | None = None
    info: SourceInfo | None = None


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _say(message: str) -> None:
    """One line on stderr, whatever characters the message holds: control and other
    unprintable characters (a newline, an escape, undecodable bytes of a file name) are
    written as escapes (``\\n``, ``\\x1b``...)."""
    if not message.isprintable():
        message = "".join(c if c.isprintable() else _ESCAPES.get(c) or repr(c)[1:-1]
                          for c in message)
    print(message, file=sys.stderr, flush=True)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m estimator",
        description="Find people and their 33 body keypoints in photos and clips; "
                    "write one JSON per input.",
        epilog="Several inputs or a folder: --out is a folder. "
               "A file name starting with '-' goes after '--'.",
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="photo (jpg, png, webp, bmp), clip (mp4, mov, avi, mkv, webm) "
                             "or folder of them")
    parser.add_argument("--out", required=True, metavar="PATH",
                        help="JSON file for one input; folder for several (or ending in /)")
    parser.add_argument("--max-people", type=_positive_int, default=4, metavar="N",
                        help="most people per frame (default 4)")
    parser.add_argument("--model", metavar="NAME", default=None,
                        help="a trained landmark model of the data folder's models/ "
                             "(default: the verified BlazePose weights)")
    return parser.parse_args(argv)


def _folder_media(folder: Path) -> list[Path]:
    """Photos and clips directly in a folder, by name; hidden and other files skipped."""
    found = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        if path.suffix.lower() in MEDIA_SUFFIXES:
            found.append(path)
            continue
        try:
            with open(path, "rb") as f:
                if sniff(f.read(4096)) is not None:
                    found.append(path)
        except OSError:
            continue
    return found


def expand_inputs(inputs: list[str]) -> tuple[list[Job], list[BadInputError], bool]:
    """Jobs for every file named or found in a folder; errors for empty folders.

    Returns the jobs, the folders that held nothing usable, and whether a
    folder was given (which makes ``--out`` a folder even for one input).
    """
    jobs: list[Job] = []
    errors: list[BadInputError] = []
    any_folder = False
    for given in inputs:
        path = Path(given)
        if path.is_dir():
            any_folder = True
            media = _folder_media(path)
            if not media:
                errors.append(BadInputError(given, "folder holds no photo or clip"))
            jobs.extend(Job(str(path / m.name), m) for m in media)
        else:
            jobs.append(Job(given, path))
    return jobs, errors, any_folder


def assign_outputs(jobs: list[Job], out_dir: Path) -> None:
    """``<stem>.json`` in ``out_dir``; on a clash ``<name>.json``, then ``<name>-2.json``..."""
    taken: set[str] = set()
    for job in jobs:
        candidates = [f"{job.path.stem}.json", f"{job.path.name}.json"]
        name = next((c for c in candidates if c not in taken), None)
        n = 2
        while name is None or name in taken:
            name, n = f"{job.path.name}-{n}.json", n + 1
        taken.add(name)
        job.out = out_dir / name


def _load_estimator(max_people: int, landmark_model=None):
    # Imported here: bad input is reported before the model runtime is even imported.
    # The TF Lite runtime prints start-up notes on the native stderr; keep them off.
    with quiet_native_stderr():
        from estimator.pipeline import PoseEstimator

        return PoseEstimator(max_people=max_people, landmark_model=landmark_model)


def _frames(estimator, job: Job):
    """The FramePoses of one input; a photo is decoded once, not re-probed."""
    from estimator.types import FramePoses

    if job.info.kind == "image":
        for frame in iter_frames(job.path):  # a large photo is decoded reduced
            people = in_source_pixels(estimator.estimate_image(frame.image), frame)
            yield FramePoses(frame.index, frame.time, people)
    else:
        yield from estimator.process(job.path)


def run_job(estimator, job: Job, model: str) -> tuple[int, int]:
    """Write one input's JSON; (frames, people-frames) written."""
    from tqdm import tqdm

    is_clip = job.info.kind == "video"
    with tqdm(total=job.info.frame_count if is_clip else None, unit="frame",
              desc=job.path.name, file=sys.stderr, disable=None if is_clip else True,
              dynamic_ncols=True, leave=False) as bar, \
            PoseJsonWriter(job.out, job.info, source=job.source, model=model) as writer:
        for frame in _frames(estimator, job):
            writer.write(frame)
            bar.update(1)
    return writer.frames_written, writer.people_written


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        return _run(parse_args(argv))
    except KeyboardInterrupt:
        _say("interrupted: no partial JSON was left behind")
        return EXIT_INTERRUPTED


def _run(args: argparse.Namespace) -> int:
    # The model a user named is checked first: a typo costs no decoding, writes nothing.
    from estimator.finetune.registry import ModelError, resolve

    try:
        with quiet_native_stderr():
            landmark_model = resolve(args.model)
    except ModelError as error:
        _say(f"error: {error}")
        return EXIT_BAD_INPUT
    jobs, bad, any_folder = expand_inputs(args.inputs)
    single = len(args.inputs) == 1 and not any_folder
    out = Path(args.out)
    out_is_folder = args.out.endswith(("/", os.sep)) or out.is_dir()

    # Outputs: one JSON file, or a folder of them.
    if single and not out_is_folder:
        for job in jobs:
            job.out = out
    else:
        if out.exists() and not out.is_dir():
            _say(f"error: --out {out} is a file; with several inputs or a folder, "
                 "--out must be a folder")
            return EXIT_BAD_INPUT
        assign_outputs(jobs, out)
    inputs = {job.path.resolve() for job in jobs if job.path.exists()}
    for job in jobs:
        if job.out.resolve() in inputs:
            _say(f"error: --out {job.out} would overwrite an input")
            return EXIT_BAD_INPUT

    # Check every input before loading the models.
    for error in bad:
        _say(f"error: {error}")
    good: list[Job] = []
    for job in jobs:
        try:
            job.info = probe(job.path)
            good.append(job)
        except BadInputError as error:
            bad.append(error)
            _say(f"error: {job.source}: {error.reason}")
    if not good:
        return EXIT_BAD_INPUT

    try:
        for directory in {job.out.parent for job in good}:
            directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        _say(f"error: cannot create the output folder: {error.strerror or error}")
        return EXIT_SETUP

    try:
        estimator = _load_estimator(args.max_people, landmark_model)
    except ModelWeightsError as error:
        _say(f"error: {error}")
        return EXIT_SETUP

    model = getattr(estimator, "description", None) or model_description()
    frames = people = 0
    started = time.perf_counter()
    for job in good:
        try:
            done = run_job(estimator, job, model)
        except BadInputError as error:
            bad.append(error)
            _say(f"error: {job.source}: {error.reason}")
            continue
        except EstimatorError as error:
            _say(f"error: {job.source}: {error}")
            return EXIT_SETUP
        except OSError as error:
            _say(f"error: cannot write {job.out}: {error.strerror or error}")
            return EXIT_SETUP
        frames, people = frames + done[0], people + done[1]
    elapsed = time.perf_counter() - started
    fps = frames / elapsed if elapsed > 0 else 0.0
    _say(f"{frames} frames, {people} people-frames, {elapsed:.1f} s, {fps:.1f} fps")
    return EXIT_BAD_INPUT if bad else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
