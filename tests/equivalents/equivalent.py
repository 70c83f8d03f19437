"""A correct solution written otherwise than the reference: the autograder must give it every point.

An equivalent is a copy of ``reference/`` with some of its code replaced by code written by
hand against the contract (the student guide and the docstrings), the way students write
it. A change is written whole, never as an edit of the reference's current lines, so that
it survives a rewrite of the reference:

- ``Function``: a function or method, named ``name`` or ``Class.name``, replaced by ``source``;
- ``Assignment``: a top-level assignment (the table ``MODELS``), named by its target, replaced by ``source``;
- ``File``: a whole file replaced by ``source``;
- ``Statement``: a top-level statement (an import, a call) added after the file's imports.

Which checks an equivalent answers for follows from the files it changes: every check
whose files (``manifest.files_of``) import a changed file, directly or not.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path
from typing import NamedTuple

from grading import ROOT, copy_reference

from autograder import manifest
from autograder.judge.scan import scan_project

PROJECTS = ("framework", "pairs")


class Function(NamedTuple):
    """Replace the function or method ``name`` (``"Linear.forward"``) of ``file`` by ``source``."""

    file: str
    name: str
    source: str


class Assignment(NamedTuple):
    """Replace the top-level assignment to ``name`` (``MODELS = ...``) in ``file`` by ``source``."""

    file: str
    name: str
    source: str


class File(NamedTuple):
    """Replace the whole of ``file`` by ``source``."""

    file: str
    source: str


class Statement(NamedTuple):
    """Add the top-level ``source`` to ``file``, after its last top-level import."""

    file: str
    source: str


Change = Function | Assignment | File | Statement


class Loses(NamedTuple):
    """The one check a solution that deviates from one docstring loses, and the words that name its variant."""

    check: str
    named: str


class Equivalent(NamedTuple):
    """A correct solution: its name, how it differs from the reference, its changes.

    ``loses`` is set for a solution that deviates from one docstring the way students do
    (the course's contract allows it, the kit's does not): it must lose that one check,
    whose message names the variant, and keep every other point. ``xfail`` is the reason
    the autograder takes points from it, for as long as that bug is open: its test is
    then a strict xfail.
    """

    name: str
    differs: str
    changes: tuple[Change, ...]
    xfail: str = ""
    loses: Loses | None = None


def source_of(text: str) -> str:
    """``text`` without its common indentation or surrounding blank lines, ending in a newline."""
    return textwrap.dedent(text).strip("\n") + "\n"


def definition(tree: ast.Module, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef:
    """The function ``name`` (``"f"`` or ``"Class.f"``) among the top-level definitions of ``tree``."""
    scope: list[ast.stmt] = tree.body
    *classes, function = name.split(".")
    for class_name in classes:
        found = [node for node in scope if isinstance(node, ast.ClassDef) and node.name == class_name]
        assert found, f"no class {class_name} in the reference: the equivalent must follow its rewrite"
        scope = found[0].body
    found = [node for node in scope if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
    found = [node for node in found if node.name == function]
    assert found, f"no function {name} in the reference: the equivalent must follow its rewrite"
    return found[0]


def targets_of(node: ast.Assign | ast.AnnAssign) -> list[ast.expr]:
    """What an assignment assigns to."""
    return node.targets if isinstance(node, ast.Assign) else [node.target]


def assignment(tree: ast.Module, name: str) -> ast.Assign | ast.AnnAssign:
    """The top-level assignment to ``name`` in ``tree``."""
    assigned = (node for node in tree.body if isinstance(node, ast.Assign | ast.AnnAssign))
    found = [node for node in assigned if name in {getattr(target, "id", None) for target in targets_of(node)}]
    assert found, f"no assignment to {name} in the reference: the equivalent must follow its rewrite"
    return found[0]


def replace_assignment(text: str, name: str, source: str) -> str:
    """``text`` with the top-level assignment to ``name`` replaced by ``source``."""
    node = assignment(ast.parse(text), name)
    lines = text.splitlines(keepends=True)
    return "".join(lines[: node.lineno - 1]) + source_of(source) + "".join(lines[node.end_lineno :])


def replace_function(text: str, name: str, source: str) -> str:
    """``text`` with the definition of ``name`` (decorators included) replaced by ``source``."""
    node = definition(ast.parse(text), name)
    first = (node.decorator_list[0] if node.decorator_list else node).lineno
    lines = text.splitlines(keepends=True)
    new = textwrap.indent(source_of(source), " " * node.col_offset)
    return "".join(lines[: first - 1]) + new + "".join(lines[node.end_lineno :])


def add_statement(text: str, source: str) -> str:
    """``text`` with ``source`` inserted after its last top-level import."""
    imports = [node for node in ast.parse(text).body if isinstance(node, ast.Import | ast.ImportFrom)]
    assert imports, "the file has no top-level import to put the statement after"
    lines = text.splitlines(keepends=True)
    end = imports[-1].end_lineno
    return "".join(lines[:end]) + source_of(source) + "".join(lines[end:])


def apply(changes: tuple[Change, ...], solution: Path) -> None:
    """Make ``changes`` in ``solution``, a copy of the reference."""
    for change in changes:
        path = solution / change.file
        if isinstance(change, File):
            path.write_text(source_of(change.source))
        elif isinstance(change, Function):
            path.write_text(replace_function(path.read_text(), change.name, change.source))
        elif isinstance(change, Assignment):
            path.write_text(replace_assignment(path.read_text(), change.name, change.source))
        else:
            path.write_text(add_statement(path.read_text(), change.source))
        ast.parse(path.read_text(), str(path))  # a change that does not parse is the test's own mistake


def build(equivalent: Equivalent, destination: Path) -> Path:
    """A copy of the reference at ``destination`` with the equivalent's changes made."""
    copy_reference(destination)
    apply(equivalent.changes, destination)
    return destination


