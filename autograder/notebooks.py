"""Generate the nbgrader source notebooks, ``course/source/<project>/<project>.ipynb``.

A notebook is written from its outline, ``notebook_outlines/<project>.md``: teaching
text in Markdown, with directives on lines of their own that insert generated cells.

- ``<!-- imports -->``: a read-only cell with the imports of every inserted module.
- ``<!-- module: NAME -->``: ``reference/<project>/NAME.py``: its docstring as Markdown,
  then one code cell per top-level class or function (and one per run of other
  statements between them). A cell holding a solution region is an nbgrader solution
  cell, whose regions ``nbgrader generate_assignment`` turns into the stubs of the
  ``.py`` exercises (``named_stubs.py``); the others are read-only. Relative imports
  of inserted modules are dropped (their names live in the notebook); those of other
  modules import from ``exercises.<project>``, the students' package. Every module
  with solution regions must be inserted.
- ``<!-- grading -->``: a read-only cell that imports ``autograder.kernel.check`` and
  defines ``solution()``, the notebook's names as the namespace the checks take.
- ``<!-- tests: TASK -->``: one autograded test cell per check of the task in the
  manifest, worth the check's points, running that check on ``solution()`` in the
  kernel (``autograder/kernel.py``). Every task of the project appears once, in the
  manifest's order.

A fenced block opened by ```` ```python ```` becomes a code cell the student may edit;
one opened by ```` ```python locked ID ```` a read-only cell with the nbgrader id ``ID``.

The notebooks are built with nbformat's API and validated when written; the output is
deterministic: no outputs or execution counts, cell ids derived from nbgrader ids or
positions.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import v4

from .exercises import BEGIN, stubs_of
from .manifest import CHECKS, TASKS, Task, fill_constants

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "reference"
AUTOGRADER = ROOT / "autograder"
OUTLINES = Path(__file__).with_name("notebook_outlines")
SOURCE = ROOT / "course" / "source"
PROJECTS = ("pairs", "framework")
STUDENT_PACKAGE = "exercises"
DIRECTIVE = re.compile(r"<!--\s*(\S+?)(?::\s*(\S+))?\s*-->")
FENCE = re.compile(r"```python(?:\s+locked\s+([A-Za-z0-9_-]+))?")
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
GRADING = '''import types

from autograder.kernel import check


def solution() -> types.SimpleNamespace:
    """This notebook's classes, functions and data: the namespace the autograder's checks take."""
    return types.SimpleNamespace(**globals())'''


class OutlineError(ValueError):
    """An outline, or a file it draws on, that cannot make a notebook: the message says where."""


@dataclass(frozen=True)
class Cell:
    """A notebook cell; ``grade_id`` marks an nbgrader cell, whose role ``kind`` gives."""

    cell_type: str  # "markdown" or "code"
    source: str
    kind: str = "plain"  # "plain", "locked", "solution" or "test"
    grade_id: str | None = None
    points: float = 0


@dataclass(frozen=True)
class Chunk:
    """A piece of a reference module: a top-level class or function, or what lies between them."""

    name: str | None  # the class or function it defines
    text: str


@dataclass(frozen=True)
class Module:
    """A reference module split for a notebook."""

    name: str
    docstring: str
    imports: list[ast.stmt]
    chunks: list[Chunk]


# Outlines ---------------------------------------------------------------------------------------


def parse_outline(text: str, name: str) -> list[tuple[str, str]]:
    """Split an outline into items ``(kind, text)``.

    Kinds: ``markdown`` and ``code`` (their text), ``locked:ID`` (the code), and the
    directives ``imports``, ``grading`` (empty text), ``module`` and ``tests`` (the name).
    """
    items: list[tuple[str, str]] = []
    lines = text.splitlines()
    paragraph: list[str] = []

    def flush() -> None:
        if "".join(paragraph).strip():
            items.append(("markdown", "\n".join(paragraph).strip("\n")))
        paragraph.clear()

    number = 0
    while number < len(lines):
        line = lines[number].strip()
        where = f"{name}:{number + 1}"
        directive, fence = DIRECTIVE.fullmatch(line), FENCE.fullmatch(line)
        if directive:
            flush()
            items.append(parse_directive(directive[1], directive[2], where))
        elif fence:
            flush()
            end = next((i for i in range(number + 1, len(lines)) if lines[i].strip() == "```"), None)
            if end is None:
                raise OutlineError(f"{where}: code block never closed by ```")
            items.append((f"locked:{fence[1]}" if fence[1] else "code", "\n".join(lines[number + 1 : end])))
            number = end
        elif line.startswith("```"):
            raise OutlineError(f"{where}: a code block must open with ```python or ```python locked ID")
        else:
            paragraph.append(lines[number])
        number += 1
    flush()
    return items


def parse_directive(kind: str, argument: str | None, where: str) -> tuple[str, str]:
    """Check one directive: ``imports`` and ``grading`` take no name, ``module`` and ``tests`` one."""
    if kind in ("imports", "grading") and argument is None:
        return kind, ""
    if kind in ("module", "tests") and argument:
        return kind, argument
    raise OutlineError(
        f"{where}: unknown directive <!-- {kind}{':' if argument else ''} {argument or ''} -->; write "
        f"<!-- imports -->, <!-- grading -->, <!-- module: NAME --> or <!-- tests: TASK -->"
    )


def markdown(docstring: str) -> str:
    """Turn reStructuredText markup of a docstring into Markdown: ``code``, :math:`x`."""
    text = re.sub(r":math:`([^`]+)`", r"$\1$", docstring)
    return re.sub(r"``([^`]+)``", r"`\1`", text)


# Reference modules ------------------------------------------------------------------------------


def split_module(source: str, name: str) -> Module:
    """Split a module's source into its docstring, its imports and its chunks.

    A class or function takes the comment lines right above it and its decorators.
    """
    tree = ast.parse(source, name)
    lines = source.splitlines()
    body = list(tree.body)
    docstring = ast.get_docstring(tree) or ""
    skipped = set()
    if docstring:
        skipped |= set(range(body[0].lineno, body[0].end_lineno + 1))
        body = body[1:]
    imports = [node for node in body if isinstance(node, ast.Import | ast.ImportFrom)]
    for node in imports:
        skipped |= set(range(node.lineno, node.end_lineno + 1))
    chunks, cursor = [], 1

    def between(first: int, last: int) -> None:
        text = "\n".join(lines[n - 1] for n in range(first, last + 1) if n not in skipped).strip("\n")
        if text.strip():
            chunks.append(Chunk(None, text))

    for node in body:
        if not isinstance(node, ast.FunctionDef | ast.ClassDef):
            continue
        start = min([node.lineno] + [decorator.lineno for decorator in node.decorator_list])
        while start - 1 > cursor and lines[start - 2].lstrip().startswith("#"):
            start -= 1
        end = node.end_lineno  # its last statement; indented comments after it (### END SOLUTION) belong to it
        for number in range(end + 1, len(lines) + 1):
            line = lines[number - 1]
            if line.strip() and not (line[0].isspace() and line.lstrip().startswith("#")):
                break
            end = number if line.strip() else end
        between(cursor, start - 1)
        chunks.append(Chunk(node.name, "\n".join(lines[start - 1 : end])))
        cursor = end + 1
    between(cursor, len(lines))
    return Module(Path(name).stem, docstring, imports, chunks)


def load_module(project: str, name: str) -> Module:
    """Read and split ``reference/<project>/<name>.py``, checking its solution markers."""
    path = REFERENCE / project / f"{name}.py"
    if not path.is_file():
        raise OutlineError(f"reference/{project}/{name}.py does not exist")
    label = f"reference/{project}/{name}.py"
    source = path.read_text()
    stubs_of(source, label)
    module = split_module(source, label)
    for chunk in module.chunks:
        if chunk.name is None and has_solution(chunk.text):
            raise OutlineError(f"{label}: a solution region outside any function or class")
    return module


def has_solution(text: str) -> bool:
    """Whether a text holds a solution region."""
    return any(line.strip() == BEGIN for line in text.splitlines())


def notebook_import(node: ast.stmt, project: str, inserted: set[str], where: str) -> ast.stmt | None:
    """The import a notebook needs for ``node``, or None when the notebook defines the names."""
    if isinstance(node, ast.ImportFrom) and node.level:
        if node.level != 1 or node.module is None:
            raise OutlineError(f"{where}:{node.lineno}: only 'from .module import name' can be rewritten")
        if node.module in inserted:
            return None
        if not (REFERENCE / project / f"{node.module}.py").is_file():
            raise OutlineError(f"{where}:{node.lineno}: reference/{project}/{node.module}.py does not exist")
        return ast.ImportFrom(f"{STUDENT_PACKAGE}.{project}.{node.module}", node.names, 0)
    return node


def module_cells(module: Module, project: str) -> list[Cell]:
    """The cells of an inserted module: its docstring, then its chunks."""
    cells = [Cell("markdown", f"`{project}/{module.name}.py`: {markdown(module.docstring)}")]
    parts = 0
    for chunk in module.chunks:
        if chunk.name is None:
            parts += 1
        grade_id = f"{module.name}-{chunk.name or f'part{parts}'}"
        kind = "solution" if has_solution(chunk.text) else "locked"
        cells.append(Cell("code", chunk.text, kind, grade_id))
    return cells


def solution_cell_file(project: str, grade_id: str) -> str:
    """The reference file whose code a module's cell holds, from the cell's nbgrader id.

    ``solution_cell_file("framework", "linear-Linear")`` is ``reference/framework/linear.py``.
    """
    return f"reference/{project}/{grade_id.partition('-')[0]}.py"


# Tests ------------------------------------------------------------------------------------------


def task_test_cells(task: Task) -> list[Cell]:
    """A task's Markdown header and one autograded cell per check of the manifest."""
    checks = [check for check in CHECKS if check.task == task.name]
    total = sum(check.points for check in checks)
    cells = [Cell("markdown", f"**Tests of task `{task.name}`** ({total:g} points): {task.description}.")]
    for check in checks:
        source = f"# {check.description} ({check.points:g} point{'s' if check.points != 1 else ''})\n"
        source += f"message = check({check.name!r}, solution())\nassert message is None, message"
        cells.append(Cell("code", source, "test", grade_id(check.name), check.points))
    return cells


