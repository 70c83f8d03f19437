"""Time the grading of a class: COUNT copies of the reference, several ways, on this machine.

Modes (each from a fresh output folder, every student graded; wall clock from start to end):

- ``class``: ``python -m autograder grade-class SUBMISSIONS --out OUT --jobs JOBS``, one
  process whose threads grade JOBS students at once, each in a warm lane (what the kit does);
- ``class-cold``: the same with ``--cold``: fresh sandboxes for each student (the kit before
  the warm lanes);
- ``class-probes2``: the same in this process, with 2 probes at once per student instead of
  the default (the cores divided among the students, here 1);
- ``processes``: JOBS lanes, each running ``grade-class ... --index I`` for one student at a
  time (a subprocess per student, as a cluster's job array does), then ``merge``;
- ``one-by-one``: ``python -m autograder grade --solution S --grade-json R``, one student
  after the other (the way to grade a class before grade-class).

Every copy should get 100%: the column "below 100%" counts those that did not. The load
average before and after each mode is printed: other processes on the machine slow every mode.
"CPU s/sub." is the CPU-seconds of every process a mode started (judge, bubblewrap, workers),
per submission, read from a cpuacct cgroup where this process may make one (root, cgroup v1);
"-" elsewhere, and for ``class-probes2``, which runs in this process.

    python benchmarks/class_grading.py [--count 30] [--jobs 2] [--modes class,class-cold,one-by-one] [--kit FOLDER]

``--kit`` times another copy of the kit with this Python (the previous release, say:
``git archive REV | tar -x -C FOLDER``), its own reference as the class.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MODES = ("class", "class-cold", "class-probes2", "processes", "one-by-one")
CPUACCT = Path("/sys/fs/cgroup/cpuacct")
KIT = ROOT  # the copy of the kit that runs the commands (--kit)
ACCOUNT: Path | None = None  # the cpuacct cgroup that the commands of the mode being timed enter


def make_class(folder: Path, count: int) -> Path:
    """``count`` copies of the reference, ``student01`` ...; return the submissions folder."""
    submissions = folder / "submissions"
    for number in range(1, count + 1):
        shutil.copytree(
            KIT / "reference", submissions / f"student{number:02d}", ignore=shutil.ignore_patterns("__pycache__")
        )
    return submissions


@contextlib.contextmanager
def cpu_account() -> Iterator[list[float]]:
    """Make the commands started meanwhile count their CPU-seconds in a fresh cpuacct cgroup; the
    list receives the total (nothing where no cgroup can be made)."""
    global ACCOUNT
    seconds: list[float] = []
    with contextlib.suppress(OSError):
        ACCOUNT = Path(tempfile.mkdtemp(prefix="benchmark-", dir=CPUACCT))
    try:
        yield seconds
        if ACCOUNT is not None:
            seconds.append(int((ACCOUNT / "cpuacct.usage").read_text()) / 1e9)
    finally:
        folder, ACCOUNT = ACCOUNT, None
        for _ in range(100 if folder else 0):  # its processes take a moment to leave it
            with contextlib.suppress(OSError):
                folder.rmdir()
                break
            time.sleep(0.05)


def accounted(command: list[str]) -> list[str]:
    """``command``, made to enter the mode's cgroup first where there is one (a shell moves itself
    into it, then becomes the command: unlike ``preexec_fn``, safe from the lanes' threads)."""
    if ACCOUNT is None:
        return command
    return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(ACCOUNT / "cgroup.procs"), *command]


def run(command: list[str]) -> None:
    """Run a kit command; stop the benchmark if it fails."""
    process = subprocess.run(accounted(command), cwd=KIT, capture_output=True, text=True)
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
    if mode in ("class", "class-cold"):
        cold = ["--cold"] if mode == "class-cold" else []
        run(kit("grade-class", str(submissions), "--out", str(out), "--jobs", str(jobs), *cold))
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
    parser.add_argument(
        "--modes", default="class,class-cold,one-by-one", help=f"comma-separated, of {', '.join(MODES)}"
    )
    parser.add_argument("--kit", type=Path, default=ROOT, help="the copy of the kit to time (default: this one)")
    args = parser.parse_args()
    modes = [mode.strip() for mode in args.modes.split(",")]
    if unknown := [mode for mode in modes if mode not in MODES]:
        parser.error(f"unknown modes {unknown}: choose from {', '.join(MODES)}")
    global KIT
    KIT = args.kit.resolve()
    if KIT != ROOT and "class-probes2" in modes:
        parser.error("class-probes2 runs in this process: it times this kit only, without --kit")
    print(f"{args.count} copies of the reference of {KIT}, {os.cpu_count()} cores, jobs {args.jobs}")
    print(
        f"{'mode':<15}{'total s':>9}{'s/submission':>14}{'per minute':>12}{'CPU s/sub.':>12}{'below 100%':>12}"
        "   load before -> after"
    )
    with tempfile.TemporaryDirectory(prefix="class-benchmark-") as folder:
        submissions = make_class(Path(folder), args.count)
        for mode in modes:
            out = Path(folder) / f"out-{mode}"
            before = load()
            with cpu_account() as cpu:
                start = time.perf_counter()
                grade(mode, submissions, out, args.jobs)
                seconds = time.perf_counter() - start
            per_submission = f"{cpu[0] / args.count:.2f}" if cpu and mode != "class-probes2" else "-"
            graded = scores(out)
            below = args.count - sum(score == 100 for score in graded)
            print(
                f"{mode:<15}{seconds:>9.1f}{seconds / args.count:>14.2f}{60 * args.count / seconds:>12.1f}"
                f"{per_submission:>12}{below:>12}   {before} -> {load()}",
                flush=True,
            )


if __name__ == "__main__":
    main()
