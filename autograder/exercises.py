"""Generate ``exercises/`` from ``reference/``: every solution region becomes a stub.

A solution region is framed by two comment lines, ``### BEGIN SOLUTION`` and
``### END SOLUTION`` (nbgrader's markers). The generator replaces each region by a stub
at the region's indentation, which raises ``NotImplementedError("task TASK: write
FUNCTION")``, naming the manifest's task and the function to write; every other line is
copied as is, except the package's own docstring, which describes the exercises, and
the commands named in the files (``python -m exercises.pairs``, not ``reference.pairs``).
``exercises/README.md`` (the student guide) is written from ``student_guide.md``, the
manifest and the stubs. ``exercises/SOURCE_DIGEST`` records the reference it came from
and the digest of every file it wrote: ``build`` refuses to overwrite a file edited
since (a student's work), unless forced.
"""

from __future__ import annotations

import ast
import hashlib
import shutil
from pathlib import Path
from typing import NamedTuple

from .manifest import TASKS, stub_task

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "reference"
EXERCISES = ROOT / "exercises"
GUIDE_TEMPLATE = Path(__file__).with_name("student_guide.md")
BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB_COMMENT = "# YOUR CODE HERE"
SKIPPED_FOLDERS = ("__pycache__", ".ipynb_checkpoints")
DIGEST_FILE = "SOURCE_DIGEST"
COMMAND_NAMES = ("python -m reference.", "python -m exercises.")  # the commands the exercises' files name
PACKAGE_DOCSTRING = '''"""The exercises of both mini-projects: the kit's packages with the parts you write left out.

- ``pairs``: project 1, digit-pair comparison with weight sharing and auxiliary losses
  (PyTorch ``nn``).
- ``framework``: project 2, a deep-learning framework written with tensor operations
  only (no ``torch.nn``, no autograd).

Each part you write raises ``NotImplementedError`` until you do; README.md lists them,
task by task. Imports inside the package are relative, so a copy of this folder works
under any name: ``python -m autograder start DIR`` makes one for you.
"""
'''


class MarkerError(ValueError):
    """Solution markers that do not pair up: the message gives the file and line."""


class EditedError(ValueError):
    """Generated files edited since they were generated: overwriting them would lose that work."""


class StartError(ValueError):
    """The folder for a student's copy cannot be created."""


class Stub(NamedTuple):
    """A solution region: its file (``framework/linear.py``), function, line, length and task."""

    file: str
    function: str
    line: int
    lines: int
    task: str


def enclosing_function(tree: ast.Module, line: int) -> str:
    """The qualified name of the innermost function or class around ``line`` (``<module>`` if none)."""
    names: list[str] = []
    body = tree.body
    while True:
        node = next(
            (
                node
                for node in body
                if isinstance(node, ast.FunctionDef | ast.ClassDef)
                and node.lineno <= line <= (node.end_lineno or node.lineno)
            ),
            None,
        )
        if node is None:
            return ".".join(names) or "<module>"
        names.append(node.name)
        body = node.body


