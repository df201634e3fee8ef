"""The Clip view's downloads: the CSVs, the annotated clip (MP4, at the size chosen) and the
annotated photo (PNG).

The annotated clip is drawn at the clip's own size unless the coach picks the quicker
1280-pixel version; either way the caption says the size it was drawn at, so a 4K clip
is never reduced without saying so.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from analysis import ClipInfo, Store, angles_table, csv_bytes, keypoints_table, summary_table
from dashboard.clipdata import ClipData, clip_stamp
from dashboard.render import (
    EXPORT_MAX_SIDE,
    annotated_photo_png,
    export_annotated_clip,
    export_size,
)
from dashboard.state import exports_dir, get_store, user_errors

CSV_EXPORTS = (("angles", "Angles CSV"), ("keypoints", "Keypoints CSV"),
               ("summary", "Summary CSV"))
VIDEO_SIZE = "clip_video_size"
FULL_SIZE = 0  # the size choice "the clip's own size"


@st.cache_data(max_entries=16, show_spinner=False)
def _csv(what: str, clip_id: int, stamp: str) -> bytes:
    store = get_store()
    table = {"angles": angles_table, "keypoints": keypoints_table,
             "summary": summary_table}[what](store, clip_id)
    return csv_bytes(table)


def file_stem(clip: ClipInfo) -> str:
    """The clip's file name without extension, safe in a download's name."""
    stem = clip.file_name.rsplit(".", 1)[0]
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in stem)[:60] or "clip"


def size_label(clip: ClipInfo, max_side: int | None) -> str:
    """How an annotated clip of that size choice is drawn, e.g. ``Full size, 3840×2160``."""
    width, height, _ = export_size(clip.width, clip.height, max_side)
    if max_side is None:
        return f"Full size, {width}×{height}"
    return f"{width}×{height} (quicker to make and send)"


#: (clip id, stamp) of the clips whose CSVs this server process has made: shown at once.
_MADE: set[tuple[int, str]] = set()
#: Session state: the (clip id, stamp) whose CSVs the user asked for before the player.
MAKE_NOW = "downloads_csv_now"


def downloads(store: Store, clip: ClipInfo, data: ClipData, athlete_track: int | None,
              athlete_name: str, names: tuple[str, ...], show_others: bool, *,
              csv_later: bool = False) -> None:
    """The Downloads section of the Clip view. ``csv_later``: the page runs again by
    itself soon (the player's preview is being made), so the CSVs of a clip not seen
    yet are made then, unless asked for now (see :func:`_csv_downloads`)."""
    st.subheader("Downloads")
    stem = file_stem(clip)
    csv_col, file_col = st.columns([3, 1])
    with csv_col:
        _csv_downloads(clip, stem, later=csv_later)
    if clip.kind == "photo":
        _photo_download(file_col, data, stem, athlete_track, athlete_name, names, show_others)
    else:
        _video_download(file_col, clip, data, stem, athlete_track, athlete_name, names,
                        show_others)


def _csv_downloads(clip: ClipInfo, stem: str, *, later: bool) -> None:
    """The three CSV buttons. Making them takes 0.21-0.25 s of a page's run (measured on
    2 cores, a 7.7 s clip of two people), so on a new clip's first drawing, while its
    player is being made, they wait for the run that shows the player: the frame and the
    charts show first. A button makes them at once."""
    key = (clip.id, clip_stamp(clip))
    if later and key not in _MADE and st.session_state.get(MAKE_NOW) != key:
        st.caption("The CSV files come with the player, in a few seconds.")
        st.button("Make them now", key="downloads_csv_now_button",
                  icon=":material/table_view:", on_click=_make_now, args=(key,))
        return
    cols = st.columns(len(CSV_EXPORTS))
    with user_errors():
        for col, (what, label) in zip(cols, CSV_EXPORTS, strict=True):
            col.download_button(
                label, _csv(what, *key), file_name=f"{stem}-{what}.csv",
                mime="text/csv", icon=":material/download:", key=f"download_{what}",
                on_click="ignore",
            )
    _MADE.add(key)


def _make_now(key: tuple[int, str]) -> None:
    st.session_state[MAKE_NOW] = key


def _photo_download(col, data: ClipData, stem: str, athlete_track: int | None,
                    athlete_name: str, names: tuple[str, ...], show_others: bool) -> None:
    with user_errors():
        png = _photo_png(data.clip.id, clip_stamp(data.clip), athlete_track, athlete_name,
                         names, show_others, data)
        col.download_button(
            "Annotated photo (PNG)", png, file_name=f"{stem}-annotated.png", mime="image/png",
            icon=":material/download:", key="download_photo", on_click="ignore",
            help=f"The photo with the skeletons and angles, at its own size "
            f"({data.clip.width}×{data.clip.height}).",
        )


@st.cache_data(max_entries=8, show_spinner="Drawing the photo…")
def _photo_png(clip_id: int, stamp: str, athlete_track: int | None, athlete_name: str,
               names: tuple[str, ...], show_others: bool, _data: ClipData) -> bytes:
    return annotated_photo_png(_data, athlete_track, athlete_name, names, show_others)


def _video_download(col, clip: ClipInfo, data: ClipData, stem: str, athlete_track: int | None,
                    athlete_name: str, names: tuple[str, ...], show_others: bool) -> None:
    # Full size by default; the smaller size only offered when it is smaller.
    choices = [FULL_SIZE]
    if max(clip.width, clip.height) > EXPORT_MAX_SIDE:
        choices.append(EXPORT_MAX_SIDE)
    chosen = col.radio(
        "Video size", choices, format_func=lambda m: size_label(clip, m or None),
        key=VIDEO_SIZE, help="The annotated clip is drawn at this size.",
    ) if len(choices) > 1 else FULL_SIZE
    max_side = chosen or None
    video_key = (f"clip_video_{clip.id}_{athlete_track}_{hash(tuple(names))}_{show_others}_"
                 f"{max_side}")
    if col.button("Annotated video", icon=":material/movie:", key="make_video",
                  help="Draws every frame and encodes an MP4 (H.264) that plays "
                  "in any browser."):
        bar = st.progress(0.0, text="Drawing the frames…")

        def _progress(done: int, total: int) -> None:
            bar.progress(min(1.0, done / max(total, 1)),
                         text=f"Drawing the frames… {done} of {total}")

        with user_errors():
            path = export_annotated_clip(
                data, exports_dir(), athlete_track, athlete_name, names, show_others,
                progress=_progress, max_side=max_side, notes=get_store().list_notes(clip.id),
            )
            st.session_state[video_key] = str(path)
        bar.empty()
    path = st.session_state.get(video_key)
    if path and Path(path).is_file():
        video_col, side_col = st.columns([1.25, 1], gap="medium")
        video_col.video(path)
        with open(path, "rb") as f:
            side_col.download_button(
                "Download the annotated video (MP4)", f.read(),
                file_name=f"{stem}-annotated.mp4", mime="video/mp4",
                icon=":material/download:", key="download_video", on_click="ignore",
            )
        width, height, _ = export_size(clip.width, clip.height, max_side)
        drawn = ("at the clip's full size" if (width, height) == export_size(
            clip.width, clip.height, None)[:2] else "reduced from "
            f"{clip.width}×{clip.height}")
        side_col.caption(f"H.264 MP4, {width}×{height} ({drawn}): plays in any browser "
                         "and on phones.")