def grade_id(check: str) -> str:
    """The nbgrader id of a check's test cell: ``test-linear-forward`` for ``linear.forward``."""
    return "test-" + check.replace(".", "-").replace("_", "-")


# Notebooks --------------------------------------------------------------------------------------


def notebook_cells(project: str, outline: str, name: str) -> list[Cell]:
    """Expand an outline into the cells of a project's notebook.

    Raises:
        OutlineError: an unknown directive, a module or task inserted twice or not at
            all, tasks out of order, two modules defining one name, a cell id used
            twice, or a reference module that cannot be rewritten.
        MarkerError: unbalanced solution markers in a reference module.
    """
    items = parse_outline(outline, name)
    inserted = [argument for kind, argument in items if kind == "module"]
    modules = {module: load_module(project, module) for module in inserted}
    check_outline(project, items, modules, name)
    cells: list[Cell] = []
    for kind, argument in items:
        if kind == "markdown":
            cells.append(Cell("markdown", argument))
        elif kind == "code":
            cells.append(Cell("code", argument))
        elif kind.startswith("locked:"):
            cells.append(Cell("code", argument, "locked", kind.removeprefix("locked:")))
        elif kind == "imports":
            cells.append(Cell("code", imports_source(project, modules), "locked", "imports"))
        elif kind == "grading":
            cells.append(Cell("code", GRADING, "locked", "grading"))
        elif kind == "module":
            cells += module_cells(modules[argument], project)
        else:
            cells += task_test_cells(next(task for task in TASKS if task.name == argument))
    ids = [cell.grade_id for cell in cells if cell.grade_id]
    repeated = sorted({grade_id for grade_id in ids if ids.count(grade_id) > 1})
    if repeated:
        raise OutlineError(f"{name}: nbgrader cell ids used twice: {', '.join(repeated)} (rename the cells or tests)")
    return merge_markdown(cells)


