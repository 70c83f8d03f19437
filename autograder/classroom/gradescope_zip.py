"""Build Gradescope's autograder zip: ``setup.sh`` and ``run_autograder`` at its top, beside the kit.

Gradescope unzips it into ``/autograder/source``, runs ``setup.sh`` once to build the image,
and ``run_autograder`` for each submission. The zip holds what grading needs and nothing
else: the command line and the judge (``autograder/``), the reference (the judge computes
expected values with it; the worker never sees it), the scaffold (``exercises/``, for
notebook hand-ins), the MNIST files as shipped (``.gz``) and ``pyproject.toml``. Its
entries are sorted and dated 1980-01-01, so the same kit gives the same zip.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

KIT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent / "gradescope"
SCRIPTS = ("setup.sh", "run_autograder")
FOLDERS = ("autograder", "reference", "exercises")
FILES = ("pyproject.toml", "README.md", "LICENSE")
DATA = "datasets/MNIST/raw"
STAMP = (1980, 1, 1, 0, 0, 0)


def kit_files() -> list[tuple[str, Path]]:
    """(name in the zip, path here) of every file the zip holds, sorted."""
    found = [(name, HERE / name) for name in SCRIPTS]
    for folder in FOLDERS:
        for path in sorted((KIT / folder).rglob("*")):
            relative = path.relative_to(KIT)
            if (
                path.is_file()
                and not path.is_symlink()
                and "__pycache__" not in relative.parts
                and not any(part.startswith(".") for part in relative.parts)
                and path.suffix != ".pyc"
            ):
                found.append((relative.as_posix(), path))
    found += [(name, KIT / name) for name in FILES if (KIT / name).is_file()]
    data = KIT / DATA
    found += [(f"{DATA}/{path.name}", path) for path in sorted(data.glob("*.gz"))]
    found += [(f"{DATA}/MD5SUMS", data / "MD5SUMS")] if (data / "MD5SUMS").is_file() else []
    return sorted(found)


def build(out: Path) -> Path:
    """Write the autograder zip to ``out`` and return its path."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, path in kit_files():
            info = zipfile.ZipInfo(name, STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            executable = name in SCRIPTS or path.stat().st_mode & 0o111
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            zipped.writestr(info, path.read_bytes())
    return out
