"""Generate ``worker/reference_parts.py``: the reference's own definitions that the trusted parts wrap.

The worker cannot see ``reference/``, so the definitions that ``worker/trusted.py`` builds
on are copied out of it: the functions and classes that ``PARTS`` names (``Class.method``
for some methods of a class), each with its solution and the scaffold's comments, less
its docstring and its solution markers, under the imports it uses. A name that a copied
definition reads from its file must be copied too: the generator says which is missing.
``python -m autograder build-exercises`` writes the file with the exercises, and its
``--check`` says when it is stale.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from .exercises import REFERENCE, ROOT, stubs_of

GENERATED = Path(__file__).resolve().parent / "worker" / "reference_parts.py"
GENERATED_NAME = GENERATED.relative_to(ROOT).as_posix()  # as the kit's messages name it
PARTS = {
    "framework/module.py": ("Module", "check_positive_integer"),
    "framework/linear.py": ("Linear",),
    "framework/activations.py": ("Tanh",),
    "framework/loss.py": ("MSELoss",),
    "framework/optim.py": ("SGD",),
    "pairs/models.py": (
        "PairOutput",
        "conv_block",
        "comparison_from_digits",
        "PerImage.shared",
        "PerImage.forward",
        "PairModel.run_stages",
        "PairModel.heads",
        "PairModel.loss",
    ),
}
HEADER = '''# Generated from reference/ by python -m autograder build-exercises: do not edit.
"""The reference's own definitions that the trusted parts (``trusted.py``) are built on.

Each is the reference's, its docstring left out and its solution markers removed: the
sandbox cannot see ``reference/``, and a trusted part must not drift from it.
"""
'''

Definition = ast.FunctionDef | ast.ClassDef


class PartsError(ValueError):
    """``PARTS`` names a definition the reference lacks, or leaves out one that a copied part needs."""


def skipped_lines(source: str, tree: ast.Module, name: str) -> set[int]:
    """The lines left out of a copy: solution markers, docstrings and the blank lines after them."""
    lines = source.splitlines()
    skipped = {number for stub in stubs_of(source, name) for number in (stub.line, stub.line + stub.lines + 1)}
    for node in ast.walk(tree):
        if isinstance(node, Definition) and ast.get_docstring(node) is not None:
            first = node.body[0]
            end = first.end_lineno or first.lineno
            while end < len(lines) and not lines[end].strip():
                end += 1
            skipped.update(range(first.lineno, end + 1))
    return skipped


def start(node: ast.stmt) -> int:
    """The first line of ``node``, its decorators included."""
    return min([node.lineno, *(decorator.lineno for decorator in getattr(node, "decorator_list", []))])


def lines_of(node: ast.stmt, lines: list[str], skipped: set[int]) -> str:
    """The source of ``node``, its decorators included, less the lines ``skipped``."""
    numbers = range(start(node), (node.end_lineno or node.lineno) + 1)
    return "\n".join(lines[number - 1] for number in numbers if number not in skipped)


def find(body: list[ast.stmt], name: str, where: str) -> Definition:
    """The function or class ``name`` of ``body``.

    Raises:
        PartsError: there is none.
    """
    for node in body:
        if isinstance(node, Definition) and node.name == name:
            return node
    raise PartsError(f"{where} defines no {name}: update PARTS in {Path(__file__).name}")


def copied(source: str, tree: ast.Module, where: str, names: tuple[str, ...]) -> tuple[str, list[ast.AST]]:
    """The definitions ``names`` of the file ``where``, in the file's order, as text; and what they are made of.

    A class named alone is copied whole; ``Class.method`` copies the class statement
    with the methods so named only.
    """
    lines, skipped = source.splitlines(), skipped_lines(source, tree, where)
    methods: dict[str, list[str]] = {}
    for name in names:
        owner, _, method = name.rpartition(".")
        methods.setdefault(owner or method, []).extend([method] if owner else [])
    blocks: list[str] = []
    parts: list[ast.AST] = []
    for node in sorted((find(tree.body, name, where) for name in methods), key=start):
        if not methods[node.name]:
            blocks.append(lines_of(node, lines, skipped))
            parts.append(node)
            continue
        kept = sorted((find(node.body, method, where) for method in methods[node.name]), key=start)
        header = "\n".join(lines[number - 1] for number in range(start(node), start(node.body[0])))
        blocks.append(header + "\n" + "\n\n".join(lines_of(method, lines, skipped) for method in kept))
        parts += [*node.bases, *kept]
    return "\n\n\n".join(blocks), parts


def free_names(nodes: list[ast.AST]) -> set[str]:
    """The names ``nodes`` read that they do not bind themselves (their arguments and assignments)."""
    read, bound = set(), set()
    for node in nodes:
        for child in ast.walk(node):
            if isinstance(child, ast.Name):
                (read if isinstance(child.ctx, ast.Load) else bound).add(child.id)
            elif isinstance(child, ast.arg):
                bound.add(child.arg)
    return read - bound


def defined_names(tree: ast.Module) -> set[str]:
    """The names a file's own module-level statements define: functions, classes and assignments."""
    names = set()
    for node in tree.body:
        if isinstance(node, Definition):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(name.id for target in targets for name in ast.walk(target) if isinstance(name, ast.Name))
    return names


