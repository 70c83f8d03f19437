"""The outcome of grading one submission, and its three renderings: the score table, the
feedback a student reads, and Gradescope's ``results.json``.

A hidden check (``hidden=True`` in its declaration) is graded like any other, and the
report keeps its outcome: ``score``, ``max_score``, ``task_score`` and ``failures`` are the
instructor's figures, over every check. What a student reads shows a hidden check's name and
points, never its result: the score table counts the shown checks (``40 / 45 (89%), and 5
points hidden until after the due date``), the feedback leaves out a hidden check's message and
every listing of what a cause costs, and ``results.json`` gives its test Gradescope's
``"visibility": "after_due_date"``, so that Gradescope shows it, and the total score, after the
due date only (the file keeps the result: the gradebook reads it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..manifest import TASKS, TASKS_BY_NAME, TOTAL, Check, checks_of
from .runner import Outcome

HIDDEN = "hidden until after the due date"
AFTER_DUE_DATE = "after_due_date"  # Gradescope's visibility of a test shown once the due date has passed


@dataclass
class Report:
    """What grading found: an outcome per check of the graded tasks, notes for the top, the isolation."""

    label: str
    tasks: tuple[str, ...]
    outcomes: dict[str, Outcome]
    notes: list[str] = field(default_factory=list)
    isolation: str = ""
    seconds: float = 0.0

    @property
    def checks(self) -> list[Check]:
        """The manifest's checks of the graded tasks, in its order."""
        return checks_of(self.tasks)

    @property
    def hidden(self) -> list[Check]:
        """The graded checks whose results the student reads only after the due date."""
        return [check for check in self.checks if check.hidden]

    @property
    def complete(self) -> bool:
        """Whether every task of the manifest was graded."""
        return len(self.tasks) == len(TASKS)

    def outcome(self, check: Check) -> Outcome:
        """A check's outcome; a check that did not run scores 0, and says so."""
        return self.outcomes.get(check.name) or Outcome("not graded", "this check did not run")

    def earned(self, check: Check) -> float:
        """The points a check earned."""
        return check.points if self.outcome(check).passed else 0.0

    @property
    def score(self) -> float:
        """Points earned over the graded tasks."""
        return sum(self.earned(check) for check in self.checks)

    @property
    def max_score(self) -> float:
        """Points possible over the graded tasks: the manifest's total for a full grading."""
        return TOTAL if self.complete else sum(check.points for check in self.checks)

    @property
    def hidden_points(self) -> float:
        """Points of the hidden checks, whose results the student does not see yet."""
        return sum(check.points for check in self.hidden)

    @property
    def shown_score(self) -> float:
        """Points earned over the checks whose results the student sees."""
        return sum(self.earned(check) for check in self.checks if not check.hidden)

    @property
    def shown_max_score(self) -> float:
        """Points possible over the checks whose results the student sees."""
        return self.max_score - self.hidden_points

    def task_score(self, task: str, shown: bool = False) -> tuple[float, float]:
        """(earned, possible) points of one task; with ``shown``, over its checks that are not hidden."""
        checks = [check for check in self.checks if check.task == task and not (shown and check.hidden)]
        return sum(self.earned(check) for check in checks), sum(check.points for check in checks)

    @property
    def status(self) -> str:
        """``graded``, ``timed out`` or ``crashed``: the worst that happened to the submission's checks."""
        statuses = {self.outcome(check).status for check in self.checks}
        return next((status for status in ("timed out", "crashed") if status in statuses), "graded")

    def table(self) -> str:
        """The score table a student reads: one line per task, the total, and the isolation line.

        Points count the checks whose results are shown; a hidden check adds its points to a
        remark on its task's line and on the total's, never to what was earned.
        """
        lines = [f"{'task':<16}{'project':<11}{'points':>13}"]
        for task in TASKS:
            if task.name in self.tasks:
                earned, possible = self.task_score(task.name, shown=True)
                hidden = sum(check.points for check in self.hidden if check.task == task.name)
                mark = "ok" if possible and earned == possible else ""
                if hidden:
                    mark = f"{mark} (+{hidden:g} hidden)".lstrip()
                lines.append(f"{task.name:<16}{task.project:<11}{earned:>6g} / {possible:<5g} {mark}")
        shown, possible = self.shown_score, self.shown_max_score
        percent = 100 * shown / possible if possible else 0
        total = f"{'total':<27}{shown:>6g} / {possible:<5g} ({percent:.0f}%)"
        if self.hidden:
            total += f", and {self.hidden_points:g} points {HIDDEN}"
        lines.append(total)
        if not self.complete:
            lines.append(f"(tasks graded: {', '.join(self.tasks)}; a full grading has {TOTAL:g} points)")
        if self.isolation:
            lines.append(self.isolation)
        return "\n".join(lines)

    def failures(self) -> list[tuple[Check, Outcome]]:
        """The checks that did not pass, in order, hidden ones included."""
        return [(check, self.outcome(check)) for check in self.checks if not self.outcome(check).passed]

    def feedback(self) -> str:
        """Everything a student reads: the notes, every shown failed check's message, the hidden
        checks' names and points, then the table.

        A cause that several checks failed of (a note, a scan finding, a loop where the code was
        stopped) is said once, with the checks it costs on one line; so is a note's single check.
        A hidden check is in none of these: what it costs is said after the due date.
        """
        parts = [f"score of {self.label}"]
        failures = [(check, outcome) for check, outcome in self.failures() if not check.hidden]
        causes: dict[str, list[Check]] = {}
        for check, outcome in failures:
            if outcome.cause:
                causes.setdefault(outcome.cause, []).append(check)
        for note in self.notes:
            costs = causes.pop(note, [])
            parts.append(f"note: {note}" + (f"\n  it costs {listing(costs)}" if costs else ""))
        shared = {cause: checks for cause, checks in causes.items() if len(checks) > 1}
        parts += [f"FAILED {listing(checks)}, all for one cause:\n{indent(cause)}" for cause, checks in shared.items()]
        for check, outcome in failures:
            if outcome.cause not in shared and outcome.cause not in self.notes:
                parts.append(
                    f"FAILED {check.name} ({check.points:g} points): {check.description}\n{indent(outcome.message)}"
                )
        if self.hidden:
            parts.append(f"{HIDDEN}: {listing(self.hidden)}; graded now, results shown then")
        parts.append(self.table())
        return "\n\n".join(parts) + "\n"

    def gradescope(self) -> dict[str, Any]:
        """The report in Gradescope's results.json format (every check of the graded tasks, with its result).

        A hidden check's test has the visibility ``after_due_date``: Gradescope shows it to students
        after the due date, and hides their total score until then.
        """
        tests = []
        for check in self.checks:
            outcome = self.outcome(check)
            tests.append(
                {
                    "name": f"{check.name}: {check.description}",
                    "score": self.earned(check),
                    "max_score": check.points,
                    "status": "passed" if outcome.passed else "failed",
                    "output": outcome.message if not outcome.passed else "",
                    "visibility": AFTER_DUE_DATE if check.hidden else "visible",
                }
            )
        return {
            "score": self.score,
            "max_score": self.max_score,
            "execution_time": round(self.seconds, 2),
            "visibility": "visible",
            "output": "\n".join([*self.notes, self.isolation]).strip(),
            "tests": tests,
        }

    def write_gradescope(self, path: str | Path) -> None:
        """Write the Gradescope file."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(self.gradescope(), indent=2) + "\n")


def listing(checks: list[Check]) -> str:
    """``3 checks (4 points): a, b, c``: the checks a cause costs, on one line."""
    points = sum(check.points for check in checks)
    count = f"{len(checks)} check{'s' if len(checks) > 1 else ''}"
    return f"{count} ({points:g} points): {', '.join(check.name for check in checks)}"


def indent(text: str) -> str:
    """Indent every line by two spaces."""
    return "\n".join(f"  {line}" for line in text.splitlines())


def project_of(check: Check) -> str:
    """The project a check belongs to."""
    return TASKS_BY_NAME[check.task].project
