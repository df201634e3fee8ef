"""Clip view: the "Jumps" section, shown when the athlete's track has flights.

Each measured jump with its take-off and landing (buttons move the player there), flight
time and height by flight time with the resolution one frame allows, and the hip's rise
when the athlete's height gave a scale; flights that were refused, with why; per phase
(take-off, flight, landing) the ROM and peak angular velocity of each joint. Everything
comes from the stored analysis (:mod:`analysis.jumps`, :mod:`analysis.phases`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import widgets
from dashboard.escape import md

MAX_BUTTONS = 8  # jumps with go-to buttons; a long set of hops lists the rest


def _go(frame_key: str, jump_key: str, frame: int) -> None:
    st.session_state[frame_key] = int(frame)
    st.session_state[jump_key] = st.session_state.get(jump_key, 0) + 1  # the player follows


def _cm(value: float) -> str:
    return f"{value * 100:.1f}" if np.isfinite(value) else "–"


def jumps_table(jumps: pd.DataFrame, frames: np.ndarray) -> pd.DataFrame:
    """The measured jumps as the coach reads them: clip frames, seconds, cm."""
    ok = jumps[jumps["status"] == "ok"]
    return pd.DataFrame({
        "Jump": [str(j) for j in ok["jump"]],
        "Take-off": [f"frame {frames[f]} · {s:.3f} s"
                     for f, s in zip(ok["takeoff_frame"], ok["takeoff_s"], strict=True)],
        "Landing": [f"frame {frames[f]} · {s:.3f} s"
                    for f, s in zip(ok["landing_frame"], ok["landing_s"], strict=True)],
        "Flight (s)": [f"{t:.3f} ± {r:.3f}"
                       for t, r in zip(ok["flight_s"], ok["resolution_s"], strict=True)],
        "Height by flight time (cm)": [
            f"{_cm(h)} ± {_cm(r)}"
            for h, r in zip(ok["height_m"], ok["height_resolution_m"], strict=True)],
        "Height by hip rise (cm)": [_cm(h) for h in ok["hip_rise_m"]],
    })


def phases_table(phases: pd.DataFrame, number: int) -> pd.DataFrame:
    """One jump's phases: a row per angle, ROM and peak velocity per phase."""
    rows = phases[(phases["event"] == "jump") & (phases["number"] == number)]
    out = pd.DataFrame({"Angle": [widgets.angle_label(a) for a in dict.fromkeys(rows["angle"])]})
    for phase in ("take-off", "flight", "landing"):
        part = rows[rows["phase"] == phase].set_index("angle")
        names = list(dict.fromkeys(rows["angle"]))
        out[f"{phase.capitalize()} ROM (°)"] = part["rom_deg"].reindex(names).to_numpy()
        out[f"{phase.capitalize()} peak (°/s)"] = (
            part["peak_velocity_deg_s"].reindex(names).to_numpy())
    return out


def jumps_section(analysis: Any, frames: np.ndarray, fps: float, *, frame_key: str,
                  jump_key: str) -> None:
    """The section for one track's stored ``analysis`` (nothing when it found no flight).

    ``frames`` (F,): clip frame of each track position; ``frame_key`` / ``jump_key``: the
    page's session keys of the current frame and of the counter that moves the player.
    """
    jumps = getattr(analysis, "jumps", None)
    if jumps is None or jumps.empty:
        return
    st.subheader("Jumps")
    ok = jumps[jumps["status"] == "ok"]
    if not ok.empty:
        widgets.show_numbers(jumps_table(jumps, frames))
        step = 1.0 / fps if fps > 0 else float("nan")
        st.caption(
            f"Height = g·T²/8 from the flight time T (take-off and landing found from the "
            f"feet, between frames). Resolution: one frame, {step * 1000:.0f} ms at "
            f"{fps:g} fps, so ± g·T/4 per frame on the height. Valid for a landing at the "
            "take-off level with the legs as extended as at take-off. The hip rise (from "
            "take-off to the top) needs the athlete's height."
        )
        for jump in ok.head(MAX_BUTTONS).itertuples(index=False):
            cols = st.columns([1, 1, 1, 3])
            cols[0].markdown(f"**Jump {jump.jump}**")
            cols[1].button("Take-off", key=f"jump_takeoff_{jump.jump}", on_click=_go,
                           args=(frame_key, jump_key, int(frames[jump.takeoff_frame])))
            cols[2].button("Landing", key=f"jump_landing_{jump.jump}", on_click=_go,
                           args=(frame_key, jump_key, int(frames[jump.landing_frame])))
        phases = getattr(analysis, "phases", None)
        if phases is not None and not phases.empty:
            numbers = list(ok["jump"])
            number = (numbers[0] if len(numbers) == 1 else
                      st.selectbox("Phases of jump", numbers, key="jump_phases_number"))
            st.caption(f"Jump {number}: range of motion and peak angular velocity per phase "
                       "(take-off: from the bottom of the countermovement; landing: until "
                       "the hips stop going down).")
            widgets.show_numbers(phases_table(phases, int(number)), decimals=0)
    for jump in jumps[jumps["status"] != "ok"].itertuples(index=False):
        st.caption(md(f"Flight at {jump.takeoff_s:.2f} s (frame "
                      f"{frames[jump.takeoff_frame]}) not measured: {jump.reason}."))
