"""generate_disk_set: points uniform in the unit square, labelled by the disk of area 1/2."""

import math

import pytest
import torch

from reference.framework import generate_disk_set
from reference.framework.data import disk_label


def test_shapes_dtypes_and_range():
    data = generate_disk_set(1000, seed=0)
    assert [tuple(t.shape) for t in data] == [(1000, 2), (1000,), (1000, 2), (1000,)]
    assert [t.dtype for t in data] == [torch.float32, torch.int64] * 2
    assert data.train_input.min() >= 0 and data.train_input.max() <= 1


def test_labels_are_the_disk_not_a_square():
    data = generate_disk_set(1000, seed=0)
    inside = (data.train_input - 0.5).pow(2).sum(1) < 1 / (2 * math.pi)
    assert torch.equal(data.train_target, inside.long())
    corners = torch.tensor([[0.15, 0.15], [0.85, 0.85], [0.5, 0.5], [0.5, 0.12]])  # the old square held its corners
    assert disk_label(corners).tolist() == [0, 0, 1, 1]


def test_classes_are_balanced():
    data = generate_disk_set(100_000, seed=0)
    assert data.train_target.float().mean().item() == pytest.approx(0.5, abs=0.01)


def test_seeds():
    assert torch.equal(generate_disk_set(10, seed=4).test_input, generate_disk_set(10, seed=4).test_input)
    assert not torch.equal(generate_disk_set(10, seed=4).test_input, generate_disk_set(10, seed=5).test_input)
    assert not torch.equal(generate_disk_set(10).train_input, generate_disk_set(10).train_input)


@pytest.mark.parametrize("n", [0, -1, 1.5, True])
def test_rejects_bad_sizes(n):
    with pytest.raises(ValueError, match="positive integer"):
        generate_disk_set(n)
