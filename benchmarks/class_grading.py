"""Time the grading of a class: COUNT copies of the reference, several ways, on this machine.

Modes (each from a fresh output folder, every student graded; wall clock from start to end):

- ``class``: ``python -m autograder grade-class SUBMISSIONS --out OUT --jobs JOBS``, one
  process whose threads grade JOBS students at once (what the kit does);
- ``class-probes2``: the same in this process, with 2 probes at once per student instead of
  the default (the cores divided among the students, here 1);
- ``processes``: JOBS lanes, each running ``grade-class ... --index I`` for one student at a
  time (a subprocess per student, as a cluster's job array does), then ``merge``;
- ``one-by-one``: ``python -m autograder grade --solution S --grade-json R``, one student
  after the other (the way to grade a class before grade-class).

Every copy should get 100%: the column "below 100%" counts those that did not. The load
average before and after each mode is printed: other processes on the machine slow every mode.

    python benchmarks/class_grading.py [--count 30] [--jobs 2] [--modes class,one-by-one]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MODES = ("class", "class-probes2", "processes", "one-by-one")


def make_class(folder: Path, count: int) -> Path:
    """``count`` copies of the reference, ``student01`` ...; return the submissions folder."""
    submissions = folder / "submissions"
    for number in range(1, count + 1):
        shutil.copytree(
            ROOT / "reference", submissions / f"student{number:02d}", ignore=shutil.ignore_patterns("__pycache__")
        )
    return submissions


def run(command: list[str]) -> None:
    """Run a kit command; stop the benchmark if it fails."""
    process = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{process.stdout}{process.stderr}")


def kit(*arguments: str) -> list[str]:
    """``python -m autograder ARGUMENTS``."""
    return [sys.executable, "-m", "autograder", *arguments]


def scores(out: Path) -> list[float]:
    """Every student's percentage, from the results files under ``out``."""
    found = []
    for results in sorted(out.glob("*/results.json")):
        data = json.loads(results.read_text())
        found.append(100 * data["score"] / data["max_score"])
    return found


def grade(mode: str, submissions: Path, out: Path, jobs: int) -> None:
    """Grade the class into ``out`` in ``mode``."""
    students = sorted(path.name for path in submissions.iterdir())
    if mode == "class":
        run(kit("grade-class", str(submissions), "--out", str(out), "--jobs", str(jobs)))
    elif mode == "class-probes2":
        from autograder.classroom import batch, intake

        batch.grade_class(intake.entries(submissions), out, jobs, probes=2, show_progress=False)
        batch.merge(out)
    elif mode == "processes":
        with ThreadPoolExecutor(jobs) as pool:
            arguments = [
                kit("grade-class", str(submissions), "--out", str(out), "--index", str(i)) for i in range(len(students))
            ]
            list(pool.map(run, arguments))
        run(kit("merge", str(out)))
    else:
        for name in students:
            run(kit("grade", "--solution", str(submissions / name), "--grade-json", str(out / name / "results.json")))


def load() -> str:
    """The 1-minute load average."""
    return f"{os.getloadavg()[0]:.1f}"


def main() -> None:
    """Time each mode and print one line per mode."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=30, help="copies of the reference (default: 30)")
    parser.add_argument("--jobs", type=int, default=2, help="students at once (default: 2)")
    parser.add_argument("--modes", default="class,one-by-one", help=f"comma-separated, of {', '.join(MODES)}")
    args = parser.parse_args()
    modes = [mode.strip() for mode in args.modes.split(",")]
    if unknown := [mode for mode in modes if mode not in MODES]:
        parser.error(f"unknown modes {unknown}: choose from {', '.join(MODES)}")
    print(f"{args.count} copies of the reference, {os.cpu_count()} cores, jobs {args.jobs}")
    print(f"{'mode':<15}{'total s':>9}{'s/submission':>14}{'per minute':>12}{'below 100%':>12}   load before -> after")
    with tempfile.TemporaryDirectory(prefix="class-benchmark-") as folder:
        submissions = make_class(Path(folder), args.count)
        for mode in modes:
            out = Path(folder) / f"out-{mode}"
            before = load()
            start = time.perf_counter()
            grade(mode, submissions, out, args.jobs)
            seconds = time.perf_counter() - start
            graded = scores(out)
            below = args.count - sum(score == 100 for score in graded)
            print(
                f"{mode:<15}{seconds:>9.1f}{seconds / args.count:>14.2f}{60 * args.count / seconds:>12.1f}"
                f"{below:>12}   {before} -> {load()}",
                flush=True,
            )


if __name__ == "__main__":
    main()
