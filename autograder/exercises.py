"""Generate ``exercises/`` from ``reference/``: every solution region becomes a stub.

A solution region is framed by two comment lines, ``### BEGIN SOLUTION`` and
``### END SOLUTION`` (nbgrader's markers). The generator replaces each region by the
stub nbgrader writes, at the region's indentation; every other line is copied as is.
``exercises/README.md`` (the student guide) is written from ``student_guide.md`` and
the task list, and ``exercises/SOURCE_DIGEST`` records which reference it came from.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .tasks import TASKS

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "reference"
EXERCISES = ROOT / "exercises"
GUIDE_TEMPLATE = Path(__file__).with_name("student_guide.md")
BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
SKIPPED_FOLDERS = ("__pycache__", ".ipynb_checkpoints")
DIGEST_FILE = "SOURCE_DIGEST"


class MarkerError(ValueError):
    """Solution markers that do not pair up: the message gives the file and line."""


def strip_solutions(source: str, name: str) -> str:
    """Return ``source`` with every solution region replaced by a stub.

    Raises:
        MarkerError: a region is nested in another, not closed, or closed without
            being opened, or a region is empty.
    """
    output: list[str] = []
    opened_at = 0
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if opened_at:
                raise MarkerError(f"{name}:{number}: {BEGIN} inside the region opened at line {opened_at}")
            opened_at = number
            indent = line[: len(line) - len(line.lstrip())]
            output += [f"{indent}{stub_line}\n" for stub_line in STUB]
        elif marker == END:
            if not opened_at:
                raise MarkerError(f"{name}:{number}: {END} without a {BEGIN} before it")
            if number == opened_at + 1:
                raise MarkerError(f"{name}:{opened_at}: empty solution region")
            opened_at = 0
        elif not opened_at:
            output.append(line)
    if opened_at:
        raise MarkerError(f"{name}:{opened_at}: {BEGIN} is never closed by {END}")
    return "".join(output)


def solution_lines(source: str) -> list[tuple[int, str]]:
    """Return ``(line number, line)`` for every line inside a solution region."""
    lines, inside = [], False
    for number, line in enumerate(source.splitlines(), start=1):
        if line.strip() in (BEGIN, END):
            inside = line.strip() == BEGIN
        elif inside:
            lines.append((number, line))
    return lines


def mirrored(path: Path, folder: Path) -> bool:
    """Whether a file below ``folder`` belongs to the package, not to Python's or Jupyter's caches."""
    relative = path.relative_to(folder)
    return path.is_file() and path.suffix != ".pyc" and not set(relative.parts) & set(SKIPPED_FOLDERS)


def reference_files(reference: Path = REFERENCE) -> list[Path]:
    """Every file of the reference that the exercises mirror, sorted."""
    return sorted(path for path in reference.rglob("*") if mirrored(path, reference))


def expected_exercises(reference: Path = REFERENCE) -> dict[str, str]:
    """Return what ``exercises/`` must hold: relative path -> text."""
    files: dict[str, str] = {}
    digest = hashlib.sha256()
    for path in reference_files(reference):
        relative = path.relative_to(reference).as_posix()
        text = path.read_text()
        digest.update(relative.encode() + b"\0" + text.encode() + b"\0")
        files[relative] = strip_solutions(text, f"reference/{relative}") if path.suffix == ".py" else text
    files["README.md"] = student_guide()
    files[DIGEST_FILE] = (
        "# sha256 of the reference/ these exercises were generated from; "
        "checked by python -m autograder build-exercises --check\n" + digest.hexdigest() + "\n"
    )
    return files


def student_guide() -> str:
    """The student guide: the template with the task table filled in."""
    rows = [f"| {number} | `{task.name}` | {task.project} | {task.description} |"
            for number, task in enumerate(TASKS, start=1)]  # fmt: skip
    table = "| # | task | project | what it asks |\n| --- | --- | --- | --- |\n" + "\n".join(rows)
    return GUIDE_TEMPLATE.read_text().replace("{tasks}", table)


def compare(exercises: Path = EXERCISES, reference: Path = REFERENCE) -> tuple[list[str], list[str]]:
    """Return the files of ``exercises/`` that are outdated or missing, and those that are extra."""
    expected = expected_exercises(reference)
    present = {
        path.relative_to(exercises).as_posix() for path in exercises.rglob("*") if mirrored(path, exercises)
    } if exercises.is_dir() else set()  # fmt: skip
    outdated = [name for name, text in expected.items()
                if name not in present or (exercises / name).read_text() != text]  # fmt: skip
    return sorted(outdated), sorted(present - expected.keys())


def build(exercises: Path = EXERCISES, reference: Path = REFERENCE) -> list[str]:
    """Rewrite ``exercises/`` from ``reference/``; return the files written or removed."""
    outdated, extra = compare(exercises, reference)
    expected = expected_exercises(reference)
    for name in outdated:
        path = exercises / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(expected[name])
    for name in extra:
        (exercises / name).unlink()
    return outdated + extra