def stubs_of(source: str, name: str) -> list[Stub]:
    """The solution regions of a reference file ``name`` (``reference/framework/linear.py``), checked.

    Raises:
        MarkerError: a region is nested in another, not closed, closed without being
            opened, or empty.
    """
    regions: list[tuple[int, int]] = []
    opened_at = 0
    for number, line in enumerate(source.splitlines(), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if opened_at:
                raise MarkerError(f"{name}:{number}: {BEGIN} inside the region opened at line {opened_at}")
            opened_at = number
        elif marker == END:
            if not opened_at:
                raise MarkerError(f"{name}:{number}: {END} without a {BEGIN} before it")
            if number == opened_at + 1:
                raise MarkerError(f"{name}:{opened_at}: empty solution region")
            regions.append((opened_at, number))
            opened_at = 0
    if opened_at:
        raise MarkerError(f"{name}:{opened_at}: {BEGIN} is never closed by {END}")
    if not regions:
        return []
    tree = ast.parse(source, name)
    file = name.removeprefix("reference/")
    stubs = []
    for begin, end in regions:
        function = enclosing_function(tree, begin)
        stubs.append(Stub(file, function, begin, end - begin - 1, stub_task(file, function)))
    return stubs


def strip_solutions(source: str, name: str) -> str:
    """Return ``source`` with every solution region replaced by a stub naming its task and function."""
    stubs = {stub.line: stub for stub in stubs_of(source, name)}
    output: list[str] = []
    inside = False
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        if number in stubs:
            indent = line[: len(line) - len(line.lstrip())]
            stub = stubs[number]
            output += [
                f"{indent}{STUB_COMMENT}\n",
                f'{indent}raise NotImplementedError("task {stub.task}: write {stub.function}")\n',
            ]
            inside = True
        elif line.strip() == END and inside:
            inside = False
        elif not inside:
            output.append(line)
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


def all_stubs(reference: Path = REFERENCE) -> list[Stub]:
    """Every solution region of the reference, file by file."""
    return [
        stub
        for path in reference_files(reference)
        if path.suffix == ".py"
        for stub in stubs_of(path.read_text(), f"reference/{path.relative_to(reference).as_posix()}")
    ]


def digest(text: str) -> str:
    """The sha256 of a text."""
    return hashlib.sha256(text.encode()).hexdigest()


def expected_exercises(reference: Path = REFERENCE) -> dict[str, str]:
    """Return what ``exercises/`` must hold: relative path -> text."""
    files: dict[str, str] = {}
    source_digest = hashlib.sha256()
    for path in reference_files(reference):
        relative = path.relative_to(reference).as_posix()
        text = path.read_text()
        source_digest.update(relative.encode() + b"\0" + text.encode() + b"\0")
        if relative == "__init__.py":
            files[relative] = PACKAGE_DOCSTRING
        elif path.suffix == ".py":
            files[relative] = strip_solutions(text, f"reference/{relative}").replace(*COMMAND_NAMES)
        else:
            files[relative] = text
    files["README.md"] = student_guide(all_stubs(reference))
    listing = "".join(f"{digest(text)}  {name}\n" for name, text in sorted(files.items()))
    files[DIGEST_FILE] = (
        "# sha256 of the reference/ these exercises were generated from, then of each file generated;\n"
        "# checked by python -m autograder build-exercises (--check)\n" + source_digest.hexdigest() + "\n" + listing
    )
    return files


def student_guide(stubs: list[Stub]) -> str:
    """The student guide: the template with the task and stub tables filled in."""
    rows = [
        f"| {number} | `{task.name}` | {task.project} | {task.description} |"
        for number, task in enumerate(TASKS, start=1)
    ]
    tasks = "| # | task | project | what it asks |\n| --- | --- | --- | --- |\n" + "\n".join(rows)
    order = {task.name: position for position, task in enumerate(TASKS)}
    stub_rows = [
        f"| `{stub.task}` | `{stub.file}` | `{stub.function}` | {stub.lines} |"
        for stub in sorted(stubs, key=lambda stub: (order.get(stub.task, len(order)), stub.file, stub.line))
    ]
    table = "| task | file | write | lines in the solution |\n| --- | --- | --- | ---: |\n" + "\n".join(stub_rows)
    return GUIDE_TEMPLATE.read_text().replace("{tasks}", tasks).replace("{stubs}", table)


def generated_digests(exercises: Path) -> dict[str, str]:
    """The digests recorded in ``exercises/SOURCE_DIGEST`` when its files were generated."""
    path = exercises / DIGEST_FILE
    if not path.is_file():
        return {}
    recorded = {}
    for line in path.read_text().splitlines():
        value, _, name = line.partition("  ")
        if name:
            recorded[name] = value
    return recorded


def compare(exercises: Path = EXERCISES, reference: Path = REFERENCE) -> tuple[list[str], list[str]]:
    """Return the files of ``exercises/`` that are outdated or missing, and those that are extra."""
    expected = expected_exercises(reference)
    present = (
        {path.relative_to(exercises).as_posix() for path in exercises.rglob("*") if mirrored(path, exercises)}
        if exercises.is_dir()
        else set()
    )
    outdated = [
        name for name, text in expected.items() if name not in present or (exercises / name).read_text() != text
    ]
    return sorted(outdated), sorted(present - expected.keys())


def build(exercises: Path = EXERCISES, reference: Path = REFERENCE, force: bool = False) -> list[str]:
    """Rewrite ``exercises/`` from ``reference/``; return the files written or removed.

    Raises:
        EditedError: a file to rewrite was edited since it was generated (unless ``force``).
    """
    outdated, extra = compare(exercises, reference)
    expected = expected_exercises(reference)
    recorded = generated_digests(exercises)
    edited = [
        name
        for name in [*outdated, *extra]
        if name != DIGEST_FILE
        and (exercises / name).is_file()
        and recorded.get(name) != digest((exercises / name).read_text())
    ]
    if edited and not force:
        raise EditedError(
            f"these files of {exercises} were edited since they were generated, and rewriting them would lose "
            f"that work: {', '.join(edited)}. Copy your work elsewhere (python -m autograder start DIR makes a "
            f"copy to work in), then run build-exercises --force."
        )
    for name in outdated:
        path = exercises / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(expected[name])
    for name in extra:
        (exercises / name).unlink()
    return outdated + extra


def start(folder: Path, exercises: Path = EXERCISES) -> Path:
    """Copy the exercises into ``folder`` (which must not exist), for a student to work in.

    Raises:
        StartError: ``folder`` exists already.
    """
    folder = folder.expanduser().resolve()
    if folder.exists():
        raise StartError(f"{folder} exists already: choose a new folder, so that nothing of yours is overwritten")
    shutil.copytree(exercises, folder, ignore=shutil.ignore_patterns(*SKIPPED_FOLDERS, DIGEST_FILE))
    return folder
