"""Errors a user can cause in the analysis layer, with messages a coach understands.

The command line turns them into one line on stderr and a non-zero exit; the
dashboard shows them with ``st.error``. Anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations


class AnalysisError(Exception):
    """Base of every error the analysis layer raises for a user's mistake.

    Examples: a low-pass cut-off that a slow clip's frame rate cannot carry, an
    athlete height that is not in metres, an unknown angle name for repetitions.
    """
