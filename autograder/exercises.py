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
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from .manifest import TASKS, declared_checks, fill_constants, stub_task

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "reference"
EXERCISES = ROOT / "exercises"
GUIDE_TEMPLATE = Path(__file__).with_name("student_guide.md")
BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB_COMMENT = "# YOUR CODE HERE"
SKIPPED_FOLDERS = ("__pycache__", ".ipynb_checkpoints")
DIGEST_FILE = "SOURCE_DIGEST"
GUIDE = "README.md"
HIDDEN_MARK = " (hidden: graded, its result shown after the due date)"  # a hidden check's row in the guide
BASE_FILE = ".course-base.json"  # in a student's copy: what start (or the last update) gave
UPDATE_FOLDER = ".course-update"  # in a student's copy: the course's version of each file in conflict
NO_BASE_ASSUMPTION = (
    f"this copy has no {BASE_FILE} (it was made before updates existed): a definition that still raises its "
    "stub's NotImplementedError is taken as untouched by you, and every other one as yours, which the course "
    "did not change"
)
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
    """The student guide: the template with the tables of tasks, stubs and checks filled in."""
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
    checks = "| check | points | what it checks |\n| --- | ---: | --- |\n" + "\n".join(
        f"| `{check.name}` | {check.points:g} | {check.description}{HIDDEN_MARK if check.hidden else ''} |"
        for check in declared_checks()
    )
    guide = fill_constants(GUIDE_TEMPLATE.read_text()).replace("{tasks}", tasks).replace("{stubs}", table)
    total = sum(check.points for check in declared_checks())
    return guide.replace("{checks}", f"{checks}\n\nIn all, {total:g} points.")


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
    """Copy the exercises into ``folder`` (which must not exist), for a student to work in, and record
    what was given in ``folder/.course-base.json``, for ``update``.

    Raises:
        StartError: ``folder`` exists already.
    """
    folder = folder.expanduser().resolve()
    if folder.exists():
        raise StartError(f"{folder} exists already: choose a new folder, so that nothing of yours is overwritten")
    shutil.copytree(exercises, folder, ignore=shutil.ignore_patterns(*SKIPPED_FOLDERS, DIGEST_FILE))
    write_atomically(folder / BASE_FILE, json.dumps({"files": course_files(exercises)}, indent=1) + "\n")
    return folder


# Updating a student's copy ----------------------------------------------------------------------


class Conflict(NamedTuple):
    """A definition both the student and the course changed: the course's file is written to ``beside``."""

    file: str
    name: str
    beside: str


@dataclass
class Update:
    """What ``update`` did to a copy: ``file`` or ``file: definition`` per change, and the conflicts."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    assumed: str = ""  # the assumption made for a copy without a base record, if any

    def summary(self) -> str:
        """The update told to the student: added, updated, kept, then the conflicts and what to do."""
        lines = [self.assumed] if self.assumed else []
        for label, items in (("added", self.added), ("updated", self.updated), ("kept yours", self.kept)):
            lines += [f"{label} ({len(items)}):", *(f"  {item}" for item in items)]
        if self.conflicts:
            lines.append(f"conflicts ({len(self.conflicts)}): changed by you and by the course; yours is kept:")
            lines += [f"  {c.file}: {c.name} (the course's version: {c.beside})" for c in self.conflicts]
            lines.append("Compare each with the course's version and merge the course's change into yours by hand.")
        else:
            lines.append("no conflicts")
        return "\n".join(lines)


def course_files(exercises: Path = EXERCISES) -> dict[str, str]:
    """The files the course gives a student: relative path -> text (``SOURCE_DIGEST`` is not given)."""
    return {
        path.relative_to(exercises).as_posix(): path.read_text()
        for path in sorted(exercises.rglob("*"))
        if mirrored(path, exercises) and path.relative_to(exercises).as_posix() != DIGEST_FILE
    }


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed over it: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", delete=False) as file:
        file.write(text)
    os.replace(file.name, path)


def pieces(source: str) -> dict[str, str] | None:
    """Split a module into named pieces that cover it line by line, in order (None if it does not parse).

    A top-level function is one piece (``train``); a class is its header (``Linear``: up to its
    first method) and one piece per method (``Linear.forward``); each run of other top-level
    statements is one piece (``<statements 1>``). A piece starts right after the one before it,
    so it holds the blank lines, comments and decorators above its definition.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    lines = source.splitlines(keepends=True)
    ends: list[tuple[str, int]] = []  # (name, last line)
    runs = 0
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            methods = [item for item in node.body if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)]
            starts = [min([item.lineno] + [d.lineno for d in item.decorator_list]) for item in methods]
            ends.append((node.name, starts[0] - 1 if methods else node.end_lineno))
            ends += [(f"{node.name}.{item.name}", end - 1) for item, end in zip(methods, starts[1:], strict=False)]
            ends += [(f"{node.name}.{methods[-1].name}", node.end_lineno)] if methods else []
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            ends.append((node.name, node.end_lineno))
        elif ends and ends[-1][0] == f"<statements {runs}>":
            ends[-1] = (ends[-1][0], node.end_lineno)
        else:
            runs += 1
            ends.append((f"<statements {runs}>", node.end_lineno))
    if ends:
        ends[-1] = (ends[-1][0], len(lines))
    named: dict[str, str] = {}
    seen: dict[str, int] = {}
    start = 0
    for name, end in ends:  # a name defined twice (a property's setter) is told apart by its rank
        seen[name] = seen.get(name, 0) + 1
        named[name if seen[name] == 1 else f"{name} ({seen[name]})"] = "".join(lines[start:end])
        start = end
    return named


