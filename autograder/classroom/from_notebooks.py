"""Map a student's notebook back to the package's files, so that the judge grades it like a folder.

The kit builds each project's notebook from its outline (``autograder/notebooks.py``):
every inserted module ``reference/<project>/NAME.py`` becomes one cell per top-level
class or function, and the cells holding a solution region are nbgrader solution cells
with the id ``NAME-CHUNK``. Rebuilding reverses that, for the solution cells only: each
module of the outline is the scaffold's file (``exercises/<project>/NAME.py``) with every
solution chunk replaced by the student's cell of the same id. Everything else (imports,
docstrings, locked cells, the other files of the package) comes from the scaffold, never
from the notebook, so a student who edits a locked cell changes nothing.

A solution cell sees the names of its module's file, as in the package: a name that
another module defines must be imported there, as the scaffold does.
"""

from __future__ import annotations

import functools
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..judge.submission import PROJECTS

EXERCISES = Path(__file__).resolve().parents[2] / "exercises"
MAX_NOTEBOOK_BYTES = 16 * 2**20


class NotebookError(ValueError):
    """A notebook that cannot be mapped back to the package's files: the message says why."""


@dataclass(frozen=True)
class SolutionChunk:
    """A solution cell's place in its module: its nbgrader id and the scaffold's text it replaces."""

    grade_id: str
    stub: str


@dataclass(frozen=True)
class ModuleMap:
    """One module of a project's notebook: the scaffold's text and its solution chunks, in order."""

    name: str
    scaffold: str
    chunks: tuple[SolutionChunk, ...]


@functools.cache
def project_maps() -> dict[str, tuple[ModuleMap, ...]]:
    """Each project's modules as its notebook inserts them, with the ids of their solution cells.

    Raises:
        NotebookError: the scaffold's chunks differ from the reference's (exercises/ is stale).
    """
    from .. import notebooks  # here, not above: it imports nbformat, which only notebook hand-ins need

    maps = {}
    for project in PROJECTS:
        outline = notebooks.OUTLINES / f"{project}.md"
        items = notebooks.parse_outline(outline.read_text(), outline.name)
        modules = []
        for kind, name in items:
            if kind != "module":
                continue
            reference = notebooks.load_module(project, name)
            scaffold_text = (EXERCISES / project / f"{name}.py").read_text()
            scaffold = notebooks.split_module(scaffold_text, f"exercises/{project}/{name}.py")
            if [chunk.name for chunk in scaffold.chunks] != [chunk.name for chunk in reference.chunks]:
                raise NotebookError(
                    f"exercises/{project}/{name}.py and reference/{project}/{name}.py define different classes "
                    f"and functions: run python -m autograder build-exercises"
                )
            chunks, parts = [], 0
            for ours, stub in zip(reference.chunks, scaffold.chunks, strict=True):
                parts += ours.name is None
                if notebooks.has_solution(ours.text):
                    chunks.append(SolutionChunk(f"{name}-{ours.name or f'part{parts}'}", stub.text))
            modules.append(ModuleMap(name, scaffold_text, tuple(chunks)))
        maps[project] = tuple(modules)
    return maps


def find_notebooks(folder: Path) -> list[Path]:
    """The notebooks of a hand-in folder: ``*.ipynb`` in it, or in its ``framework/`` and ``pairs/``."""
    found = [*folder.glob("*.ipynb"), *(path for project in PROJECTS for path in (folder / project).glob("*.ipynb"))]
    return sorted(path for path in found if path.is_file() and not path.is_symlink())


def solution_cells(path: Path) -> dict[str, str]:
    """A notebook's solution cells, ``grade_id -> source``.

    Raises:
        NotebookError: too large, not JSON, or not a notebook.
    """
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        raise NotebookError(f"{path.name} is larger than {MAX_NOTEBOOK_BYTES >> 20} MiB: clear its outputs")
    try:
        notebook = json.loads(path.read_bytes())
        cells = notebook["cells"]
    except (ValueError, KeyError, TypeError) as error:
        raise NotebookError(f"{path.name} is not a notebook that Jupyter can open ({error})") from None
    found = {}
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        metadata = cell.get("metadata", {})
        grader = metadata.get("nbgrader", {}) if isinstance(metadata, dict) else {}
        grade_id = grader.get("grade_id") if isinstance(grader, dict) else None
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if isinstance(grade_id, str) and isinstance(source, str):
            found.setdefault(grade_id, source)
    return found


def project_of(cells: dict[str, str], name: str) -> str:
    """The project whose solution cells a notebook holds (the most of them)."""
    counts = {
        project: sum(chunk.grade_id in cells for module in modules for chunk in module.chunks)
        for project, modules in project_maps().items()
    }
    project = max(counts, key=counts.get)
    if not counts[project]:
        raise NotebookError(
            f"{name} holds none of the solution cells of the course's notebooks (framework.ipynb, pairs.ipynb): "
            f"hand in the notebook you were given, with its cells"
        )
    return project


def module_source(module: ModuleMap, cells: dict[str, str]) -> tuple[str, list[str]]:
    """A module's file: the scaffold with each solution chunk replaced by its cell; the ids not found."""
    parts, cursor, missing = [], 0, []
    for chunk in module.chunks:
        start = module.scaffold.index(chunk.stub, cursor)
        parts.append(module.scaffold[cursor:start])
        if chunk.grade_id in cells:
            parts.append(cells[chunk.grade_id].rstrip("\n"))
        else:
            parts.append(chunk.stub)
            missing.append(chunk.grade_id)
        cursor = start + len(chunk.stub)
    parts.append(module.scaffold[cursor:])
    return "".join(parts), missing


def rebuild(paths: list[Path], target: Path) -> tuple[tuple[str, ...], list[str]]:
    """Write the package's files rebuilt from ``paths`` into ``target``; return its projects and notes.

    Raises:
        NotebookError: a notebook cannot be read, belongs to no project, or two belong to one.
    """
    by_project: dict[str, tuple[Path, dict[str, str]]] = {}
    for path in paths:
        cells = solution_cells(path)
        project = project_of(cells, path.name)
        if project in by_project:
            raise NotebookError(
                f"{by_project[project][0].name} and {path.name} are both the {project} notebook: hand in one"
            )
        by_project[project] = (path, cells)
    notes = []
    for project, (path, cells) in sorted(by_project.items()):
        folder = target / project
        shutil.copytree(EXERCISES / project, folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        written, missing = [], []
        for module in project_maps()[project]:
            source, absent = module_source(module, cells)
            (folder / f"{module.name}.py").write_text(source)
            if module.chunks:
                written.append(f"{project}/{module.name}.py")
            missing += absent
        note = f"graded from the notebook {path.name}: its solution cells make {', '.join(written)}"
        if missing:
            note += f"; cells not found, graded as the scaffold's stubs: {', '.join(missing)}"
        notes.append(note)
    return tuple(project for project in PROJECTS if project in by_project), notes
