"""Where a probe was when the judge stopped it: the innermost line of the submission in the stack
that the worker's child wrote (``faulthandler``'s text), named from the judge's own copy.

The text comes from the child, which runs the submission: it is read as untrusted, and only
a line of one of the copy's ``.py`` files is ever named.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

FRAME = re.compile(r'\s*File "(?P<path>[^"\n]+)", line (?P<line>\d{1,7}) in ')
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
LOOPS = (ast.For, ast.AsyncFor, ast.While)
STATEMENTS = (ast.stmt, ast.excepthandler)


@dataclass(frozen=True)
class Place:
    """A line of the submission: ``file`` (project-relative), ``line``, the ``function`` around it
    (qualified, ``<module>`` outside any), its ``source``, and ``loop``: the first and last lines of
    the innermost loop of that function around it (the line itself outside loops)."""

    file: str
    line: int
    function: str
    source: str
    loop: tuple[int, int]

    def __str__(self) -> str:
        return f"{self.file}:{self.line} in {self.function}: {self.source}"

    def within(self, other: Place) -> bool:
        """Whether this place lies in ``other``'s loop (or on its line)."""
        return self.file == other.file and other.loop[0] <= self.line <= other.loop[1]


def innermost(stack: str, root: str, copy: Path) -> Place | None:
    """The innermost frame in the submission's files (those of ``copy``, seen by the worker under
    ``root``) of a stack dump, which lists each thread's frames innermost first; None if none."""
    for text in stack.splitlines():
        match = FRAME.match(text)
        if match is None:
            continue
        try:
            file = PurePosixPath(match["path"]).relative_to(root).as_posix()
        except ValueError:
            continue
        path = copy / file
        if file.endswith(".py") and path.resolve().is_relative_to(copy.resolve()) and path.is_file():
            return place(path, file, int(match["line"]))
    return None


def place(path: Path, file: str, line: int) -> Place:
    """The ``Place`` of ``line`` in the file at ``path`` (named ``file`` in messages)."""
    source = path.read_bytes().decode(errors="replace")
    lines = source.splitlines()
    text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    names: list[str] = []
    loop = (line, line)
    try:
        node: ast.AST = ast.parse(source)
    except (SyntaxError, ValueError):
        return Place(file, line, "<module>", text, loop)
    while True:
        around = [
            child
            for child in ast.iter_child_nodes(node)
            if isinstance(child, STATEMENTS) and child.lineno <= line <= (child.end_lineno or child.lineno)
        ]
        if not around:
            break
        node = around[0]
        if isinstance(node, DEFINITIONS):
            names.append(node.name)
            loop = (line, line)  # a loop outside a function is not the loop that runs inside it
        elif isinstance(node, LOOPS):
            loop = (node.lineno, node.end_lineno or node.lineno)
    return Place(file, line, ".".join(names) or "<module>", text, loop)
