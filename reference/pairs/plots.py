"""Figures of project 1: sample pairs.

Save a figure of sample pairs as PNG with ``python -m reference.pairs.plots OUT.png``.
"""

from __future__ import annotations

import argparse

import torch
from matplotlib.figure import Figure

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


def main(argv: list[str] | None = None) -> None:
    """Save a figure of sample training pairs as PNG."""
    parser = argparse.ArgumentParser(prog="python -m reference.pairs.plots", description=main.__doc__)
    parser.add_argument("out", help="path of the PNG file to write")
    parser.add_argument("--seed", type=int, default=0, help="seed of the pairs (default: 0)")
    parser.add_argument("--count", type=int, default=8, help="pairs to show (default: 8)")
    args = parser.parse_args(argv)
    data = generate_pair_sets(max(args.count, 1), seed=args.seed)
    show_pairs(data.train_input, data.train_classes, data.train_target, args.count).savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
