"""Command line of the analysis layer: analyse files into the store, list, export, compare,
prune the data folder.

    python -m analysis run INPUT... --athlete NAME --session TITLE [--date YYYY-MM-DD]
                           [--height-m H] [--max-people N] [--no-smoothing] [--db URL]
                           [--csv OUT.csv] [--rep-angle NAME] [--rep-min-range DEG]
                           [--model NAME]
    python -m analysis export --clip ID --csv OUT.csv [--what angles|keypoints|summary]
    python -m analysis list [--athlete NAME]
    python -m analysis compare CLIP_A CLIP_B [--csv OUT.csv]
    python -m analysis prune [--dry-run] [--data DIR] [--keep-recent HOURS]
    python -m analysis upgrade-db [--db URL]
    python -m analysis batch FOLDER_OR_LIST... --session TITLE [--engine local|dask]
                             (see analysis/batch/cli.py)

``--db`` (any SQLAlchemy URL) goes after the command; without it ``$POSTURE_DB_URL`` or
``data/posture.db``. ``--model NAME`` (``run``, ``batch``) reads the landmarks with a
trained model of the data folder's ``models/`` (see :mod:`estimator.finetune.registry`),
recorded with each clip; default: the verified BlazePose weights. A user's mistake
(unknown clip, unreadable file, database locked or unreachable, an unknown or failing
model) prints one line on stderr and exits with status 2, having written nothing.
Names (files, athletes, sessions, tags) are printed with control characters escaped
(a newline as ``\\n``, others as ``\\x1b``...), so every record stays on one line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from analysis.errors import AnalysisError
from analysis.repetitions import RepSettings

EXIT_BAD_INPUT = 2
EXIT_SOME_FAILED = 1

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def one_line(value: object) -> str:
    """``value`` as text on one line: control and other unprintable characters (newline,
    escape, bidi overrides, undecodable bytes of a file name) written as escapes."""
    text = str(value)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _ESCAPES.get(c) or repr(c)[1:-1] for c in text)


def say(*parts: object, err: bool = False) -> None:
    """Print one line (its parts joined), escaped by :func:`one_line`."""
    print(one_line("".join(map(str, parts))), file=sys.stderr if err else sys.stdout)


def _hours(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of hours: {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {text!r}")
    return value


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date as YYYY-MM-DD: {text!r}") from None


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db", metavar="URL", help="database URL (default: $POSTURE_DB_URL or data/posture.db)"
    )
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Joint angles, symmetry and repetitions from photos and clips, kept in a "
        "database.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run", parents=[common], help="analyse photos or clips into the database"
    )
    run.add_argument("inputs", nargs="+", metavar="INPUT", type=Path, help="photos or clips")
    run.add_argument("--athlete", required=True, metavar="NAME", help="created when missing")
    run.add_argument("--session", required=True, metavar="TITLE", help="created when missing")
    run.add_argument("--date", type=_date, metavar="YYYY-MM-DD", help="session date (today)")
    run.add_argument("--height-m", type=_positive_float, metavar="H", help="athlete height, m")
    run.add_argument("--max-people", type=int, default=4, metavar="N", help="default 4")
    run.add_argument(
        "--model", metavar="NAME",
        help="trained landmark model of the data folder's models/ (default: the verified "
        "BlazePose weights)",
    )
    run.add_argument(
        "--no-smoothing", action="store_true", help="keep angles as measured (no clean-up)"
    )
    run.add_argument(
        "--csv", type=Path, metavar="OUT.csv",
        help="also write the angles CSV (several inputs: OUT_<input name>.csv)",
    )
    run.add_argument(
        "--rep-angle", metavar="NAME",
        help="angle repetitions are counted in: a pair (knee, shoulder...: both sides' "
        "mean) or one angle (left_knee, elbow_3d...); default: the clearest cycle",
    )
    run.add_argument(
        "--rep-min-range", type=_positive_float, metavar="DEG",
        default=RepSettings().min_range_deg,
        help="smallest movement counted as a repetition, degrees (default %(default)g)",
    )

    export = commands.add_parser("export", parents=[common], help="write a clip's CSV")
    export.add_argument("--clip", required=True, type=int, metavar="ID")
    export.add_argument("--csv", required=True, type=Path, metavar="OUT.csv")
    export.add_argument("--what", choices=("angles", "keypoints", "summary"), default="angles")
    export.add_argument("--track", type=int, metavar="N", help="one person only (track id)")

    listing = commands.add_parser(
        "list", parents=[common], help="athletes, their sessions and clips"
    )
    listing.add_argument("--athlete", metavar="NAME", help="only athletes whose name has this")

    compare = commands.add_parser(
        "compare", parents=[common], help="compare two clips angle by angle"
    )
    compare.add_argument("clip_a", type=int, metavar="CLIP_A")
    compare.add_argument("clip_b", type=int, metavar="CLIP_B")
    compare.add_argument("--csv", type=Path, metavar="OUT.csv", help="write the comparison")

    prune = commands.add_parser(
        "prune", parents=[common],
        help="remove files of the data folder (uploads, previews, exports) no row points to",
    )
    prune.add_argument("--dry-run", action="store_true", help="only say what would go")
    prune.add_argument("--data", type=Path, metavar="DIR",
                       help="the data folder (default: $POSTURE_DATA_DIR or data/)")
    prune.add_argument(
        "--keep-recent", type=_hours, default=24.0, metavar="HOURS",
        help="keep files younger than this even when no row points to them yet (an upload "
        "waiting for its analysis); default %(default)g")

    commands.add_parser(
        "upgrade-db", parents=[common],
        help="bring the database's schema up to this version (Alembic migrations)",
    )
    from analysis.batch.cli import add_parser as add_batch_parser

    add_batch_parser(commands, common)
    return parser


def _open_store(url: str | None) -> Any:
    from analysis.store import Store

    return Store(url)


def _csv_targets(csv: Path | None, inputs: Sequence[Path]) -> list[Path | None]:
    if csv is None:
        return [None] * len(inputs)
    if len(inputs) == 1:
        return [csv]
    return [csv.with_name(f"{csv.stem}_{path.stem}{csv.suffix or '.csv'}") for path in inputs]


def _check_writable(path: Path) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise AnalysisError(f"Cannot write {path}: folder {folder} does not exist.")


def cmd_run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from analysis.export import angles_table, write_csv
    from analysis.filtering import CleanSettings
    from analysis.pipeline import PipelineSettings, check_frame_rate, run_file
    from analysis.pose_stream import estimator_for, landmark_model_for
    from analysis.rep_signals import check_rep_angle
    from estimator import EstimatorError, probe

    # Everything a user can get wrong is checked before anything is written (or estimated).
    if args.rep_angle is not None:
        check_rep_angle(args.rep_angle)
    settings = PipelineSettings(
        max_people=args.max_people,
        clean=CleanSettings.raw() if args.no_smoothing else CleanSettings(),
        height_m=args.height_m,
        repetitions=RepSettings(angle=args.rep_angle, min_range_deg=args.rep_min_range),
        model=args.model,
    )
    landmark_model = landmark_model_for(settings.model)  # checked before anything is read
    infos = []
    for path in args.inputs:
        try:
            info = probe(path)
        except EstimatorError as error:
            raise AnalysisError(str(error)) from error
        check_frame_rate("video" if info.kind == "video" else "photo", info.fps, settings,
                         str(path))
        infos.append(info)
    targets = _csv_targets(args.csv, args.inputs)
    for target in targets:
        if target is not None:
            _check_writable(target)
    store = _open_store(args.db)
    # one transaction: a title the store refuses leaves no new athlete behind
    athlete, session = store.get_or_create_athlete_session(
        args.athlete, args.session, args.date, height_m=args.height_m)

    estimator = None
    failures = 0
    for path, info, target in zip(args.inputs, infos, targets, strict=True):
        if estimator is None:
            try:
                estimator = estimator_for(settings, landmark_model)
            except EstimatorError as error:
                raise AnalysisError(str(error)) from error
        total = max(int(info.frame_count), 1)
        with tqdm(
            total=total, desc=one_line(path.name), unit="frame", leave=False, file=sys.stderr,
            disable=None,
        ) as bar:

            def advance(done: int, total_now: int, _eta: float | None, bar: Any = bar) -> None:
                bar.total = max(bar.total, total_now)
                bar.update(done - bar.n)

            try:
                outcome = run_file(
                    store, path, athlete.id, session.id, settings,
                    estimator=estimator, progress=advance,
                )
            except AnalysisError as error:
                failures += 1
                bar.close()
                say(path, ": failed: ", error, err=True)
                continue
        clip = store.get_clip(outcome.clip_id)
        say(_describe_stored(clip, session, outcome.reused))
        if clip.kind == "video" and not outcome.reused:
            say("  ", _describe_repetitions(clip, settings.repetitions))
        if target is not None:
            write_csv(angles_table(store, clip.id), target)
            say("  angles CSV: ", target)
    return EXIT_SOME_FAILED if failures else 0


def _describe_stored(clip: Any, session: Any, reused: bool) -> str:
    what = f"{clip.frame_count} frames" if clip.kind == "video" else "photo"
    athlete = f", athlete is track {clip.athlete_track}" if clip.athlete_track is not None else ""
    verb = "already stored as" if reused else "stored"
    return (
        f"{verb} clip {clip.id}: {clip.file_name} ({what}, {_people(len(clip.tracks))}"
        f"{athlete}) in session {session.id} "
        f"'{session.title}' ({session.date.isoformat()}) of {session.athlete_name}"
    )


def _describe_repetitions(clip: Any, repetitions: RepSettings) -> str:
    """``repetitions of track 0: 4 in left knee (chosen, at least 20 deg)``."""
    track = next((t for t in clip.tracks if t.track_id == clip.athlete_track), None)
    if track is None:
        return "repetitions: nobody to count them for"
    how = "chosen" if repetitions.angle is not None else "clearest cycle"
    where = (track.rep_signal or "no angle seen").replace("_", " ")
    return (
        f"repetitions of track {track.track_id}: {track.n_repetitions} in {where} "
        f"({how}, at least {repetitions.min_range_deg:g} deg)"
    )


def cmd_export(args: argparse.Namespace) -> int:
    from analysis.export import export_clip

    _check_writable(args.csv)
    store = _open_store(args.db)
    path = export_clip(store, args.clip, args.csv, args.what, track_id=args.track)
    say(f"{args.what} of clip {args.clip} written to ", path)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    store = _open_store(args.db)
    athletes = store.list_athletes(search=args.athlete)
    if not athletes:
        say("No athletes yet." if not args.athlete else f"No athlete matching {args.athlete!r}.")
        return 0
    for athlete in athletes:
        height = f", {athlete.height_m:.2f} m" if athlete.height_m else ""
        say(f"athlete {athlete.id}: {athlete.name}{height}")
        for session in reversed(store.list_sessions(athlete.id)):
            tags = f"  [{', '.join(session.tags)}]" if session.tags else ""
            say(f"  session {session.id}: {session.date.isoformat()}  {session.title}{tags}")
            for clip in store.list_clips(session.id):
                say(f"    {_describe_clip(clip)}")
    return 0


def _describe_clip(clip: Any) -> str:
    what = (
        f"video {clip.width}x{clip.height}, {clip.frame_count} frames, {clip.fps:.4g} fps"
        if clip.kind == "video"
        else f"photo {clip.width}x{clip.height}"
    )
    status = clip.status if clip.status != "failed" else f"failed ({clip.error})"
    athlete = f", athlete track {clip.athlete_track}" if clip.athlete_track is not None else ""
    people = _people(len(clip.tracks))
    return f"clip {clip.id}: {clip.file_name}  {what}  {status}, {people}{athlete}"


def _people(n: int) -> str:
    return f"{n} person" if n == 1 else f"{n} people"


def cmd_compare(args: argparse.Namespace) -> int:
    from analysis.export import comparison_table, write_csv
    from analysis.pipeline import compare_stored_clips

    if args.csv is not None:
        _check_writable(args.csv)
    store = _open_store(args.db)
    comparison = compare_stored_clips(store, args.clip_a, args.clip_b)
    clip_a, clip_b = store.get_clip(args.clip_a), store.get_clip(args.clip_b)
    table = comparison_table(comparison, clip_a, clip_b)
    span = (
        f"per repetition ({comparison.n_a} vs {comparison.n_b})"
        if comparison.by == "repetition"
        else "whole clips"
    )
    say(
        f"clip {clip_a.id} ({clip_a.file_name}) -> clip {clip_b.id} ({clip_b.file_name}), "
        f"{span}; differences are B - A, degrees (SI in %)"
    )
    shown = [c for c in ("angle", "rom_a", "rom_b", "rom_diff", "peak_diff", "mean_diff",
                         "si_a", "si_b") if c in table.columns]
    main_angles = table[~table["angle"].str.endswith("_3d")]
    print(main_angles[shown].to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    if args.csv is not None:
        write_csv(table, args.csv)
        say("comparison written to ", args.csv)
    return 0


def cmd_prune(args: argparse.Namespace) -> int:
    from analysis.files import data_dir, format_bytes, prune

    data = args.data or data_dir()
    if not data.is_dir():
        raise AnalysisError(f"No data folder at {data}.")
    store = _open_store(args.db)
    removal = prune(store, data, dry_run=args.dry_run, keep_recent_s=args.keep_recent * 3600)
    verb = "would remove" if args.dry_run else "removed"
    for path in removal.removed:
        say(f"{verb} ", path)
    for path, reason in removal.failed:
        say(f"could not remove {path}: {reason}", err=True)
    recent = (f"; kept {removal.kept_recent} recent file"
              f"{'' if removal.kept_recent == 1 else 's'} no row points to yet "
              f"(younger than {args.keep_recent:g} h)" if removal.kept_recent else "")
    n = len(removal.removed)
    say(f"{verb} {n} file{'' if n == 1 else 's'}, {format_bytes(removal.bytes)} "
        f"{'would be ' if args.dry_run else ''}freed in {data}{recent}")
    return EXIT_SOME_FAILED if removal.failed else 0


def cmd_upgrade_db(args: argparse.Namespace) -> int:
    from analysis.store.engine import _describe, default_url
    from analysis.store.schema import upgrade_database

    url = args.db or default_url()
    before, after = upgrade_database(url)
    if before == after:
        print(f"The database {_describe(url)} is up to date (schema {after}).")
    elif before is None:
        print(f"The database {_describe(url)} now has schema {after}.")
    else:
        print(f"The database {_describe(url)} was upgraded from schema {before} to {after}.")
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    from analysis.batch.cli import cmd_batch as run_batch_command

    return run_batch_command(args)


COMMANDS = {"run": cmd_run, "export": cmd_export, "list": cmd_list, "compare": cmd_compare,
            "prune": cmd_prune, "upgrade-db": cmd_upgrade_db, "batch": cmd_batch}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except AnalysisError as error:
        say("error: ", error, err=True)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head`: not an error
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
