"""The round protocol: train each model on several rounds and summarise them.

A round draws new pairs, builds a new model and trains it. Round ``r`` uses the seed
``seed + r`` for the three: the draw of the pairs, the initialisation
(``torch.manual_seed`` before the model is built) and the training (batch order,
dropout, shifts). Every model thus sees the same pairs in the same round, and a
round can be rerun alone. The reported accuracy of a round is that of its last
epoch; results are the mean and standard deviation over rounds.
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from .data import generate_pair_sets
from .models import MODELS
from .training import History, train
from .vectorised import train_rounds

# The figures of the protocol: file name -> the models it compares.
COMPARISONS = {
    "baseline_vs_shared": ("baseline", "shared"),
    "baseline_vs_aux": ("baseline", "aux"),
    "deep_vs_deep_aux": ("deep", "deep_aux"),
    "deep_vs_deep_digits": ("deep", "deep_digits"),
}


@dataclass
class Rounds:
    """One model's results over several rounds.

    Attributes:
        parameters: the model's number of parameters.
        histories: one ``History`` per round.
    """

    parameters: int
    histories: list[History]

    @property
    def final_test_accuracy(self) -> list[float]:
        """The last epoch's test accuracy of every round, in [0, 1]."""
        return [history.test_accuracy[-1] for history in self.histories]

    @property
    def seconds_per_round(self) -> list[float]:
        """The training time of every round, in seconds."""
        return [sum(history.seconds) for history in self.histories]

    @property
    def test_accuracy_per_epoch(self) -> list[list[float]]:
        """The test accuracy after every epoch, one list per round."""
        return [history.test_accuracy for history in self.histories]

    def to_dict(self) -> dict:
        """The JSON entry of the model: parameters and the three per-round lists."""
        return {
            "parameters": self.parameters,
            "final_test_accuracy": self.final_test_accuracy,
            "seconds_per_round": self.seconds_per_round,
            "test_accuracy_per_epoch": self.test_accuracy_per_epoch,
        }


def count_parameters(model: torch.nn.Module) -> int:
    """Return the number of scalar parameters of ``model``."""
    return sum(parameter.numel() for parameter in model.parameters())


def run_rounds(
    name: str,
    rounds: int,
    *,
    seed: int = 0,
    pairs: int = 1000,
    epochs: int = 25,
    batch_size: int = 50,
    device: str | torch.device = "cpu",
    vectorised: bool = False,
    progress: bool = False,
) -> Rounds:
    """Train model ``name`` on rounds ``seed``, ..., ``seed + rounds - 1``.

    Args:
        name: a key of ``MODELS``.
        rounds: how many rounds.
        seed: the seed of the first round.
        pairs: training pairs (and test pairs) per round.
        epochs: epochs per round.
        batch_size: pairs per optimisation step.
        device: where to train.
        vectorised: train all rounds at once with ``vectorised.train_rounds``
            instead of one after the other with ``train``. Each round keeps its data
            and initialisation, but the batch order and random layers of all rounds
            then draw from one generator seeded with ``seed``: a round cannot be rerun
            alone.
        progress: show progress bars.

    Returns:
        The model's ``Rounds``: its parameter count and one history per round.
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}: choose from {', '.join(MODELS)}")
    seeds = range(seed, seed + rounds)
    make_model = MODELS[name]
    options = {"epochs": epochs, "batch_size": batch_size, "device": device, "progress": progress}
    if vectorised:
        datasets = [generate_pair_sets(pairs, seed=round_seed) for round_seed in seeds]
        histories = train_rounds(make_model, datasets, seeds, **options)
    else:
        histories = []
        for round_seed in tqdm(seeds, desc=name, unit="round", disable=not progress):
            data = generate_pair_sets(pairs, seed=round_seed)
            torch.manual_seed(round_seed)
            histories.append(train(make_model(), data, seed=round_seed, **options))
    return Rounds(count_parameters(make_model()), histories)


def mean_std(values: list[float]) -> tuple[float, float]:
    """Return the mean and the sample standard deviation (0 for a single value)."""
    return statistics.mean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def summary_row(name: str, result: Rounds) -> dict[str, float | int | str]:
    """One model's row: parameters, rounds, final test accuracy (%) and seconds per round, mean and std."""
    accuracy_mean, accuracy_std = mean_std([100 * value for value in result.final_test_accuracy])
    seconds_mean, seconds_std = mean_std(result.seconds_per_round)
    return {
        "model": name,
        "parameters": result.parameters,
        "rounds": len(result.histories),
        "accuracy_mean": accuracy_mean,
        "accuracy_std": accuracy_std,
        "seconds_mean": seconds_mean,
        "seconds_std": seconds_std,
    }


def markdown_table(results: dict[str, Rounds]) -> str:
    """The summary as a Markdown table."""
    lines = [
        "| model | parameters | rounds | final test accuracy (%) | seconds per round |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for row in (summary_row(name, result) for name, result in results.items()):
        lines.append(
            f"| `{row['model']}` | {row['parameters']:,} | {row['rounds']} "
            f"| {row['accuracy_mean']:.2f} ± {row['accuracy_std']:.2f} "
            f"| {row['seconds_mean']:.2f} ± {row['seconds_std']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def csv_table(results: dict[str, Rounds]) -> str:
    """The summary as CSV, accuracies in percent."""
    rows = [summary_row(name, result) for name, result in results.items()]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def to_json(results: dict[str, Rounds], settings: dict) -> dict:
    """The results as JSON: ``{"settings": {...}, "models": {name: Rounds.to_dict()}}``."""
    return {"settings": settings, "models": {name: result.to_dict() for name, result in results.items()}}
