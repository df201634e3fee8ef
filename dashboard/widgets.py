"""Small presentation helpers shared by the pages: labels, tables, tags.

No analysis here: these only name, format and filter what the store returns.

Tables: every table a page shows goes through :func:`show_table` (or
:func:`show_numbers`), which hands ``st.dataframe`` a copy whose text cells a spreadsheet
cannot run as formulas (:func:`analysis.export.neutralise_frame`: ``=HYPERLINK(...)``
becomes ``'=HYPERLINK(...)``). Streamlit's own "Download as CSV" of a table is hidden
(:data:`HIDE_TABLE_DOWNLOAD`: it writes ``x;=1+1`` unquoted, which a spreadsheet that
splits on semicolons runs); a page offers :func:`table_csv` instead, where every text
cell is neutralised and quoted.
"""

from __future__ import annotations

import csv
import datetime as dt

import pandas as pd
import streamlit as st

from analysis import AthleteInfo, ClipInfo, SessionInfo
from analysis.angles import angle_names
from analysis.export import neutralise_frame


def athlete_label(athlete: AthleteInfo | None) -> str:
    if athlete is None:
        return ""
    height = f" · {athlete.height_m:.2f} m" if athlete.height_m else ""
    return f"{athlete.name}{height}"


def session_label(session: SessionInfo | None) -> str:
    if session is None:
        return ""
    tags = f" · {', '.join(session.tags)}" if session.tags else ""
    return f"{session.athlete_name} · {session.date:%Y-%m-%d} · {session.title}{tags}"


def parse_tags(text: str) -> list[str]:
    """``"squat, legs ,  "`` -> ``["squat", "legs"]``."""
    return [t.strip() for t in text.split(",") if t.strip()]


def format_duration(seconds: float | None) -> str:
    if seconds is None or pd.isna(seconds):
        return ""
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def plural(n: int, word: str) -> str:
    """``plural(1, "clip")`` -> ``1 clip``; ``plural(3, "clip")`` -> ``3 clips``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def format_megabytes(mb: int) -> str:
    """``1024`` -> ``1 GB``, ``200`` -> ``200 MB`` (Streamlit's upload limit is in MB)."""
    if mb >= 1024 and mb % 1024 == 0:
        return f"{mb // 1024} GB"
    return f"{mb} MB"


def clip_kind_label(kind: str | None) -> str:
    return {"photo": "Photo", "video": "Clip"}.get(kind or "", "")


OVERVIEW_COLUMNS = ["Athlete", "Date", "Session", "Tags", "File", "Type", "Status", "Frames",
                    "Duration (s)", "People"]


def overview_table(overview: pd.DataFrame, search: str | None = None) -> pd.DataFrame:
    """The store's overview as the Sessions page shows it, keeping rows that match ``search``.

    ``search`` matches (any case) the athlete's name, the session's title, a tag or
    the file name.
    """
    if overview.empty:
        return pd.DataFrame(columns=OVERVIEW_COLUMNS)
    table = pd.DataFrame(
        {
            "Athlete": overview["athlete"],
            "Date": pd.to_datetime(overview["date"]).dt.date,
            "Session": overview["session"],
            "Tags": overview["tags"].map(lambda t: ", ".join(t) if isinstance(t, list) else ""),
            "File": overview["file_name"],
            "Type": overview["kind"].map(clip_kind_label),
            "Status": overview["status"].map(lambda s: {"done": "analysed", "failed": "failed",
                                                        "running": "running",
                                                        "pending": "waiting"}.get(s, "")),
            "Frames": overview["frame_count"],
            "Duration (s)": overview["duration_s"],
            "People": overview["n_tracks"].where(overview["file_name"].notna()),
        }
    )
    if search and search.strip():
        needle = search.strip().casefold()
        haystack = (
            table["Athlete"].fillna("") + "\n" + table["Session"].fillna("") + "\n"
            + table["Tags"].fillna("") + "\n" + table["File"].fillna("")
        ).str.casefold()
        table = table[haystack.str.contains(needle, regex=False)]
    return table.reset_index(drop=True)


def clip_labels(overview: pd.DataFrame) -> dict[int, str]:
    """clip id -> ``athlete · date · session · file``."""
    rows = overview.dropna(subset=["clip_id"])
    return {
        int(r.clip_id): f"{r.athlete} · {pd.Timestamp(r.date):%Y-%m-%d} · {r.session} · "
        f"{r.file_name}"
        for r in rows.itertuples()
    }


def clip_label(clip: ClipInfo, labels: dict[int, str]) -> str:
    return labels.get(clip.id, clip.file_name)


def today() -> dt.date:
    return dt.date.today()


def angle_choices(with_3d: bool = True) -> list[str]:
    """Every angle the analysis measures, in its documented order."""
    return list(angle_names(with_3d))


def angle_label(name: str) -> str:
    """``left_knee`` -> ``Left knee``; ``trunk_lean_3d`` -> ``Trunk lean (3D)``."""
    base = name.removesuffix("_3d")
    text = base.replace("_", " ").capitalize()
    return f"{text} (3D)" if name.endswith("_3d") else text


#: CSS that hides the "Download as CSV" of Streamlit's table toolbar (see the module doc).
HIDE_TABLE_DOWNLOAD = (
    "<style>[data-testid='stElementToolbar'] button[aria-label='Download as CSV']"
    "{display:none !important}</style>"
)


def table_csv(table: pd.DataFrame) -> bytes:
    """A shown table as CSV for a spreadsheet: UTF-8 with a byte-order mark (so Excel
    reads accents), header row, dot decimal, every text cell neutralised
    (:func:`analysis.export.neutralise_frame`) and in double quotes, so neither a
    leading ``=``, ``+``, ``-``, ``@`` nor a ``;`` inside a name can start a formula."""
    return neutralise_frame(table).to_csv(
        index=False, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n"
    ).encode("utf-8-sig")


def show_table(table: pd.DataFrame, *, download: str | None = None, **options) -> None:
    """``st.dataframe`` of ``table`` with its text cells neutralised (see the module doc);
    with ``download`` (a file name), a button under it that downloads :func:`table_csv`."""
    options.setdefault("hide_index", True)
    options.setdefault("width", "stretch")
    st.dataframe(neutralise_frame(table), **options)
    if download:
        st.download_button(
            "Download the table (CSV)", table_csv(table), file_name=download,
            mime="text/csv", icon=":material/download:", on_click="ignore",
            key=f"table_csv_{download}",
        )


def show_numbers(table: pd.DataFrame, decimals: int = 1, **options) -> None:
    """:func:`show_table` of ``table`` with its numeric columns shown to ``decimals`` places.

    The numbers are rounded first, so a tiny negative value reads "0.0", not "-0.0".
    """
    numeric = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])]
    shown = table.copy()
    shown[numeric] = shown[numeric].round(decimals) + 0.0  # -0.0 + 0.0 is +0.0
    config = {c: st.column_config.NumberColumn(format=f"%.{decimals}f") for c in numeric}
    config.update(options.pop("column_config", {}))
    show_table(shown, column_config=config, **options)
