"""Helpers for tests that grade a solution: copies of the reference, edits, and the judge's report.

Grading runs the judge in this process: the judge never imports the graded code, which
runs in the sandboxed worker.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from autograder import manifest
from autograder.judge.grading import grade as judge
from autograder.judge.lanes import Lane
from autograder.judge.report import Report
from autograder.judge.submission import locate

ROOT = Path(__file__).resolve().parent.parent


def copy_reference(destination: Path) -> Path:
    """Copy reference/ to ``destination`` (a student's copy) and return it."""
    shutil.copytree(ROOT / "reference", destination, ignore=shutil.ignore_patterns("__pycache__"))
    return destination


def edit(solution: Path, file: str, old: str, new: str) -> None:
    """Replace the one occurrence of ``old`` in ``solution/file`` by ``new``."""
    path = solution / file
    source = path.read_text()
    assert source.count(old) == 1, f"the text to replace must occur once in {file}: {old!r}"
    path.write_text(source.replace(old, new))


def grade(solution: str | Path, tasks: str | None = None, time_scale: float = 1.0, lane: Lane | None = None) -> Report:
    """Grade ``solution`` (a path or a kit package name) on ``tasks`` (an expression; default: all),
    in a warm ``lane`` if given (as ``grade-class`` does)."""
    selected = manifest.select_tasks(tasks) if tasks else None
    return judge(locate(solution), selected, jobs=2, time_scale=time_scale, lane=lane)


def messages(report: Report, task: str | None = None) -> str:
    """Every failure message of a report (of one task), joined."""
    return "\n".join(outcome.message for check, outcome in report.failures() if task in (None, check.task))
