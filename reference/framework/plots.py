"""Figures of project 2: the disk data set.

Save a figure of the disk data set as PNG with ``python -m reference.framework.plots OUT.png``.
"""

from __future__ import annotations

import argparse

import torch
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from .data import CENTRE, RADIUS, generate_disk_set

CLASS_COLOURS = ("tab:blue", "tab:orange")


def show_disk(input: torch.Tensor, target: torch.Tensor, title: str = "The disk task") -> Figure:
    """Scatter points of shape (N, 2) coloured by their target of shape (N,), with the disk's edge."""
    figure = Figure(figsize=(4.6, 4.6), layout="constrained")
    ax = figure.subplots()
    draw_points(ax, input, target)
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize="small", framealpha=0.9)
    return figure


def draw_points(ax, input: torch.Tensor, target: torch.Tensor) -> None:
    """Draw labelled points and the true disk on a unit-square axes."""
    for label, colour in enumerate(CLASS_COLOURS):
        points = input[target == label].cpu()
        ax.scatter(points[:, 0], points[:, 1], s=6, color=colour, label=f"label {label}")
    ax.add_patch(Circle((CENTRE, CENTRE), RADIUS, fill=False, color="black", linewidth=1.2))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")


def main(argv: list[str] | None = None) -> None:
    """Save a figure of the disk training set as PNG."""
    parser = argparse.ArgumentParser(prog="python -m reference.framework.plots", description=main.__doc__)
    parser.add_argument("out", help="path of the PNG file to write")
    parser.add_argument("--seed", type=int, default=0, help="seed of the points (default: 0)")
    args = parser.parse_args(argv)
    data = generate_disk_set(1000, seed=args.seed)
    show_disk(data.train_input, data.train_target).savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
