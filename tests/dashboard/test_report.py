"""The athlete's report: a PDF whose first page renders, naming the athlete, showing the
key frames, the angles, the repetitions, the coach's notes as typed, and the change of
range since the athlete's previous session."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pypdfium2
import pytest

from analysis.store import Store
from dashboard.clipdata import load_clip
from dashboard.report import Note, clip_report, report_pdf
from tests.dashboard.conftest import make_synthetic_clip

NAMES = ("left_knee", "right_knee", "left_hip")


@pytest.fixture
def two_sessions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Anna's squats on 1 May (period 1.5 s) and 8 May (period 1.2 s, 150 frames)."""
    url = f"sqlite:///{tmp_path / 'posture.db'}"
    monkeypatch.setenv("POSTURE_DB_URL", url)
    monkeypatch.setenv("POSTURE_DATA_DIR", str(tmp_path / "data"))
    store = Store(url)
    first = make_synthetic_clip(store, tmp_path / "clips", date=dt.date(2024, 5, 1))
    later = make_synthetic_clip(store, tmp_path / "clips", session="Squats again",
                                date=dt.date(2024, 5, 8), n_frames=150, period_s=1.2)
    for clip_id in (first, later):
        store.set_clip_status(clip_id, "done")
    yield store, first, later
    store.close()


def pages_text(pdf: bytes) -> tuple[str, pypdfium2.PdfDocument]:
    document = pypdfium2.PdfDocument(pdf)
    text = " ".join(page.get_textpage().get_text_range() for page in document)
    return " ".join(text.split()), document  # lines wrapped by the layout joined


def test_a_clip_report_renders_and_says_what_a_coach_needs(two_sessions, artifacts_dir) -> None:
    store, first, later = two_sessions
    clip = store.get_clip(later)
    data = load_clip(clip)
    note = Note(30, 1.0, "Knees <in> & heels up: \"drive\" through the floor")
    report = clip_report(store, data, 0, "Anna Lee", NAMES, notes=[note])
    assert report.rep_angle is not None and len(report.repetitions) >= 4
    assert 2 <= len(report.key_frames) <= 4
    assert all(k.image_rgb.shape == (240, 320, 3) for k in report.key_frames)
    assert set(report.change.index) == set(NAMES)  # compared with the 1 May session

    pdf = report_pdf("Anna Lee", "2024-05-08 Squats again", [report])
    assert pdf.startswith(b"%PDF")
    text, document = pages_text(pdf)
    assert "Posture report: Anna Lee" in text
    assert "Knees <in> & heels up: \"drive\" through the floor" in text
    assert "Since the previous session" in text and "2024-05-01 Squats" in text
    assert f"Repetitions ({len(report.repetitions)}" in text

    page = document[0].render(scale=1.5).to_numpy()
    assert page.shape[0] > page.shape[1] > 800  # A4 portrait
    assert page.std() > 20  # drawn: frames, text and curves, not a blank page
    document[0].render(scale=1.5).to_pil().save(artifacts_dir / "report_page1.png")


def test_without_an_earlier_session_the_report_says_so(two_sessions) -> None:
    store, first, _ = two_sessions
    report = clip_report(store, load_clip(store.get_clip(first)), 0, "Anna Lee", NAMES)
    assert report.change.empty
    text, _ = pages_text(report_pdf("Anna Lee", "2024-05-01 Squats", [report]))
    assert "No earlier session of this athlete to compare with." in text
    assert np.isfinite(report.summary["rom"]).all()
