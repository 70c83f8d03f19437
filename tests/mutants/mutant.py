"""A realistic student mistake: an edit of the reference that the autograder must catch.

A mutant makes its ``edits`` in ``file`` of a copy of ``reference/``: each replaces ``old``
(which must occur exactly once) by ``new``. Grading that copy must lose points in every
task of ``tasks``.
"""

from __future__ import annotations

from typing import NamedTuple


class Mutant(NamedTuple):
    """One mistake: where it is, what it changes, and the tasks that must lose points."""

    name: str
    file: str
    edits: tuple[tuple[str, str], ...]
    tasks: tuple[str, ...]


def edit(name: str, file: str, old: str, new: str, tasks: tuple[str, ...]) -> Mutant:
    """A mutant of a single edit."""
    return Mutant(name, file, ((old, new),), tasks)
