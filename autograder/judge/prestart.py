"""Copy a submission and start its main worker before the judge imports torch.

The judge and the worker each spend about two seconds importing torch. This module
imports neither torch nor the checks, so ``python -m autograder`` can start the worker
first and import the judge while the worker boots: on two cores the two imports overlap
instead of following each other. ``grading.grade`` adopts what is started here (or starts
it itself, when it is called from a process that has already imported torch).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .. import manifest, sandbox
from .lanes import Lane
from .submission import Submission, copy_sources

TRAINING_TASKS = ("pair_training", "pair_accuracy")  # the submission's code trains with torch.optim


@dataclass
class Prestart:
    """A grading's copy of the submission (with the notes on what was left out) and its main
    worker, booting. Close it to kill the worker, if nobody adopted it, and remove the copy."""

    folder: tempfile.TemporaryDirectory | None  # None: the copy is a lane's folder
    copy: Path
    notes: list[str]
    spec: sandbox.WorkerSpec
    worker: sandbox.Sandbox | None = field(default=None)

    def adopt(self) -> sandbox.Sandbox | None:
        """Hand the booting worker over to whoever runs the probes (once)."""
        worker, self.worker = self.worker, None
        return worker

    def close(self) -> None:
        """Kill the worker unless it was adopted, and remove the copy."""
        if self.worker is not None:
            self.worker.close()
            self.worker = None
        if self.folder is not None:
            self.folder.cleanup()

    def __enter__(self) -> Prestart:
        return self

    def __exit__(self, *exception: object) -> None:
        self.close()


def prestart(submission: Submission, tasks: tuple[str, ...], lane: Lane | None = None) -> Prestart:
    """Copy ``submission`` and start the worker that will run the checks of ``tasks``.

    The worker loads torch's optimisers ahead when a training task of a submitted project is
    graded; it is started only when some graded task belongs to a project the submission has.
    With a warm ``lane``, the copy is the lane's folder and the worker a guest of its sandbox.
    """
    graded = [task for task in manifest.TASKS if task.name in tasks and task.project in submission.projects]
    if lane is not None:
        started = Prestart(None, lane.copy, lane.fill(submission), lane.specs["main"])
        if graded:
            started.worker = lane.guest("main")
        return started
    folder = tempfile.TemporaryDirectory(prefix="autograder-copy-")
    copy = Path(folder.name) / "submission"
    copy.mkdir()
    copy.chmod(0o755)
    notes = copy_sources(submission, copy)
    optimizers = any(task.name in TRAINING_TASKS for task in graded)
    spec = sandbox.WorkerSpec(copy, optimizers=optimizers)
    started = Prestart(folder, copy, notes, spec)
    if graded:
        started.worker = sandbox.start(spec)
    return started
