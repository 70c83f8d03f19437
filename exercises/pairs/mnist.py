"""MNIST from its IDX files: found, verified against the published checksums, decoded, cached.

The four files are read from the kit's ``datasets/MNIST/raw/`` (or from a folder given
as ``data_dir``, or named by the environment variable ``MINIPROJECTS_DATA_DIR``), each
decompressed where that copy is there (torchvision keeps it beside the ``.gz``), else
gzip-compressed. Each split is decoded once per process: images average-pooled from 28x28
to 14x14, float32 values 0..255, labels int64.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import warnings
import zlib
from pathlib import Path

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


class DatasetError(RuntimeError):
    """A dataset file is missing, corrupt or truncated; the message says how to fix it."""


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """Return the MNIST root to read: ``data_dir``, else the environment, else the kit's copy."""
    if data_dir is None:
        data_dir = os.environ.get(DATA_DIR_VARIABLE) or None
    if data_dir is None:
        return kit_data_dir()
    path = Path(data_dir).expanduser().resolve()
    if not any(find_file(path, name) for names in FILES.values() for name in names):
        download_mnist(path)
    return path


def kit_data_dir() -> Path:
    """The kit's ``datasets/``: the nearest above this file, else above the working directory.

    A copy of the package outside the kit (a student's folder) still finds the kit's
    files when it runs from within the kit.
    """
    for start in (Path(__file__).resolve().parent, Path.cwd()):
        for folder in (start, *start.parents):
            if (folder / "datasets" / "MNIST" / "raw").is_dir():
                return folder / "datasets"
    return SHIPPED_DATA_DIR


def find_file(root: Path, name: str) -> Path | None:
    """Return the IDX file ``name`` under ``root/MNIST/raw``, decompressed or else ``.gz``, or None.

    The decompressed file comes first: reading it skips the decompression.
    """
    folder = root / "MNIST" / "raw"
    for candidate in (folder / name, folder / f"{name}.gz"):
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
    data = torch.frombuffer(bytearray(read_verified(path, name)), dtype=torch.uint8, offset=IDX_HEADER_BYTES[kind])
    return data.view(-1, 28, 28) if kind == "images" else data


def read_verified(path: Path, name: str) -> bytes:
    """Return the decompressed content of ``path``, the IDX file ``name``, checked against its published MD5."""
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
    return raw
