"""The numeric gradient checks' cost to the judge: CPU-seconds of the checks' own code per grading.

Every check whose description says "central differences" runs in this process on the
reference, the way ``autograder/kernel.py`` runs checks in a notebook: the probes (the
worker's share: forwards at the moved points, the backward) are timed apart from the
judge's share (drawing the directions, the central differences, the comparisons). A
probe that several checks ask for runs once, as the runner's cache does in a grading.
The figure printed is the judge's share, with the worker's beside it for scale; the
aim is under 0.3 s of the judge's CPU per grading.

    python benchmarks/numeric_checks.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import torch

import reference.framework as reference
from autograder import manifest
from autograder.judge.probe import reply
from autograder.worker.probes import PROBES

AIM = 0.3  # CPU-seconds of the judge per grading


def numeric_checks() -> list[manifest.Check]:
    """The checks that compare a backward with central differences."""
    return [check for check in manifest.CHECKS if "central differences" in check.description]


def one_grading(checks: list[manifest.Check]) -> tuple[float, float, int]:
    """CPU-seconds of the judge's share and of the probes' share, and the number of probes run."""
    answers: dict[str, Any] = {}
    judge = worker = 0.0
    for check in checks:
        steps, answer = check.run(), None
        while True:
            start = time.process_time()
            try:
                probe = next(steps) if answer is None else steps.send(answer)
            except StopIteration:
                judge += time.process_time() - start
                break
            judge += time.process_time() - start
            key = probe.key(())
            if key not in answers:
                start = time.process_time()
                answers[key] = reply(probe, PROBES[probe.name](reference, **probe.args))
                worker += time.process_time() - start
            answer = answers[key]
    return judge, worker, len(answers)


def main() -> None:
    """Print the medians over ``--repeats`` gradings (after one warm-up grading)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="gradings to time (default: 5)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    checks = numeric_checks()
    one_grading(checks)
    runs = [one_grading(checks) for _ in range(args.repeats)]
    judge = statistics.median(run[0] for run in runs)
    worker = statistics.median(run[1] for run in runs)
    print(f"{len(checks)} numeric checks, {runs[0][2]} probes, medians of {args.repeats} gradings, one thread")
    print(f"judge's share:  {judge:.3f} CPU-s per grading (aim <= {AIM} s)")
    print(f"probes' share:  {worker:.3f} CPU-s per grading (in the worker, for scale)")


if __name__ == "__main__":
    main()
