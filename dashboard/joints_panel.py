"""The Clip view's "Correct joints" panel: a coach moves a joint to where it really is, or
marks it not visible, on one frame; and downloads the labelled frames.

Click a joint of the chosen person on the frame (the nearest one is picked), then click
its true place: the store keeps the correction beside the model's reading and recomputes
the person's metrics (:meth:`analysis.Store.add_joint_correction`). The joint can also be
chosen from the list (one the model did not draw, say) and marked not visible. Undo is in
the list of the clip's corrections (:mod:`dashboard.corrections_panel`). Every frame with
a joint corrected is a labelled frame: this clip's, or all of the athlete's, download as
a zip of frames with ``labels.json`` (:mod:`analysis.labelled_frames`), the format
fine-tuning reads. Below them, a section trains a landmark model on them in the
background (:mod:`dashboard.training_panel`).

Clicks arrive in the shown image's CSS pixels (``streamlit-image-coordinates``); they are
mapped to the clip's pixels through the shown size and the frame reader's scale. A click
is acted on once: the component keeps returning its last click on every rerun.
"""

from __future__ import annotations

import cv2
import numpy as np
import streamlit as st

from analysis import ClipInfo, Store
from analysis.correction_store import joint_label
from analysis.labelled_frames import export_labels, labelled_frames
from dashboard.annotate import track_label
from dashboard.clickable_frame import clickable_frame, clip_pixels
from dashboard.clipdata import ClipData, frame_image, frame_reader
from dashboard.escape import md
from dashboard.state import USER_ERRORS, one_line, user_errors
from dashboard.training_panel import training_panel
from estimator import KEYPOINT_NAMES

PICKED = "joints_picked"  # the joint chosen by a first click (or the list)
SEEN = "joints_click_seen"  # unix_time of the last click acted on
OUTCOME = "joints_outcome"
AUTHOR = "corrections_author"  # who corrects: typed in the swap panel, kept per browser
#: A first click picks the nearest joint within this share of the image's diagonal.
PICK_RADIUS = 0.06
#: Joints offered for a correction: the 33 keypoints but the face's fine points.
CHOICES = tuple(n for n in KEYPOINT_NAMES
                if not n.startswith(("left_eye", "right_eye", "mouth")) or n in
                ("left_eye", "right_eye"))


def nearest_joint(keypoints: np.ndarray, point: tuple[float, float], radius: float
                  ) -> str | None:
    """The name of the keypoint (33, 3) nearest ``point`` among those drawn (finite, of
    :data:`CHOICES`), if within ``radius`` pixels."""
    best, best_d = None, radius
    for name in CHOICES:
        x, y = keypoints[KEYPOINT_NAMES.index(name), :2]
        d = float(np.hypot(x - point[0], y - point[1]))
        if np.isfinite(d) and d <= best_d:
            best, best_d = name, d
    return best


def _correct(store: Store, clip: ClipInfo, track_id: int, frame: int, joint: str,
             position: tuple[float, float] | None) -> None:
    state = st.session_state
    try:
        made = store.add_joint_correction(clip.id, track_id, frame, joint, position,
                                          created_by=state.get(AUTHOR, ""))
    except USER_ERRORS as error:
        state[OUTCOME] = ("error", one_line(error))
    else:
        state[OUTCOME] = ("success", f"{made.describe()} for {track_label(track_id)}; "
                                     "the metrics are recomputed.")
    state.pop(PICKED, None)


def _download(store: Store, clip: ClipInfo, athlete_name: str) -> None:
    with user_errors():
        mine = labelled_frames(store, clip_id=clip.id)
        everyone = labelled_frames(store, athlete=clip.athlete_id)
        st.caption(f"Labelled frames (a joint corrected): {len(mine)} in this clip, "
                   f"{len(everyone)} of {md(athlete_name)}'s in all. They download as frames "
                   "with labels.json, the format fine-tuning reads.")
        cols = st.columns(2)
        choices = ((cols[0], mine, "this clip's labelled frames", f"labels_clip{clip.id}.zip"),
                   (cols[1], everyone, "all of the athlete's labelled frames",
                    f"labels_athlete{clip.athlete_id}.zip"))
        for col, frames, what, name in choices:
            if frames and col.button(f"Prepare {what}", key=f"prep_{name}"):
                st.session_state[f"zip_{name}"] = export_labels(store, frames)
            data = st.session_state.get(f"zip_{name}")
            if data is not None:
                col.download_button(f"Download {what} (zip)", data, file_name=name,
                                    mime="application/zip", key=f"dl_{name}")


def joints_panel(store: Store, clip: ClipInfo, data: ClipData, track_id: int | None,
                 athlete_name: str, *, frame: int) -> None:
    """The panel for person ``track_id`` of ``clip`` on clip frame ``frame``."""
    st.subheader("Correct joints")
    outcome = st.session_state.pop(OUTCOME, None)
    if outcome is not None:
        (st.success if outcome[0] == "success" else st.error)(outcome[1])
    if track_id is None:
        st.info("Choose the athlete to correct their joints.")
        return
    where = {t.info.track_id: pos for t, pos in data.people_at(frame)}
    if track_id not in where:
        st.info(f"{track_label(track_id)} is not seen in frame {frame}: move to a frame "
                "where they are to correct a joint.")
        _download(store, clip, athlete_name)
        training_panel(store, clip.athlete_id, athlete_name)
        return
    keypoints = data.tracks[track_id].poses.keypoints[where[track_id]]
    st.caption(
        f"Frame {frame}: click a joint of {track_label(track_id)}, then click where it "
        "really is. The angles are recomputed from the corrected keypoints; what the "
        "model read stays stored, and Undo (in the list below) takes a correction back."
    )
    jpeg = frame_image(data, frame, track_id, athlete_name, (), show_others=False)
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)[:, :, ::-1]
    scale = frame_reader(clip).scale
    image_col, side_col = st.columns([2, 1], gap="medium")
    with image_col, st.container(key="joints_image"):
        click = clickable_frame(image, key=f"joints_{clip.id}_{track_id}_{frame}")
    if click and click.get("unix_time") != st.session_state.get(SEEN):
        st.session_state[SEEN] = click.get("unix_time")
        point = clip_pixels(click, (image.shape[1], image.shape[0]), scale)
        picked = st.session_state.get(PICKED)
        if picked is None:
            radius = PICK_RADIUS * float(np.hypot(clip.width, clip.height))
            found = nearest_joint(keypoints, point, radius)
            if found is None:
                st.session_state[OUTCOME] = ("error", "No joint there: click on a joint of "
                                                      "the skeleton first.")
            else:
                st.session_state[PICKED] = found
        else:
            _correct(store, clip, track_id, frame, picked, point)
        st.rerun()
    with side_col:
        picked = st.session_state.get(PICKED)
        chosen = st.selectbox("Joint", CHOICES, index=CHOICES.index(picked) if picked else None,
                              format_func=joint_label, placeholder="Click one or choose",
                              key=f"joints_choice_{picked}")
        if chosen != picked and chosen is not None:
            st.session_state[PICKED] = chosen
            st.rerun()
        if picked:
            st.markdown(f"**{joint_label(picked)}**: now click where it really is.")
            st.button("Not visible", icon=":material/visibility_off:",
                      on_click=_correct, args=(store, clip, track_id, frame, picked, None),
                      help="It is hidden in this frame: its angles are not measured here.")
            st.button("Cancel", on_click=lambda: st.session_state.pop(PICKED, None))
    _download(store, clip, athlete_name)
    training_panel(store, clip.athlete_id, athlete_name)
