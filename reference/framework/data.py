"""The disk task: the data of project 2.

Points are drawn uniformly in the unit square [0, 1]^2; a point's label is 1 when it
lies strictly inside the disk of centre (0.5, 0.5) and radius 1 / sqrt(2 pi), else 0.
The disk's area is pi r^2 = 1/2, so the two classes are balanced.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

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
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    generator = seeded_generator(seed)
    train_input = torch.rand(n, 2, generator=generator)
    test_input = torch.rand(n, 2, generator=generator)
    return DiskSets(train_input, disk_label(train_input), test_input, disk_label(test_input))


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