def is_untouched_stub(piece: str) -> bool:
    """Whether a piece still raises a stub's ``NotImplementedError("task ...")``."""
    return any(line.strip().startswith('raise NotImplementedError("task ') for line in piece.splitlines())


def merge_pieces(
    base: dict[str, str], mine: dict[str, str], course: dict[str, str], file: str, update: Update
) -> tuple[str, list[str]]:
    """Merge a module piece by piece; return its text and the pieces in conflict (the student's kept).

    Student unchanged: the course's; course unchanged: the student's; both: the student's, in conflict.
    The course's order, with the student's own pieces after those they followed.
    """
    merged: list[tuple[str, str]] = []
    conflicts = []
    for name, theirs in course.items():
        given, yours = base.get(name), mine.get(name)
        if yours is None and given is None:
            merged.append((name, theirs))
            update.added.append(f"{file}: {name}")
        elif yours is None:  # the student removed it
            conflicts += [name] if theirs != given else []
        elif yours in (given, theirs):
            merged.append((name, theirs))
            update.updated += [f"{file}: {name}"] if yours != theirs else []
        else:
            merged.append((name, yours))
            if theirs == given:
                update.kept.append(f"{file}: {name}")
            else:
                conflicts.append(name)
    previous = None
    for name, yours in mine.items():
        if name not in course and (name not in base or yours != base[name]):  # the student's own, or kept
            at = next((i + 1 for i, (key, _) in enumerate(merged) if key == previous), 0)
            merged.insert(at, (name, yours))
        previous = name if any(key == name for key, _ in merged) else previous
    return "".join(text for _, text in merged), conflicts


def merge_file(base: str | None, mine: str, course: str, file: str, update: Update) -> tuple[str, list[str]]:
    """Merge one file of a student's copy; return its new text and the names in conflict."""
    if mine == course:
        return mine, []
    if course == base:
        update.kept.append(file)
        return mine, []
    if mine == base:
        update.updated.append(file)
        return course, []
    parts = [pieces(text) for text in (mine, course)]
    if not file.endswith(".py") or None in parts:
        return mine, ["<the whole file>"]  # not Python, or the student's file does not parse
    mine_pieces, course_pieces = parts
    if base is None:  # a copy made without a base record: a piece still stubbed is the course's as given
        given = {
            name: text if is_untouched_stub(text) else course_pieces.get(name, text)
            for name, text in mine_pieces.items()
        }
    else:
        given = pieces(base) or {}
    merged = Update()
    text, conflicts = merge_pieces(given, mine_pieces, course_pieces, file, merged)
    if pieces(text) is None:
        return mine, ["<the whole file>"]
    update.added += merged.added
    update.updated += merged.updated
    update.kept += merged.kept
    return text, conflicts


def update(folder: Path, exercises: Path = EXERCISES) -> Update:
    """Bring the course's new and changed stubs and guide into a student's copy made by ``start``.

    Per definition, base (what ``start`` gave, in ``.course-base.json``) against the student's
    and the course's: what only the course changed is taken, what only the student changed is
    kept, and what both changed is kept and reported, the course's file written to
    ``.course-update/``. New files and definitions are added, the guide (README.md) replaced,
    the base record renewed. Every file is written atomically.

    Raises:
        StartError: ``folder`` is not a copy of the exercises.
    """
    folder = folder.expanduser().resolve()
    if not (folder / "__init__.py").is_file():
        raise StartError(f"{folder} is not a copy of the exercises: give the folder python -m autograder start made")
    record = folder / BASE_FILE
    base = json.loads(record.read_text())["files"] if record.is_file() else None
    result = Update(assumed="" if base is not None else NO_BASE_ASSUMPTION)
    shutil.rmtree(folder / UPDATE_FOLDER, ignore_errors=True)
    course = course_files(exercises)
    for name, theirs in course.items():
        path = folder / name
        if not path.is_file() or (name == GUIDE and path.read_text() != theirs):
            (result.updated if path.is_file() else result.added).append(name)
            write_atomically(path, theirs)
        if name == GUIDE or path.read_text() == theirs:
            continue
        text, conflicts = merge_file(None if base is None else base.get(name), path.read_text(), theirs, name, result)
        if text != path.read_text():
            write_atomically(path, text)
        if conflicts:
            write_atomically(folder / UPDATE_FOLDER / name, theirs)
            result.conflicts += [Conflict(name, conflict, f"{UPDATE_FOLDER}/{name}") for conflict in conflicts]
    write_atomically(record, json.dumps({"files": course}, indent=1) + "\n")
    return result
