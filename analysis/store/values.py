"""Values as every database takes them, so SQLite and PostgreSQL store the same thing.

PostgreSQL refuses what SQLite keeps: a NUL character in text, NaN or infinity in JSON,
a string longer than its ``VARCHAR``, an integer beyond its 32-bit ``INTEGER`` (an id
typed by a user). These helpers make such values plain before they reach either database:

- :func:`plain_text`: typed text with whitespace runs made one space and control
  characters dropped (names, titles, tags);
- :func:`display_name`: a file's name to show, control characters made spaces, shortened
  in the middle (keeping its extension) to fit its column;
- :func:`json_ready`: JSON values, numpy scalars made Python ones, NaN and infinities
  made null;
- :func:`lookup_int`: an id or track id to look a row up by, -1 (which no row has) when
  the column's integers cannot hold it.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from typing import Any

import numpy as np

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc"


def plain_text(value: object) -> str:
    """NFKC-normalised text, whitespace runs (newlines, tabs) as one space, other control
    characters (NUL, escape...) dropped, stripped."""
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(value)))
    return "".join(c for c in text if not _is_control(c)).strip()


def display_name(value: object, limit: int) -> str:
    """A file name to show: control characters made spaces; past ``limit`` characters,
    the middle replaced by an ellipsis so that the start and the extension stay."""
    text = "".join(" " if _is_control(c) else c for c in str(value)).strip()
    if len(text) <= limit:
        return text
    tail = min(len(text) // 2, limit // 2)
    return text[: limit - tail - 1] + "…" + text[-tail:]


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")


def json_ready(value: Any) -> Any:
    """``value`` as plain JSON values (tuples as lists, numpy scalars as numbers), every
    NaN or infinite number as None (PostgreSQL's JSON has no NaN)."""

    def finite(item: Any) -> Any:
        if isinstance(item, float):
            return item if math.isfinite(item) else None
        if isinstance(item, dict):
            return {key: finite(inner) for key, inner in item.items()}
        if isinstance(item, list):
            return [finite(inner) for inner in item]
        return item

    return finite(json.loads(json.dumps(value, default=_json_default)))


def lookup_int(value: Any) -> int:
    """``int(value)`` when a 32-bit ``INTEGER`` column holds it, else -1: no row has that
    id, so a huge id typed by a user is simply not found (PostgreSQL would refuse it)."""
    number = int(value)
    return number if INT32_MIN <= number <= INT32_MAX else -1