def merge_markdown(cells: list[Cell]) -> list[Cell]:
    """Join consecutive Markdown cells (outline text and a module's docstring) into one."""
    merged: list[Cell] = []
    for cell in cells:
        if merged and cell.cell_type == merged[-1].cell_type == "markdown":
            merged[-1] = Cell("markdown", f"{merged[-1].source}\n\n{cell.source}")
        else:
            merged.append(cell)
    return merged


def check_outline(project: str, items: list[tuple[str, str]], modules: dict[str, Module], name: str) -> None:
    """Check the directives of an outline against the reference and the task list."""
    for directive in ("imports", "grading"):
        if [kind for kind, _ in items].count(directive) != 1:
            raise OutlineError(f"{name}: <!-- {directive} --> must appear exactly once")
    inserted = [argument for kind, argument in items if kind == "module"]
    repeated = sorted({module for module in inserted if inserted.count(module) > 1})
    if repeated:
        raise OutlineError(f"{name}: modules inserted more than once: {', '.join(repeated)}")
    missing = sorted(
        path.stem
        for path in (REFERENCE / project).glob("*.py")
        if path.stem not in modules and has_solution(path.read_text())
    )
    if missing:
        raise OutlineError(
            f"{name}: reference/{project} modules with solution regions not inserted: {', '.join(missing)} "
            f"(add <!-- module: NAME -->)"
        )
    owners: dict[str, str] = {}
    for module in modules.values():
        for chunk in module.chunks:
            if chunk.name in owners:
                raise OutlineError(
                    f"{name}: {chunk.name} is defined by both {owners[chunk.name]}.py and {module.name}.py, "
                    f"but a notebook has one namespace"
                )
            if chunk.name:
                owners[chunk.name] = module.name
    wanted = [task.name for task in TASKS if task.project == project]
    listed = [argument for kind, argument in items if kind == "tests"]
    if listed != wanted:
        raise OutlineError(
            f"{name}: the tests directives must name the tasks of {project} once each, in this order: "
            f"{', '.join(wanted)} (found: {', '.join(listed) or 'none'})"
        )


