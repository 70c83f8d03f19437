"""Figures of project 2: the disk data set, learning curves and decision boundaries.

Save a figure of the disk data set as PNG with ``python -m exercises.framework.plots OUT.png``;
``python -m exercises.framework --plot OUT.png`` draws a trained model's curves and boundary.
"""

from __future__ import annotations

import argparse
import math

import torch
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from .data import CENTRE, RADIUS, DiskSets, generate_disk_set
from .module import Module
from .training import History, class_labels

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
        points = input[target == label].cpu().numpy()
        ax.scatter(points[:, 0], points[:, 1], s=6, color=colour, label=f"label {label}")
    ax.add_patch(Circle((CENTRE, CENTRE), RADIUS, fill=False, color="black", linewidth=1.2))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")


def show_training(model: Module, history: History, data: DiskSets) -> Figure:
    """Learning curves (loss, test accuracy per epoch) beside the model's decision boundary."""
    figure = Figure(figsize=(12.5, 4), layout="constrained")
    loss_ax, accuracy_ax, boundary_ax = figure.subplots(1, 3)
    epochs = range(1, len(history.loss) + 1)
    loss_ax.semilogy(epochs, history.loss)
    loss_ax.set(title="Training loss (MSE)", xlabel="epoch")
    if history.validation_accuracy:
        accuracy = [100 * value for value in history.validation_accuracy]
        accuracy_ax.plot(epochs, accuracy)
        settled = accuracy[len(accuracy) // 10 :]  # past the first tenth of training
        accuracy_ax.set_ylim(min(90, 5 * math.floor(min(settled) / 5)), 100)
    accuracy_ax.set(title="Test accuracy (%)", xlabel="epoch")
    for ax in (loss_ax, accuracy_ax):
        ax.grid(alpha=0.3)
    draw_boundary(boundary_ax, model, data)
    return figure


def draw_boundary(ax, model: Module, data: DiskSets, resolution: int = 300) -> None:
    """Shade the model's predicted class over the unit square; circle misclassified test points."""
    model.eval()  # predictions only: forward need not save anything for backward
    grid = torch.linspace(0, 1, resolution, dtype=data.test_input.dtype)
    points = torch.cartesian_prod(grid, grid)  # (x1, x2) with x2 varying fastest
    predicted = class_labels(model(points)).view(resolution, resolution).T
    ax.imshow(predicted.numpy(), origin="lower", extent=(0, 1, 0, 1), cmap="coolwarm", alpha=0.25, vmin=0, vmax=1)
    draw_points(ax, data.test_input, data.test_target)
    wrong = class_labels(model(data.test_input)) != data.test_target
    misses = data.test_input[wrong].numpy()
    ax.scatter(misses[:, 0], misses[:, 1], s=40, facecolors="none", edgecolors="red", label="misclassified")
    ax.set_title(f"Decision boundary ({int(wrong.sum())}/{len(wrong)} test errors)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize="small")


def main(argv: list[str] | None = None) -> None:
    """Save a figure of the disk training set as PNG."""
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name}", description=main.__doc__)
    parser.add_argument("out", help="path of the PNG file to write")
    parser.add_argument("--seed", type=int, default=0, help="seed of the points (default: 0)")
    args = parser.parse_args(argv)
    data = generate_disk_set(1000, seed=args.seed)
    show_disk(data.train_input, data.train_target).savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
