"""Errors a user can cause, with messages a coach understands.

The command line turns them into one line on stderr and a non-zero exit; the
dashboard shows them with ``st.error``. Anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations


class EstimatorError(Exception):
    """Base of every error the estimator raises for a user's mistake."""


class BadInputError(EstimatorError):
    """A file that is missing, empty, truncated, corrupt or not a photo or clip."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ModelWeightsError(EstimatorError):
    """Model weights missing or not the ones the manifest names."""
