"""The MNIST folder that gradings read: the kit's files, each also decompressed, in the user's cache.

A grading of project 1 reads MNIST three times: in the judge, which checks the student's pairs
against it, and in two probes, through the student's ``generate_pair_sets`` in the data sandbox.
Decompressing the training images takes about 0.15 CPU-s each time. And torchvision's ``MNIST``,
which a student's loader may call as the course's own prologue does, reads only decompressed
files: beside the kit's ``.gz`` alone it downloads them again (no network in the sandbox).

So the judge copies the kit's MNIST folder (``resolve_data_dir()``) once per machine into
``$XDG_CACHE_HOME/dl-miniprojects/mnist`` (``~/.cache`` by default) as a torchvision root: each
``.gz`` beside its decompressed content, verified against the published checksums (and written
again if its size is no longer right), every file written whole (a temporary file renamed),
readable by the sandbox's user. The judge and the data sandbox (read-only, at ``/data``) read
that copy. Where it cannot be made, they read the kit's folder as it is, with a warning.
"""

from __future__ import annotations

import functools
import gzip
import os
import tempfile
import warnings
from pathlib import Path

from reference.pairs.mnist import FILES, DatasetError, find_file, read_verified, resolve_data_dir

CACHE = Path("dl-miniprojects") / "mnist"
READABLE_FILE, READABLE_FOLDER = 0o644, 0o755  # whatever user the sandbox maps its own to


@functools.cache
def mnist_root() -> Path:
    """The MNIST root of the judge and the data sandbox: the cached copy, made if need be, or else
    the kit's folder."""
    source = resolve_data_dir()
    try:
        root = (cache_home() / CACHE).resolve()  # resolved, as the loader's cache keys are
        for names in FILES.values():
            for name in names:
                cache_file(source, root, name)
    except (OSError, RuntimeError, DatasetError) as error:  # a bad kit file: the judge's read of it names it
        warnings.warn(
            f"the MNIST cache could not be made ({error}): gradings read {source} as it is, which "
            f"torchvision's MNIST cannot read offline. Set XDG_CACHE_HOME to a writable folder.",
            stacklevel=2,
        )
        return source
    return root


def cache_home() -> Path:
    """The user's cache folder: ``$XDG_CACHE_HOME``, else ``~/.cache`` (``RuntimeError`` without a home)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def cache_file(source: Path, root: Path, name: str) -> None:
    """Put the IDX file ``name`` of ``source``, decompressed and as ``.gz``, into ``root/MNIST/raw``,
    unless both are there already, the decompressed one as long as its ``.gz`` says (a file removed,
    cut short or replaced is written again: graded code that runs without bubblewrap, as this user,
    could have damaged it, and torchvision reads it unchecked; the kit's loader checks its MD5)."""
    folder = root / "MNIST" / "raw"
    cached, compressed = folder / name, folder / f"{name}.gz"
    if cached.is_file() and compressed.is_file() and cached.stat().st_size == decompressed_size(compressed):
        return
    path = find_file(source, name)
    if path is None:
        raise FileNotFoundError(f"{name} is not in {source}")
    content = read_verified(path, name)
    for each in (root, root / "MNIST", folder):
        each.mkdir(exist_ok=True, parents=True)
        each.chmod(READABLE_FOLDER)
    write_whole(folder / name, content)
    write_whole(folder / f"{name}.gz", path.read_bytes() if path.suffix == ".gz" else gzip.compress(content, 1))


def decompressed_size(path: Path) -> int:
    """The size of a ``.gz`` file's content, as its last four bytes record it (modulo 4 GiB)."""
    with open(path, "rb") as file:
        file.seek(-4, os.SEEK_END)
        return int.from_bytes(file.read(4), "little")


def write_whole(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` through a temporary file renamed over it: no reader, and no other
    grading writing the same file, ever sees part of it."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
        os.chmod(temporary, READABLE_FILE)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
