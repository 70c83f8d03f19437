"""The unit of work: grade one student into ``OUT/<student>/``, or skip them when nothing changed.

A student's folder holds ``results.json`` (Gradescope's format), ``feedback.txt`` (what the
student reads) and ``grading.json`` (the status, the time, and the key of this grading).
The key is a SHA-256 of the entry's content, of the files of the kit that decide a grade
(``KEY_SOURCES``) and of the options; ``grading.json`` is removed when a grading starts and
written last, atomically, so an interrupted grading leaves nothing that looks finished.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

from .. import manifest
from ..judge.grading import grade
from ..judge.lanes import Lane
from ..judge.report import Report
from ..judge.runner import Outcome
from . import intake

KIT = Path(__file__).resolve().parents[2]
KEY_SOURCES = (
    "autograder/manifest.py",
    "autograder/sandbox.py",
    "autograder/judge",
    "autograder/worker",
    "autograder/notebooks.py",
    "autograder/notebook_outlines",
    "autograder/classroom/intake.py",
    "autograder/classroom/from_notebooks.py",
    "reference",
    "exercises",
)
STATUSES = ("graded", "crashed", "timed out", "not a submission")
WORKER_FAILED = "the grading worker could not start"  # judge/runner.py's death_message: the kit's failure
RECORD, RESULTS, FEEDBACK = "grading.json", "results.json", "feedback.txt"


@dataclass(frozen=True)
class Record:
    """What ``grading.json`` says about one student's last grading."""

    student: str
    entry: str
    status: str
    score: float
    max_score: float
    seconds: float
    key: str
    kit_error: str = ""  # the autograder's own failure, if it failed: such a grading is never reused

    @property
    def failed(self) -> bool:
        """Whether the student's grading went wrong (a status other than ``graded``)."""
        return self.status != "graded"


@functools.cache
def kit_fingerprint() -> str:
    """A SHA-256 of every file of ``KEY_SOURCES``: the checks, the judge, the worker, the scaffold."""
    digest = hashlib.sha256()
    for source in KEY_SOURCES:
        root = KIT / source
        files = [root] if root.is_file() else sorted(root.rglob("*")) if root.is_dir() else []
        for path in files:
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                digest.update(f"{path.relative_to(KIT).as_posix()}\n".encode())
                intake.hash_file(digest, path)
    return digest.hexdigest()


def grading_key(content: str, tasks: tuple[str, ...], time_scale: float) -> str:
    """The key of a grading: the entry's content hash, the kit's fingerprint and the options."""
    options = json.dumps({"tasks": list(tasks), "time_scale": time_scale}, sort_keys=True)
    return hashlib.sha256(f"{content}\n{kit_fingerprint()}\n{options}".encode()).hexdigest()


def read_record(folder: Path) -> Record | None:
    """The ``grading.json`` of a student's folder, or None when there is none that can be read."""
    try:
        data = json.loads((folder / RECORD).read_text())
        return Record(**data)
    except (OSError, ValueError, TypeError):
        return None


def reusable(folder: Path, key: str) -> Record | None:
    """The record of a finished grading with ``key`` whose files are all there, else None."""
    record = read_record(folder)
    if record is None or record.key != key or record.kit_error:
        return None
    if not all((folder / name).is_file() for name in (RESULTS, FEEDBACK)):
        return None
    return record


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, then rename."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def placeholder(student: str, tasks: tuple[str, ...], status: str, message: str, note: str) -> Report:
    """A report for a student whose checks could not run: every check scores 0 with ``message``."""
    outcomes = {check.name: Outcome(status, message) for check in manifest.checks_of(tasks)}
    return Report(student, tasks, outcomes, [note])


def grade_entry(
    entry: intake.Entry, tasks: tuple[str, ...], probes: int, time_scale: float, lane: Lane | None = None
) -> tuple[Report, str, str]:
    """Grade one entry (in a warm ``lane``, if given): its report, its status, and the kit's own
    error message (empty when none)."""
    statuses: set[str] = set()
    kit_failures: list[str] = []

    def progress(name: str, outcome: Outcome) -> None:
        statuses.add(outcome.status)  # imports included: an import that hangs or dies is the submission's
        if outcome.message.startswith(WORKER_FAILED):
            kit_failures.append(outcome.message)

    with tempfile.TemporaryDirectory(prefix="autograder-class-") as scratch:
        try:
            submission, notes = intake.prepare(entry, Path(scratch))
        except intake.NotASubmission as refusal:
            message = "not graded: this is not a submission (see the note at the top)"
            report = placeholder(entry.student, tasks, "not graded", message, f"not a submission: {refusal}")
            return report, "not a submission", ""
        try:
            report = grade(submission, tasks, probes, progress, time_scale, lane=lane)
        except Exception as error:  # the kit failed, not the student: say so, and grade again next time
            text = f"{type(error).__name__}: {error}"
            message = f"the autograder failed on this submission ({text}); it will be graded again on the next run"
            report = placeholder(entry.student, tasks, "crashed", message, message)
            return report, "crashed", "".join(traceback.format_exception(error))[-4000:]
    report.notes[:0] = notes
    status = next((status for status in ("timed out", "crashed") if status in statuses), report.status)
    if kit_failures:  # the student's checks did not run: grade them again next time
        return report, "crashed", kit_failures[0]
    return report, status, ""


def grade_student(
    entry: intake.Entry,
    out: Path,
    tasks: tuple[str, ...] | None = None,
    probes: int = 1,
    time_scale: float = 1.0,
    force: bool = False,
    lane: Lane | None = None,
) -> tuple[Record, bool]:
    """Grade ``entry`` into ``out/<student>/`` (in a warm ``lane``, if given) unless its last
    grading there has the same key.

    Returns the student's record and whether it was reused (skipped).
    """
    tasks = tasks or tuple(task.name for task in manifest.TASKS)
    folder = out / entry.student
    key = grading_key(intake.content_hash(entry), tasks, time_scale)
    if not force and (record := reusable(folder, key)):
        return record, True
    folder.mkdir(parents=True, exist_ok=True)
    (folder / RECORD).unlink(missing_ok=True)
    report, status, kit_error = grade_entry(entry, tasks, probes, time_scale, lane)
    report.notes[:0] = [entry.note] if entry.note else []
    write_atomically(folder / RESULTS, json.dumps(report.gradescope(), indent=2) + "\n")
    write_atomically(folder / FEEDBACK, report.feedback())
    record = Record(
        entry.student, entry.path.name, status, report.score, report.max_score, round(report.seconds, 2), key, kit_error
    )
    write_atomically(folder / RECORD, json.dumps(asdict(record), indent=2) + "\n")
    return record, False
