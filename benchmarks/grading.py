"""Time the grading of the reference and of the exercises through the judge and its sandboxed worker.

Each grading is a fresh ``python -m autograder`` process, timed from start to exit (wall
clock). Three measurements, medians of ``--repeats``:

- quiet: the reference and the exercises on an otherwise idle machine;
- busy: the reference with two CPU-bound processes running beside it, the load that
  once made a grading take 164 s instead of 9 s (torch's default threads
  oversubscribed the cores; the worker now runs each probe with one thread);
- baseline: the in-process grader this judge replaced, checked out from git at
  ``--baseline`` (its own reference, in a temporary worktree), on the same machine.

    python benchmarks/grading.py [--repeats 3] [--baseline e0062c7]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUSY_LOOP = "while True: pass"
BASELINE = "e0062c7"  # the last commit whose autograder ran the submission in its own process


def timed(command: list[str], cwd: Path = ROOT) -> float:
    """Seconds of wall clock for one command (its exit status 0 or 1: graded)."""
    start = time.perf_counter()
    process = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed:\n{process.stdout}{process.stderr}")
    return seconds


def median(command: list[str], repeats: int, cwd: Path = ROOT) -> float:
    """The median time of ``repeats`` runs."""
    return statistics.median(timed(command, cwd) for _ in range(repeats))


@contextlib.contextmanager
def busy(processes: int = 2) -> Iterator[None]:
    """Keep ``processes`` CPU-bound Python processes running meanwhile."""
    loops = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(processes)]
    try:
        time.sleep(0.5)
        yield
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


@contextlib.contextmanager
def worktree(revision: str) -> Iterator[Path]:
    """A temporary checkout of ``revision``."""
    with tempfile.TemporaryDirectory(prefix="autograder-baseline-") as folder:
        path = Path(folder) / "kit"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(path), revision], cwd=ROOT, check=True, capture_output=True
        )
        try:
            yield path
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT, capture_output=True)


def main() -> None:
    """Print the quiet, busy and baseline timings and their ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="gradings per measurement (default: 3)")
    parser.add_argument("--baseline", default=BASELINE, help=f"git revision of the old grader (default: {BASELINE})")
    args = parser.parse_args()
    grade = [sys.executable, "-m", "autograder", "--solution"]
    reference = median([*grade, "reference"], args.repeats)
    exercises = median([*grade, "exercises"], args.repeats)
    with busy():
        loaded = median([*grade, "reference"], args.repeats)
    with worktree(args.baseline) as old:
        baseline = median([*grade, "reference"], args.repeats, cwd=old)
    print(f"reference, sandboxed:            {reference:6.2f} s   (target <= 10 s)")
    print(f"exercises, sandboxed:            {exercises:6.2f} s   (target <= 5 s)")
    print(f"reference, 2 busy processes:     {loaded:6.2f} s   {loaded / reference:.2f}x quiet (target <= 2.5x)")
    print(f"reference, old in-process grader {baseline:6.2f} s   sandboxed / in-process = {reference / baseline:.2f}")


if __name__ == "__main__":
    main()
