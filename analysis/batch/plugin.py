"""The Dask worker plugin that loads the pose models once per worker process.

Its own module so that ``distributed`` is imported only by the Dask engine (and by the
workers, which unpickle the plugin by this module's name: they need the project).
"""

from __future__ import annotations

from typing import Any

from distributed import WorkerPlugin

from analysis.batch.task import load_models

PLUGIN_NAME = "posture-models"


class ModelsPlugin(WorkerPlugin):
    """Loads the pose models for ``max_people`` in each worker, when registered and in
    workers that join later (:func:`analysis.batch.task.load_models`)."""

    name = PLUGIN_NAME

    def __init__(self, max_people: int) -> None:
        self.max_people = int(max_people)

    def setup(self, worker: Any) -> None:
        load_models(self.max_people)
