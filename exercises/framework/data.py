"""The disk task, the data of project 2, and the encoding of class labels as targets.

Points are drawn uniformly in the unit square [0, 1]^2; a point's label is 1 when it
lies strictly inside the disk of centre (0.5, 0.5) and radius 1 / sqrt(2 pi), else 0.
The disk's area is pi r^2 = 1/2, so the two classes are balanced.

A network trained on the mean squared error needs targets of its output's shape:
``one_hot`` turns the labels into them, explicitly, before training.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from .module import check_positive_integer

CENTRE = 0.5
RADIUS = 1 / math.sqrt(2 * math.pi)


class DiskSets(NamedTuple):
    """The four tensors of ``generate_disk_set``; unpacks like a plain tuple.

    Shapes, for ``n`` points: ``*_input`` (n, 2) float32 in [0, 1];
    ``*_target`` (n,) int64 in {0, 1}.
    """

    train_input: torch.Tensor
    train_target: torch.Tensor
    test_input: torch.Tensor
    test_target: torch.Tensor


def generate_disk_set(n: int = 1000, *, seed: int | None = None) -> DiskSets:
    """Draw ``n`` training and ``n`` test points of the disk task.

    Args:
        n: points per set, at least 1.
        seed: seed of the draw; the same seed gives identical tensors, ``None``
            draws fresh points.

    Returns:
        ``DiskSets(train_input, train_target, test_input, test_target)``.

    Example:
        >>> data = generate_disk_set(1000, seed=0)
        >>> data.train_input.shape, data.train_target.shape
        (torch.Size([1000, 2]), torch.Size([1000]))
    """
    check_positive_integer("generate_disk_set: n", n)
    generator = seeded_generator(seed)
    train_input = torch.rand(n, 2, generator=generator)
    test_input = torch.rand(n, 2, generator=generator)
    return DiskSets(train_input, disk_label(train_input), test_input, disk_label(test_input))


def one_hot(labels: torch.Tensor, classes: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Encode class labels as the rows of the identity matrix: the regression targets of a classifier.

    Row ``n`` of the result is 1 at column ``labels[n]`` and 0 elsewhere, so a network
    with ``classes`` outputs trained on the MSE learns to output 1 for the right class.

    Args:
        labels: integer class labels of shape (N,), in [0, classes - 1].
        classes: the number of classes, the network's output width.
        dtype: dtype of the result, the network's. Default: ``torch.float32``.

    Returns:
        A tensor of shape (N, classes) and dtype ``dtype``.

    Example:
        >>> one_hot(torch.tensor([0, 2, 1]), 3)
        tensor([[1., 0., 0.],
                [0., 0., 1.],
                [0., 1., 0.]])
    """
    check_positive_integer("one_hot: classes", classes)
    if labels.dim() != 1 or labels.is_floating_point() or labels.dtype == torch.bool:
        raise ValueError(
            f"one_hot: labels must be integers of shape (N,), got shape {tuple(labels.shape)} and dtype {labels.dtype}"
        )
    if len(labels) and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(
            f"one_hot: labels must be in [0, {classes - 1}] for {classes} classes, "
            f"got values from {int(labels.min())} to {int(labels.max())}"
        )
    return torch.eye(classes, dtype=dtype)[labels]


def seeded_generator(seed: int | None) -> torch.Generator:
    """A random generator seeded with ``seed``, or with fresh randomness when ``seed`` is None."""
    generator = torch.Generator()
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    return generator


def disk_label(points: torch.Tensor) -> torch.Tensor:
    """Label points of shape (N, 2): 1 strictly inside the disk, else 0, as (N,) int64."""
    return ((points - CENTRE).pow(2).sum(dim=1) < RADIUS**2).long()
