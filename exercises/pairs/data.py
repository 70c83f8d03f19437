"""MNIST digit pairs: the data of project 1.

``generate_pair_sets`` follows the semantics of ``generate_pair_sets`` in EPFL's
``dlc_practical_prologue``: MNIST images are average-pooled from 28x28 to 14x14
(float32, values 0..255, no normalisation) and drawn two by two, without
replacement, from the training split for the training set and from the test split
for the test set. The target of a pair is 1 when its first digit is <= its second.
Reading and verifying the MNIST files is ``mnist.py``'s job.
"""

from __future__ import annotations

import os
from typing import NamedTuple

import torch

from .mnist import load_mnist, resolve_data_dir

MAX_PAIRS = 5000  # the test split has 10,000 images: at most 5,000 disjoint pairs
MAX_DISTINCT_PAIRS = 4000  # about 10% of random pairs show the same digit twice


class PairSets(NamedTuple):
    """The six tensors of ``generate_pair_sets``; unpacks like a plain tuple.

    Shapes, for ``n`` pairs: ``*_input`` (n, 2, 14, 14) float32 in [0, 255];
    ``*_target`` (n,) int64; ``*_classes`` (n, 2) int64 digit classes.
    """

    train_input: torch.Tensor
    train_target: torch.Tensor
    train_classes: torch.Tensor
    test_input: torch.Tensor
    test_target: torch.Tensor
    test_classes: torch.Tensor


def generate_pair_sets(
    n: int = 1000,
    *,
    seed: int | None = None,
    distinct: bool = False,
    data_dir: str | os.PathLike | None = None,
) -> PairSets:
    """Draw ``n`` training and ``n`` test pairs of 14x14 MNIST digits.

    Args:
        n: pairs per set, between 1 and 5000 (1 and 4000 with ``distinct``).
        seed: seed of the draw; the same seed gives identical tensors, ``None``
            draws fresh pairs.
        distinct: keep only pairs of two different digits (a variant of the
            assignment in which no pair is a tie).
        data_dir: a torchvision MNIST root (the folder that contains
            ``MNIST/raw``). Default: ``$MINIPROJECTS_DATA_DIR``, else the kit's
            ``datasets/``. When the files are absent from a folder given here or
            in the environment, torchvision downloads them into it.

    Returns:
        ``PairSets(train_input, train_target, train_classes, test_input,
        test_target, test_classes)``.

    Example:
        >>> data = generate_pair_sets(1000, seed=0)
        >>> data.train_input.shape, data.train_target.shape, data.train_classes.shape
        (torch.Size([1000, 2, 14, 14]), torch.Size([1000]), torch.Size([1000, 2]))
    """
    limit = MAX_DISTINCT_PAIRS if distinct else MAX_PAIRS
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= limit:
        raise ValueError(
            f"n must be an integer between 1 and {limit}"
            f"{' with distinct=True' if distinct else ''}, got {n!r}: the MNIST test "
            f"split has 10,000 images and every image is used at most once."
        )
    root = resolve_data_dir(data_dir)
    generator = torch.Generator()
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    train = draw_pairs(*load_mnist("train", root), n, generator, distinct)
    test = draw_pairs(*load_mnist("test", root), n, generator, distinct)
    return PairSets(*train, *test)


def draw_pairs(
    images: torch.Tensor,
    labels: torch.Tensor,
    n: int,
    generator: torch.Generator,
    distinct: bool,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Draw ``n`` disjoint pairs of images; return their input, target and classes.

    Args:
        images: (M, 14, 14) images of one split.
        labels: (M,) their digit classes.
        n: pairs to draw, at most M / 2 (fewer pairs of different digits exist).
        generator: the source of randomness.
        distinct: keep only pairs of two different digits.

    Returns:
        ``(input, target, classes)``: (n, 2, 14, 14) images, (n,) int64 targets
        (1 when the first digit is <= the second) and (n, 2) int64 classes.
    """
    order = torch.randperm(len(labels), generator=generator)
    # Return (input, target, classes). Pair up consecutive indices of the random `order`, so that no
    # image serves twice: a (pairs, 2) tensor of indices; with `distinct`, drop the pairs of equal
    # digits; keep the first n. Indexing `images` and `labels` with it gives the input and classes.
    # YOUR CODE HERE
    raise NotImplementedError("task pair_data: write draw_pairs")
