"""``grade-class``: grade every student of a submissions folder, several at once, then merge.

Students are graded by threads of this process, ``jobs`` at a time, each calling the
judge (``judge.grading.grade``) in a warm lane of its own (``judge/lanes.py``): two
sandboxes that import torch once for the whole class, fork each student's workers, and
are reset between students (every process the student started killed, every file written
removed). A thread mostly waits for its workers, and the judge's own work is small, so
threads cost no start-up of their own where a subprocess per student would import torch once
more (see benchmarks/class_grading.py for the measurement). Whatever one submission does
happens in its workers, so it costs only its own checks.
"""

from __future__ import annotations

import os
import queue
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from .. import sandbox
from ..judge.lanes import Lane
from . import gradebook, intake, report, similarity, unit

GRADEBOOK, REPORT = "gradebook.csv", "report.html"


def cores() -> int:
    """The cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def probes_per_student(jobs: int) -> int:
    """Probes each student's grading runs at once: the cores left to it, between 1 and 2."""
    return max(1, min(2, cores() // max(1, jobs)))


@dataclass
class Summary:
    """What a class run did: the records by student, and how many were reused."""

    records: dict[str, unit.Record]
    skipped: int

    @property
    def kit_errors(self) -> list[str]:
        """The students whose grading the autograder itself failed."""
        return [name for name, record in self.records.items() if record.kit_error]


def grade_class(
    students: list[intake.Entry],
    out: Path,
    jobs: int | None = None,
    force: bool = False,
    tasks: tuple[str, ...] | None = None,
    time_scale: float = 1.0,
    probes: int | None = None,
    show_progress: bool | None = None,
    warm: bool = True,
) -> Summary:
    """Grade ``students`` into ``out``, ``jobs`` at a time (default: the cores), skipping unchanged ones.

    ``show_progress`` None shows the bar on a terminal, and a line per student elsewhere. With
    ``warm`` (and bubblewrap, and more students than jobs), each job grades its students in a warm
    lane (``judge/lanes.py``): torch is imported once per lane, not once per student; otherwise
    each student's grading starts sandboxes of its own.
    """
    jobs = max(1, jobs or cores())
    probes = probes or probes_per_student(jobs)
    out.mkdir(parents=True, exist_ok=True)
    records: dict[str, unit.Record] = {}
    skipped = 0
    bar = tqdm(
        total=len(students),
        desc="grading the class",
        unit="student",
        file=sys.stderr,
        disable=None if show_progress is None else not show_progress,
        dynamic_ncols=True,
    )

    def done(record: unit.Record, reused: bool) -> None:
        nonlocal skipped
        records[record.student] = record
        skipped += reused
        failures = sum(record.failed for record in records.values())
        bar.set_postfix_str(f"failures {failures}, unchanged {skipped}", refresh=False)
        bar.update(1)
        if bar.disable:  # no terminal (a log file): one line per student instead
            state = "unchanged" if reused else f"{record.seconds:.1f} s"
            print(
                f"[{len(records)}/{len(students)}] {record.student}: {record.score:g} / {record.max_score:g} "
                f"({record.status}, {state}); failures so far {failures}",
                file=sys.stderr,
                flush=True,
            )

    warm = warm and len(students) > jobs and sandbox.isolation().full  # a lane pays off from its second student
    lanes: queue.SimpleQueue[Lane | None] = queue.SimpleQueue()
    for _ in range(jobs):
        lanes.put(Lane() if warm else None)

    def grade(entry: intake.Entry) -> tuple[unit.Record, bool]:
        lane = lanes.get()  # a free one: there are as many as threads
        try:
            return unit.grade_student(entry, out, tasks, probes, time_scale, force, lane)
        finally:
            lanes.put(lane)

    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="student")
    try:
        futures = [pool.submit(grade, entry) for entry in students]
        for future in as_completed(futures):
            done(*future.result())  # an exception here is a fault of this layer (a full disk): stop, loudly
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    else:
        pool.shutdown()
    finally:
        bar.close()
        close_lanes(lanes)
    return Summary(records, skipped)


def close_lanes(lanes: queue.SimpleQueue[Lane | None]) -> None:
    """Stop every lane's sandboxes (threads still running hold theirs: those stop with the process)."""
    while not lanes.empty():
        lane = lanes.get()
        if lane is not None:
            lane.close()


def merge(out: Path, students: list[str] | None = None, submissions: Path | None = None) -> list[gradebook.Row]:
    """Write ``out/gradebook.csv`` and ``out/report.html`` from the students' folders; return the rows.

    With ``submissions``, the report compares the code of its students who are in the gradebook.
    """
    rows = gradebook.read_class(out, students)
    gradebook.write_gradebook(rows, out / GRADEBOOK)
    similar = None
    if submissions is not None:
        names = {row.student for row in rows}
        similar = similarity.of_entries([entry for entry in intake.entries(submissions) if entry.student in names])
    report.write_report(rows, out / REPORT, similar=similar)
    return rows
