"""The outcome of grading one submission, and its three renderings: the score table, the
feedback a student reads, and Gradescope's ``results.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..manifest import CHECKS, TASKS, TASKS_BY_NAME, TOTAL, Check
from .runner import Outcome


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
        return [check for check in CHECKS if check.task in self.tasks]

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

    def task_score(self, task: str) -> tuple[float, float]:
        """(earned, possible) points of one task."""
        checks = [check for check in self.checks if check.task == task]
        return sum(self.earned(check) for check in checks), sum(check.points for check in checks)

    @property
    def status(self) -> str:
        """``graded``, ``timed out`` or ``crashed``: the worst that happened to the submission's checks."""
        statuses = {self.outcome(check).status for check in self.checks}
        return next((status for status in ("timed out", "crashed") if status in statuses), "graded")

    def table(self) -> str:
        """The score table: one line per task, the total, and the isolation line."""
        lines = [f"{'task':<16}{'project':<11}{'points':>13}"]
        for task in TASKS:
            if task.name in self.tasks:
                earned, possible = self.task_score(task.name)
                mark = "ok" if earned == possible else ""
                lines.append(f"{task.name:<16}{task.project:<11}{earned:>6g} / {possible:<5g} {mark}")
        percent = 100 * self.score / self.max_score if self.max_score else 0
        lines.append(f"{'total':<27}{self.score:>6g} / {self.max_score:<5g} ({percent:.0f}%)")
        if not self.complete:
            lines.append(f"(tasks graded: {', '.join(self.tasks)}; a full grading has {TOTAL:g} points)")
        if self.isolation:
            lines.append(self.isolation)
        return "\n".join(lines)

    def failures(self) -> list[tuple[Check, Outcome]]:
        """The checks that did not pass, in order."""
        return [(check, self.outcome(check)) for check in self.checks if not self.outcome(check).passed]

    def feedback(self) -> str:
        """Everything a student reads: the notes, every failed check's message, then the table.

        A cause that several checks failed of (a note, a scan finding, a loop where the code was
        stopped) is said once, with the checks it costs on one line; so is a note's single check.
        """
        parts = [f"score of {self.label}"]
        causes: dict[str, list[Check]] = {}
        for check, outcome in self.failures():
            if outcome.cause:
                causes.setdefault(outcome.cause, []).append(check)
        for note in self.notes:
            costs = causes.pop(note, [])
            parts.append(f"note: {note}" + (f"\n  it costs {listing(costs)}" if costs else ""))
        shared = {cause: checks for cause, checks in causes.items() if len(checks) > 1}
        parts += [f"FAILED {listing(checks)}, all for one cause:\n{indent(cause)}" for cause, checks in shared.items()]
        for check, outcome in self.failures():
            if outcome.cause not in shared and outcome.cause not in self.notes:
                parts.append(
                    f"FAILED {check.name} ({check.points:g} points): {check.description}\n{indent(outcome.message)}"
                )
        parts.append(self.table())
        return "\n\n".join(parts) + "\n"

    def gradescope(self) -> dict[str, Any]:
        """The report in Gradescope's results.json format (every check of the graded tasks)."""
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
                    "visibility": "visible",
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
