"""The athlete's report of a clip or a session: content gathered from the stored results
(:mod:`.content`), laid out as a PDF (:mod:`.pdf`)."""

from dashboard.report.content import ClipReport, Note, clip_report
from dashboard.report.pdf import report_pdf

__all__ = ["ClipReport", "Note", "clip_report", "report_pdf"]