def imports_of(tree: ast.Module) -> dict[str, tuple[str, str, str | None, int]]:
    """The module-level imports of a file: bound name -> (module, name, alias, level)."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                found[alias.asname or alias.name.partition(".")[0]] = ("", alias.name, alias.asname, 0)
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            for alias in node.names:
                found[alias.asname or alias.name] = (node.module or "", alias.name, alias.asname, node.level)
    return found


def import_block(imports: set[tuple[str, str, str | None]]) -> str:
    """The import statements of ``imports`` (module, name, alias; no module for ``import name``), as isort
    writes them: the standard library's first, then the others; plain imports before ``from`` imports."""
    statements: dict[tuple[bool, bool, str], list[str]] = {}
    for module, name, alias in sorted(imports, key=lambda entry: (entry[0], entry[1])):
        named = name + (f" as {alias}" if alias else "")
        third_party = (module or name).partition(".")[0] not in sys.stdlib_module_names
        statements.setdefault((third_party, bool(module), module or named), []).append(named)
    sections: dict[bool, list[str]] = {}
    for (third_party, from_import, module), names in sorted(statements.items()):
        line = f"from {module} import {', '.join(names)}" if from_import else f"import {module}"
        sections.setdefault(third_party, []).append(line)
    return "from __future__ import annotations\n\n" + "\n\n".join("\n".join(lines) for lines in sections.values())


def reference_parts(reference: Path = REFERENCE) -> str:
    """The text of ``worker/reference_parts.py`` for the reference in ``reference``.

    Raises:
        PartsError: a part is missing from the reference, or needs a definition that
            ``PARTS`` does not copy.
    """
    copied_names = {name.partition(".")[0] for names in PARTS.values() for name in names}
    sections, imports = [], set()
    for file, names in PARTS.items():
        where, source = f"reference/{file}", (reference / file).read_text()
        tree = ast.parse(source, where)
        text, nodes = copied(source, tree, where, names)
        available = imports_of(tree)
        for name in sorted(free_names(nodes) - copied_names):
            if name in available and not available[name][3]:
                module, imported, alias, _ = available[name]
                imports.add((module, imported, alias))
            elif name in available or name in defined_names(tree):
                raise PartsError(f"the parts copied from {where} use {name}: add it to PARTS in {Path(__file__).name}")
        sections.append(f"# {where}\n\n\n{text}\n")
    return HEADER + "\n" + import_block(imports) + "\n\n" + "\n\n".join(sections)


def stale(generated: Path = GENERATED, reference: Path = REFERENCE) -> bool:
    """Whether ``generated`` is missing or differs from what ``reference`` gives."""
    return not generated.is_file() or generated.read_text() != reference_parts(reference)


def build(generated: Path = GENERATED, reference: Path = REFERENCE) -> bool:
    """Rewrite ``generated`` from ``reference`` if it is stale; return whether it was written."""
    if not stale(generated, reference):
        return False
    generated.write_text(reference_parts(reference))
    return True