def changed_files(solution: Path) -> set[str]:
    """The files (``"framework/linear.py"``) whose text differs from the reference's."""
    changed = set()
    for path in solution.rglob("*.py"):
        relative = path.relative_to(solution).as_posix()
        original = ROOT / "reference" / relative
        if not original.is_file() or original.read_text() != path.read_text():
            changed.add(relative)
    return changed


def checks_importing(solution: Path, files: set[str]) -> set[str]:
    """The names of the manifest's checks whose files import one of ``files``, directly or not."""
    scans = {project: scan_project(solution / project, project) for project in PROJECTS}
    names = set()
    for check in manifest.CHECKS:
        project = manifest.TASKS_BY_NAME[check.task].project
        closure = scans[project].closure(manifest.files_of(check))
        if any(f"{project}/{file}" in files for file in closure):
            names.add(check.name)
    return names


def without_docstring(node: ast.AST) -> str:
    """The syntax tree of a definition or module as text, its docstrings left out."""
    for part in ast.walk(node):
        body = getattr(part, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                part.body = body[1:] or [ast.Pass()]
    return ast.dump(node)


def unchanged_code(change: Change) -> str | None:
    """Why ``change`` is no change to the reference's code (docstrings aside), or None when it is one."""
    original = (ROOT / "reference" / change.file).read_text()
    if isinstance(change, Statement):
        statements = {ast.dump(node) for node in ast.parse(original).body}
        new = ast.parse(source_of(change.source)).body
        return "every statement is in the reference already" if all(ast.dump(s) in statements for s in new) else None
    if isinstance(change, File):
        same = without_docstring(ast.parse(original)) == without_docstring(ast.parse(source_of(change.source)))
        return "the file's code is the reference's" if same else None
    if isinstance(change, Assignment):
        old = assignment(ast.parse(original), change.name)
        new = ast.parse(source_of(change.source)).body[0]
        return f"{change.name} is the reference's" if ast.dump(old) == ast.dump(new) else None
    old = definition(ast.parse(original), change.name)
    new = ast.parse(source_of(change.source)).body[0]
    return f"{change.name} is the reference's" if without_docstring(old) == without_docstring(new) else None
