"""Where a warm grading's time goes: each probe's seconds in its child, summed by probe.

Grades a submission in one warm lane, as ``grade-class`` grades each student of a class: once to
warm the lane, then ``--repeats`` times measured. For each measured grading it sums, by probe,
the seconds that each probe's child took from its fork to its answer (the ``seconds`` of every
worker response), and prints them next to the grading's wall clock and the judge's own
CPU-seconds (this process). Children run two at a time, so their seconds add up to about twice
the time they kept the workers busy.

    python benchmarks/probes.py [--solution reference] [-m TASKS] [--repeats 2] [--top 12]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import resource
import time
from collections.abc import Iterator

from autograder import manifest
from autograder.judge import runner
from autograder.judge.grading import grade
from autograder.judge.lanes import Lane
from autograder.judge.submission import locate


@contextlib.contextmanager
def child_seconds() -> Iterator[collections.defaultdict[str, list[float]]]:
    """Record, by probe name, the seconds each answered probe spent in its child."""
    seconds: collections.defaultdict[str, list[float]] = collections.defaultdict(list)
    answered = runner.Runner.answered

    def recording(self: runner.Runner, request: runner.Request, message: dict) -> None:
        if isinstance(message.get("seconds"), float):
            seconds[request.probe.name].append(message["seconds"])
        answered(self, request, message)

    runner.Runner.answered = recording  # the judge drops the seconds: read them on their way in
    try:
        yield seconds
    finally:
        runner.Runner.answered = answered


def judge_cpu() -> float:
    """CPU-seconds of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    """Warm a lane, grade the submission ``--repeats`` times in it, print the probes' seconds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--solution", default="reference", help="'reference', 'exercises' or a folder")
    parser.add_argument("-m", "--tasks", default=None, help="a task expression, e.g. 'pair_data or linear'")
    parser.add_argument("--repeats", type=int, default=2, help="measured gradings (default: 2)")
    parser.add_argument("--top", type=int, default=12, help="probes listed, the costliest first (default: 12)")
    args = parser.parse_args()
    submission = locate(args.solution)
    tasks = manifest.select_tasks(args.tasks) if args.tasks else None
    lane = Lane()
    try:
        grade(submission, tasks, jobs=2, lane=lane)  # the lane's first student boots it
        for repeat in range(1, args.repeats + 1):
            with child_seconds() as seconds:
                start, cpu = time.perf_counter(), judge_cpu()
                report = grade(submission, tasks, jobs=2, lane=lane)
                wall, cpu = time.perf_counter() - start, judge_cpu() - cpu
            total = sum(map(sum, seconds.values()))
            count = sum(map(len, seconds.values()))
            print(
                f"grading {repeat}: {report.score:g} / {report.max_score:g} points, {wall:.2f} s, judge {cpu:.2f} "
                f"CPU-s; {count} probes, {total:.2f} s in their children"
            )
            print(f"  {'probe':32} {'count':>5} {'seconds':>8}")
            ranked = sorted(seconds.items(), key=lambda item: -sum(item[1]))
            for name, values in ranked[: args.top]:
                print(f"  {name:32} {len(values):>5} {sum(values):>8.3f}")
    finally:
        lane.close()


if __name__ == "__main__":
    main()
