"""An athlete's height as a coach types it: metres ("1.78", "1,78 m") or centimetres
("178", "178 cm"), read unambiguously.

Without a unit, a number from 0.5 to 2.8 is metres and one from 50 to 280 is
centimetres: the two ranges cannot overlap, so "178" is never taken for 178 m nor
silently dropped. Anything else is refused with a message saying what is accepted.
"""

from __future__ import annotations

import re

import streamlit as st

from analysis import AnalysisError

METRES = (0.5, 2.8)
CENTIMETRES = (50.0, 280.0)
LABEL = "Height (m or cm), optional"
HELP = ("For example 1.78 or 178 (cm). With a height, distances and speeds are also given "
        "in metres. Leave empty when unknown.")

_PATTERN = re.compile(r"^\s*(\d+(?:[.,]\d*)?|[.,]\d+)\s*(m|cm)?\s*$", re.IGNORECASE)


def parse_height(text: str | None) -> float | None:
    """Metres from what was typed; None when empty. Raises AnalysisError (one line a
    coach understands) for anything that is not a height in metres or centimetres."""
    if text is None or not text.strip():
        return None
    match = _PATTERN.match(text)
    if match is None:
        raise AnalysisError(
            f"“{text.strip()}” is not a height: type it in metres (1.78) or centimetres (178).")
    value = float(match.group(1).replace(",", "."))
    unit = (match.group(2) or "").lower()
    if unit == "cm" or (not unit and CENTIMETRES[0] <= value <= CENTIMETRES[1]):
        metres = value / 100.0
    else:
        metres = value
    if not METRES[0] <= metres <= METRES[1]:
        raise AnalysisError(
            f"“{text.strip()}” is not a height: type it in metres (0.5 to 2.8, e.g. 1.78) "
            "or centimetres (50 to 280, e.g. 178).")
    return round(metres, 3)


def format_height(height_m: float | None) -> str:
    """A stored height as the field shows it: ``1.78`` (metres), empty when unknown."""
    return "" if not height_m else f"{height_m:.2f}"


def height_input(key: str | None = None, value: float | None = None) -> str:
    """The height field (text, so "178" reaches :func:`parse_height` as typed)."""
    return st.text_input(LABEL, value=format_height(value), placeholder="e.g. 1.78 or 178",
                         help=HELP, key=key)
