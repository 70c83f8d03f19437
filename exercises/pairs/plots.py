"""Figures of project 1: sample pairs, and test accuracy per epoch over rounds.

Save a figure of sample pairs as PNG with ``python -m exercises.pairs.plots OUT.png``;
``python -m exercises.pairs`` draws the accuracy curves of its rounds.
"""

from __future__ import annotations

import argparse

import torch
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .data import generate_pair_sets


def show_pairs(input: torch.Tensor, classes: torch.Tensor, target: torch.Tensor, count: int = 8) -> Figure:
    """Show the first ``count`` pairs, one per column, with their classes and target.

    Args:
        input: pairs of shape (N, 2, 14, 14).
        classes: digit classes of shape (N, 2).
        target: targets of shape (N,), 1 when the first digit is <= the second.
        count: how many pairs to show, at most N.
    """
    count = min(count, len(input))
    figure = Figure(figsize=(1.3 * count, 3.2), layout="constrained")
    axes = figure.subplots(2, count, squeeze=False)
    for column in range(count):
        for row in range(2):
            ax = axes[row, column]
            ax.imshow(input[column, row].cpu().numpy(), cmap="gray_r", vmin=0, vmax=255)
            ax.set_xticks([])
            ax.set_yticks([])
        first, second = classes[column].tolist()
        sign = "<=" if first <= second else ">"
        axes[0, column].set_title(f"{first} {sign} {second}\ntarget {int(target[column])}")
    axes[0, 0].set_ylabel("first")
    axes[1, 0].set_ylabel("second")
    figure.suptitle("Digit pairs: is the first digit <= the second?")
    return figure


def show_accuracy(curves: dict[str, list[list[float]]], title: str) -> Figure:
    """Plot each model's mean test accuracy per epoch, with a band of one standard deviation.

    Args:
        curves: model name -> its test accuracies in [0, 1], one list of E epochs per
            round (R rounds); the band is the standard deviation over rounds (none for
            a single round).
        title: the title of the figure.
    """
    figure = Figure(figsize=(6.4, 4), layout="constrained")
    ax = figure.subplots()
    for name, rounds in curves.items():
        accuracy = 100 * torch.tensor(rounds)  # (R, E), in percent
        mean = accuracy.mean(0).numpy()
        spread = (accuracy.std(0) if len(accuracy) > 1 else torch.zeros(accuracy.shape[1])).numpy()
        epochs = range(1, len(mean) + 1)
        ax.plot(epochs, mean, label=name)
        ax.fill_between(epochs, mean - spread, mean + spread, alpha=0.2)
    ax.set(title=title, xlabel="epoch", ylabel="test accuracy (%)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    return figure


def main(argv: list[str] | None = None) -> None:
    """Save a figure of sample training pairs as PNG."""
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name}", description=main.__doc__)
    parser.add_argument("out", help="path of the PNG file to write")
    parser.add_argument("--seed", type=int, default=0, help="seed of the pairs (default: 0)")
    parser.add_argument("--count", type=int, default=8, help="pairs to show (default: 8)")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be at least 1")
    data = generate_pair_sets(args.count, seed=args.seed)
    show_pairs(data.train_input, data.train_classes, data.train_target, args.count).savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
