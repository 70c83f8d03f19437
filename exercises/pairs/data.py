"""MNIST digit pairs: the data of project 1.

``generate_pair_sets`` follows the semantics of ``generate_pair_sets`` in EPFL's
``dlc_practical_prologue``: MNIST images are average-pooled from 28x28 to 14x14
(float32, values 0..255, no normalisation) and drawn two by two, without
replacement, from the training split for the training set and from the test split
for the test set. The target of a pair is 1 when its first digit is <= its second.

The four MNIST files are read from the kit's ``datasets/MNIST/raw/`` (or from
``data_dir``, or from the folder named by the environment variable
``MINIPROJECTS_DATA_DIR``), verified against the published MD5 checksums, and the
decoded tensors are cached for the rest of the process.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import warnings
import zlib
from pathlib import Path
from typing import NamedTuple

import torch
from torch.nn.functional import avg_pool2d

DATA_DIR_VARIABLE = "MINIPROJECTS_DATA_DIR"
SHIPPED_DATA_DIR = Path(__file__).resolve().parents[2] / "datasets"

FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
MD5 = {  # published checksums of the decompressed files
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}
IDX_HEADER_BYTES = {"images": 16, "labels": 8}

MAX_PAIRS = 5000  # the test split has 10,000 images: at most 5,000 disjoint pairs
MAX_DISTINCT_PAIRS = 4000  # about 10% of random pairs show the same digit twice


class DatasetError(RuntimeError):
    """A dataset file is missing, corrupt or truncated; the message says how to fix it."""


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
        distinct: keep only pairs of two different digits (the variant of the
            original report, in which no pair is a tie).
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
    """Draw ``n`` disjoint pairs of images; return their input, target and classes."""
    order = torch.randperm(len(labels), generator=generator)
    pairs = order[: len(order) // 2 * 2].view(-1, 2)
    if distinct:
        pairs = pairs[labels[pairs[:, 0]] != labels[pairs[:, 1]]]
    pairs = pairs[:n]
    classes = labels[pairs]
    target = (classes[:, 0] <= classes[:, 1]).long()
    return images[pairs], target, classes


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """Return the MNIST root to read: ``data_dir``, else the environment, else the kit's copy."""
    if data_dir is None:
        data_dir = os.environ.get(DATA_DIR_VARIABLE) or None
    if data_dir is None:
        return SHIPPED_DATA_DIR
    path = Path(data_dir).expanduser().resolve()
    if not any(find_file(path, name) for names in FILES.values() for name in names):
        download_mnist(path)
    return path


def find_file(root: Path, name: str) -> Path | None:
    """Return the gzip or raw IDX file ``name`` under ``root/MNIST/raw``, or None."""
    folder = root / "MNIST" / "raw"
    for candidate in (folder / f"{name}.gz", folder / name):
        if candidate.is_file():
            return candidate
    return None


def download_mnist(root: Path) -> None:
    """Download MNIST into ``root`` with torchvision, saying so first."""
    warnings.warn(
        f"MNIST not found in {root / 'MNIST' / 'raw'}: downloading it with "
        f"torchvision (needs network access). To work offline, point data_dir or "
        f"${DATA_DIR_VARIABLE} at a folder that already holds MNIST/raw/, such as "
        f"the kit's datasets/.",
        stacklevel=3,
    )
    from torchvision.datasets import MNIST

    try:
        for train in (True, False):
            MNIST(root, train=train, download=True)
    except Exception as error:  # torchvision raises several kinds on network failure
        raise DatasetError(
            f"could not download MNIST into {root} ({error}). Copy the four files of "
            f"the kit's datasets/MNIST/raw/ into {root / 'MNIST' / 'raw'} instead."
        ) from error


@functools.cache
def load_mnist(split: str, root: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """Return one split as ``(images, labels)``: (N, 14, 14) float32 and (N,) int64.

    Decoded once per process and per folder: later calls return the cached tensors
    (``draw_pairs`` indexes them, which copies, so callers never share them).
    """
    images_name, labels_name = FILES[split]
    images = read_idx(root, images_name, "images")
    labels = read_idx(root, labels_name, "labels")
    pooled = avg_pool2d(images.view(-1, 1, 28, 28).float(), kernel_size=2)
    return pooled.view(-1, 14, 14), labels.long()


def read_idx(root: Path, name: str, kind: str) -> torch.Tensor:
    """Read and verify one IDX file; raise ``DatasetError`` naming it if it is bad."""
    path = find_file(root, name)
    if path is None:
        raise DatasetError(
            f"{root / 'MNIST' / 'raw' / (name + '.gz')} is missing. Restore the kit's "
            f"copy (git checkout -- datasets), or pass data_dir= (or set "
            f"${DATA_DIR_VARIABLE}) to a folder where torchvision may download MNIST."
        )
    fix = (
        "Replace it with the kit's copy (git checkout -- datasets) or delete it so that torchvision downloads it again."
    )
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, zlib.error) as error:
        raise DatasetError(f"{path} is corrupt or truncated ({error}). {fix}") from error
    digest = hashlib.md5(raw).hexdigest()
    if digest != MD5[name]:
        raise DatasetError(
            f"{path} is corrupt or truncated: the MD5 of its content is {digest}, expected {MD5[name]}. {fix}"
        )
    data = torch.frombuffer(bytearray(raw), dtype=torch.uint8, offset=IDX_HEADER_BYTES[kind])
    return data.view(-1, 28, 28) if kind == "images" else data
