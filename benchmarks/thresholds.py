"""Measure, on the reference, the distributions behind the accuracy checks' thresholds.

Each accuracy check trains the student's own model on data the judge draws and must reach
a threshold; a control run on shuffled labels must stay under a ceiling. This script runs
exactly those procedures (the judge's data, initialisation and settings) with the
reference's code, over many seeds, in this process, and prints mean, std, min and max,
against the thresholds the checks use.

    python benchmarks/thresholds.py [--disk-seeds 100] [--pair-seeds 20]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

import reference.pairs
from autograder.judge import checks_framework as disk
from autograder.judge import checks_pairs as pairs
from autograder.worker.probes_pairs import train_and_predict
from reference.framework import Linear, ReLU, Sequential
from reference.framework import train as train_framework

COURSE_FORMULA_DRAWS = 1000  # draws of the disk check on which the course's formula is scored

PAIR_CONTROL_DRAWS = 1000  # the control's draws are 1000 + seed: none is a draw of a run graded


def summary(label: str, values: list[float], bound: str) -> str:
    """One line: mean, standard deviation, min and max, in percent, and the check's bound."""
    percent = [100 * value for value in values]
    spread = statistics.stdev(percent) if len(percent) > 1 else 0.0
    return (
        f"{label:<34} mean {statistics.mean(percent):5.1f}%  std {spread:4.1f}  min {min(percent):5.1f}%  "
        f"max {max(percent):5.1f}%  ({len(values)} seeds; {bound})"
    )


def disk_accuracy(seed: int, control: bool) -> float:
    """The disk check's procedure on the reference's modules, with ``seed`` where the check draws a
    secret (the disks ``disk_pair(seed)`` and the runs' seed): the run graded, or the control."""
    graded, other = disk.disk_pair(seed)
    train_input, train_target, test_input, test_labels = disk.disk_data(graded, other if control else graded, seed)
    model = Sequential(Linear(2, 25), ReLU(), Linear(25, 25), ReLU(), Linear(25, 25), ReLU(), Linear(25, 2))
    for (parameter, _), value in zip(model.param(), disk.disk_parameters(seed=seed), strict=True):
        parameter.copy_(value)
    train_framework(model, train_input, train_target, **disk.DISK_SETTINGS, seed=seed)
    return (model(test_input).argmax(1) == test_labels).double().mean().item()


def course_formula_accuracy(seed: int) -> float:
    """The accuracy on the test points of the run graded of draw ``seed`` of the course's own disk (centre
    (0.5, 0.5), radius 1/sqrt(2 pi), class 1 inside) used as the classifier: no training at all."""
    graded, _ = disk.disk_pair(seed)
    test_input = disk.disk_points(2 * seed + 1)
    return (disk.COURSE_DISK.labels(test_input) == graded.labels(test_input)).double().mean().item()


def pair_accuracy(seed: int) -> tuple[list[float], list[float], float]:
    """The pair accuracy check's procedure on the reference's models and training (the worker's very probe,
    run in this process), on the draws ``seed`` and ``PAIR_CONTROL_DRAWS + seed`` where the check draws
    from ``secrets``: the test accuracy after each epoch of the run graded and of the control, and the seconds.
    The two runs train side by side in threads that share torch's generator: figures vary a little between
    measurements."""
    runs = [
        pairs.accuracy_run(seed, seed, shuffled=False),
        pairs.accuracy_run(PAIR_CONTROL_DRAWS + seed, seed, shuffled=True),
    ]
    start = time.perf_counter()
    result = train_and_predict(reference.pairs, **pairs.accuracy_probe(runs).args)
    seconds = time.perf_counter() - start
    trained, control = pairs.accuracy_curves(result, runs)
    return trained.accuracies, control.accuracies, seconds


def pair_summaries(seeds: range) -> list[str]:
    """The pair check's lines: the run graded (its last epoch, what the check compares), its epochs, the
    control's best epoch (what the check compares), and the seconds of one grading's probe."""
    measured = [pair_accuracy(seed) for seed in seeds]
    epochs = [len(trained) for trained, _, _ in measured]
    seconds = [time for _, _, time in measured]
    return [
        summary(
            "pairs, trained (last epoch)",
            [trained[-1] for trained, _, _ in measured],
            f">= {pairs.ACCURACY_THRESHOLD:.0%}",
        ),
        summary(
            "pairs, shuffled labels (best epoch)",
            [max(control) for _, control, _ in measured],
            f"<= {pairs.CONTROL_CEILING:.0%}",
        ),
        f"{'pairs, epochs run':<34} mean {statistics.mean(epochs):.2f}  max {max(epochs)}  "
        f"(of {pairs.ACCURACY_EPOCHS}; {epochs.count(min(epochs))} draws with {min(epochs)})",
        f"{'pairs, seconds of the probe':<34} mean {statistics.mean(seconds):.1f}  max {max(seconds):.1f}",
    ]


def main() -> None:
    """Print the four distributions."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--disk-seeds", type=int, default=100, help="seeds of the disk check (default: 100)")
    parser.add_argument("--pair-seeds", type=int, default=20, help="seeds of the pairs check (default: 20)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    disk_seeds, pair_seeds = range(args.disk_seeds), range(args.pair_seeds)
    print(summary("disk, trained", [disk_accuracy(s, False) for s in disk_seeds], f">= {disk.DISK_THRESHOLD:.0%}"))
    print(summary("disk, control", [disk_accuracy(s, True) for s in disk_seeds], f"<= {disk.CONTROL_CEILING:.0%}"))
    formula = [course_formula_accuracy(s) for s in range(COURSE_FORMULA_DRAWS)]
    reaching = sum(value >= disk.DISK_THRESHOLD for value in formula)
    print(summary("disk, the course's formula", formula, f"{reaching} reach {disk.DISK_THRESHOLD:.0%}"))
    print("\n".join(pair_summaries(pair_seeds)))


if __name__ == "__main__":
    main()
