"""Read the students' folders of ``OUT`` back, and write ``OUT/gradebook.csv``.

Everything here is read from the files that the unit of work wrote (``results.json``,
and ``grading.json`` where it exists), so the gradebook is the same wherever the students
were graded: in one ``grade-class`` run, in several resumed ones, or on a cluster. A
folder with only a ``results.json`` (``python -m autograder grade --grade-json``) gets its
status from the results' messages. A hidden check's test (Gradescope's ``after_due_date``
visibility) counts like any other: the gradebook is the instructor's, and has every result.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import manifest
from . import unit

TIMED_OUT = "this check took longer than"  # the judge's messages (judge/runner.py)
CRASHED = "the process running your code"
NOT_A_SUBMISSION = "not a submission:"


@dataclass
class Row:
    """One student: points per task, total, maximum, status, seconds, and each check's outcome."""

    student: str
    tasks: dict[str, float]
    total: float
    max_score: float
    status: str
    seconds: float
    checks: dict[str, bool] = field(default_factory=dict)  # check name -> passed
    failures: dict[str, str] = field(default_factory=dict)  # check name -> message
    notes: str = ""
    kit_error: str = ""

    @property
    def percent(self) -> float:
        """The total as a percentage of the maximum."""
        return 100 * self.total / self.max_score if self.max_score else 0.0

    @property
    def submitted(self) -> bool:
        """Whether the student handed in something that could be graded."""
        return self.status != "not a submission"


def infer_status(results: dict[str, Any]) -> str:
    """The status of a grading that left only ``results.json``: the worst its messages say."""
    texts = [results.get("output", ""), *(test.get("output", "") for test in results.get("tests", []))]
    if str(results.get("output", "")).startswith(NOT_A_SUBMISSION):
        return "not a submission"
    for marker, status in ((TIMED_OUT, "timed out"), (CRASHED, "crashed")):
        if any(marker in str(text) for text in texts):
            return status
    return "graded"


def read_row(folder: Path) -> Row | None:
    """A student's row from their folder, or None when it holds no readable ``results.json``."""
    try:
        results = json.loads((folder / unit.RESULTS).read_text())
        tests = results["tests"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    record = unit.read_record(folder)
    tasks: dict[str, float] = {}
    checks, failures = {}, {}
    for test in tests:
        name = str(test["name"]).split(":", 1)[0]
        task = name.split(".", 1)[0]
        tasks[task] = tasks.get(task, 0.0) + float(test["score"])
        checks[name] = test.get("status") == "passed"
        if not checks[name]:
            failures[name] = str(test.get("output", ""))
    ordered = {task.name: tasks[task.name] for task in manifest.TASKS if task.name in tasks}
    return Row(
        student=record.student if record else folder.name,
        tasks=ordered,
        total=float(results["score"]),
        max_score=float(results["max_score"]),
        status=record.status if record else infer_status(results),
        seconds=float(results.get("execution_time", 0.0)),
        checks=checks,
        failures=failures,
        notes=str(results.get("output", "")),
        kit_error=record.kit_error if record else "",
    )


def read_class(out: Path, students: list[str] | None = None) -> list[Row]:
    """The rows of ``students`` (default: every folder of ``out`` with results), sorted by name."""
    names = students if students is not None else [path.name for path in out.iterdir() if path.is_dir()]
    rows = [row for name in names if (row := read_row(out / name))]
    return sorted(rows, key=lambda row: row.student)


def columns(rows: list[Row]) -> list[str]:
    """The tasks that any row was graded on, in the manifest's order."""
    graded = {task for row in rows for task in row.tasks}
    return [task.name for task in manifest.TASKS if task.name in graded]


def number(value: float) -> str:
    """A number as the gradebook writes it: 7, 2.5."""
    return f"{value:g}"


def write_gradebook(rows: list[Row], path: Path) -> None:
    """Write the gradebook: student, one column per task, total, max_score, status, seconds."""
    tasks = columns(rows)
    lines = [["student", *tasks, "total", "max_score", "status", "seconds"]]
    for row in rows:
        points = [number(row.tasks[task]) if task in row.tasks else "" for task in tasks]
        lines.append([row.student, *points, number(row.total), number(row.max_score), row.status, f"{row.seconds:.1f}"])
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as stream:
        csv.writer(stream).writerows(lines)


def read_gradebook(path: Path) -> list[dict[str, str]]:
    """A gradebook's rows as dictionaries (for tests and scripts)."""
    with open(path, newline="") as stream:
        return list(csv.DictReader(stream))
