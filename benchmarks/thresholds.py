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

import torch

from autograder.judge import checks_framework as disk
from autograder.judge import checks_pairs as pairs
from reference.framework import Linear, ReLU, Sequential
from reference.framework import train as train_framework
from reference.pairs import MODELS
from reference.pairs import train as train_pairs


def summary(label: str, values: list[float], bound: str) -> str:
    """One line: mean, standard deviation, min and max, in percent, and the check's bound."""
    percent = [100 * value for value in values]
    spread = statistics.stdev(percent) if len(percent) > 1 else 0.0
    return (
        f"{label:<34} mean {statistics.mean(percent):5.1f}%  std {spread:4.1f}  min {min(percent):5.1f}%  "
        f"max {max(percent):5.1f}%  ({len(values)} seeds; {bound})"
    )


def disk_accuracy(seed: int, shuffled: bool) -> float:
    """The disk check's procedure on the reference's modules."""
    train_input, train_target, test_input, test_labels = disk.disk_data(seed)
    if shuffled:
        order = torch.randperm(len(train_target), generator=disk.generator(disk.CONTROL_SEED))
        train_target = train_target[order]
    model = Sequential(Linear(2, 25), ReLU(), Linear(25, 25), ReLU(), Linear(25, 25), ReLU(), Linear(25, 2))
    for (parameter, _), value in zip(model.param(), disk.disk_parameters(seed=seed), strict=True):
        parameter.copy_(value)
    settings = disk.DISK_SETTINGS | {"seed": seed} | ({"epochs": disk.CONTROL_EPOCHS} if shuffled else {})
    train_framework(model, train_input, train_target, **settings)
    return (model(test_input).argmax(1) == test_labels).double().mean().item()


def pair_accuracy(seed: int, shuffled: bool) -> float:
    """The pair accuracy check's procedure on the reference's models and training."""
    data = pairs.accuracy_data(seed)
    if shuffled:
        order = torch.randperm(len(data.train_target), generator=torch.Generator().manual_seed(pairs.CONTROL_SEED))
        data = data._replace(train_target=data.train_target[order], train_classes=data.train_classes[order])
    torch.manual_seed(seed)
    model = MODELS[pairs.ACCURACY_MODEL]()
    epochs = pairs.CONTROL_EPOCHS if shuffled else pairs.ACCURACY_EPOCHS
    train_pairs(model, data, epochs=epochs, seed=seed)
    model.eval()
    with torch.no_grad():
        return (model(data.test_input).comparison.argmax(1) == data.test_target).double().mean().item()


def main() -> None:
    """Print the four distributions."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--disk-seeds", type=int, default=100, help="seeds of the disk check (default: 100)")
    parser.add_argument("--pair-seeds", type=int, default=20, help="seeds of the pairs check (default: 20)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    disk_seeds, pair_seeds = range(args.disk_seeds), range(args.pair_seeds)
    print(summary("disk, trained", [disk_accuracy(s, False) for s in disk_seeds], f">= {disk.DISK_THRESHOLD:.0%}"))
    print(
        summary(
            "disk, shuffled targets", [disk_accuracy(s, True) for s in disk_seeds], f"<= {disk.CONTROL_CEILING:.0%}"
        )
    )
    print(
        summary("pairs, trained", [pair_accuracy(s, False) for s in pair_seeds], f">= {pairs.ACCURACY_THRESHOLD:.0%}")
    )
    print(
        summary(
            "pairs, shuffled labels", [pair_accuracy(s, True) for s in pair_seeds], f"<= {pairs.CONTROL_CEILING:.0%}"
        )
    )


if __name__ == "__main__":
    main()
