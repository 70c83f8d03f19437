"""Helpers for tests that run the autograder on a solution in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Grade:
    """The outcome of one autograder run."""

    score: float
    max_score: float
    tests: list[dict]
    output: str

    def task_score(self, task: str) -> tuple[float, float]:
        """(earned, possible) points of one task."""
        tests = [test for test in self.tests if test["name"].startswith(f"{task}: ")]
        return sum(test["score"] for test in tests), sum(test["max_score"] for test in tests)


def copy_reference(destination: Path) -> Path:
    """Copy reference/ to ``destination`` (a student's copy) and return it."""
    shutil.copytree(ROOT / "reference", destination, ignore=shutil.ignore_patterns("__pycache__"))
    return destination


def grade(solution: str | Path, *options: str, timeout: float = 300) -> Grade:
    """Run ``python -m autograder`` on a solution and read its Gradescope results."""
    results = Path(os.environ.get("TMPDIR", "/tmp")) / f"grade-{os.getpid()}-{abs(hash(str(solution)))}.json"
    command = [sys.executable, "-m", "autograder", "--solution", str(solution), "--grade-json", str(results), *options]
    process = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert process.returncode == 0, process.stdout + process.stderr
    data = json.loads(results.read_text())
    results.unlink()
    return Grade(data["score"], data["max_score"], data["tests"], process.stdout + process.stderr)