def imports_source(project: str, modules: dict[str, Module]) -> str:
    """The imports cell: inline plots, then every inserted module's imports, merged and sorted."""
    plain: set[str] = set()
    names: dict[str, dict[str, None]] = {}  # module -> the names imported from it, in order
    for module in modules.values():
        for node in module.imports:
            rewritten = notebook_import(node, project, set(modules), f"reference/{project}/{module.name}.py")
            if isinstance(rewritten, ast.Import):
                plain.add(ast.unparse(rewritten))
            elif rewritten:
                names.setdefault(rewritten.module, {}).update(dict.fromkeys(map(ast.unparse, rewritten.names)))
    sections: dict[int, list[str]] = {}
    for line in sorted(plain):
        sections.setdefault(import_section(line.split()[1]), []).append(line)
    for name, imported in sorted(names.items()):
        sections.setdefault(import_section(name), []).append(f"from {name} import {', '.join(sorted(imported))}")
    sections.setdefault(0, []).append("%matplotlib inline")  # after __future__, which must come first
    return "\n\n".join("\n".join(sections[key]) for key in sorted(sections))


def import_section(module: str) -> int:
    """isort's sections: 0 __future__, 1 standard library, 2 third party, 3 the students' package."""
    top = module.split(".")[0]
    if top == "__future__":
        return 0
    if top in sys.stdlib_module_names:
        return 1
    return 3 if top == STUDENT_PACKAGE else 2


def notebook_text(cells: list[Cell]) -> str:
    """The notebook's file content: nbformat's cells and nbgrader's metadata (schema 3), validated."""
    notebook = v4.new_notebook(metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    for position, cell in enumerate(cells):
        metadata = {}
        if cell.grade_id:
            metadata["nbgrader"] = {
                "grade": cell.kind == "test",
                "grade_id": cell.grade_id,
                "locked": cell.kind in ("locked", "test"),
                "schema_version": 3,
                "solution": cell.kind == "solution",
                "task": False,
            }
            if cell.kind == "test":
                metadata["nbgrader"]["points"] = cell.points
        make = v4.new_markdown_cell if cell.cell_type == "markdown" else v4.new_code_cell
        notebook.cells.append(make(cell.source, metadata=metadata, id=cell.grade_id or f"cell-{position:03d}"))
    nbformat.validate(notebook)
    return nbformat.writes(notebook) + "\n"


def expected_notebooks() -> dict[str, str]:
    """Return what ``course/source/`` must hold: relative path -> notebook text."""
    notebooks = {}
    for project in PROJECTS:
        outline, label = OUTLINES / f"{project}.md", f"autograder/notebook_outlines/{project}.md"
        if not outline.is_file():
            raise OutlineError(f"{label} is missing: every project has an outline")
        cells = notebook_cells(project, fill_constants(outline.read_text()), label)
        notebooks[f"{project}/{project}.ipynb"] = notebook_text(cells)
    return notebooks


def stale_notebooks(expected: dict[str, str], source: Path) -> list[str]:
    """The notebooks of ``expected`` that are missing from ``source`` or differ there."""
    return sorted(
        name for name, text in expected.items() if not (source / name).is_file() or (source / name).read_text() != text
    )


def compare(source: Path = SOURCE) -> list[str]:
    """Return the notebooks of ``source`` that are missing or differ from what the outlines give."""
    return stale_notebooks(expected_notebooks(), source)


def build(source: Path = SOURCE) -> list[str]:
    """Write the notebooks that are missing or out of date; return their paths under ``source``."""
    expected = expected_notebooks()
    stale = stale_notebooks(expected, source)
    for name in stale:
        path = source / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(expected[name])
    return stale
