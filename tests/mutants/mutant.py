"""A realistic student mistake: an edit of the reference that the autograder must catch.

A mutant makes its ``edits`` in ``file`` of a copy of ``reference/``: each replaces ``old``
(which must occur exactly once) by ``new``. Graded on every task of its project, that copy
must lose points in every task of ``tasks``, and in no other task but those of ``also``;
the messages of ``tasks`` must contain ``named``, the mistake in the student's words.

Only the end-to-end checks train the student's own parts together (``training.disk``,
``pair_accuracy``, and the io checks, which save models of the student's own modules): a
mistake that stops learning or building costs them as well, and ``also`` says so.
"""

from __future__ import annotations

from typing import NamedTuple

DISK = ("training",)  # training.disk trains the student's own modules end to end
SAVE = ("io",)  # the io checks build, save and load models of the student's own modules


class Mutant(NamedTuple):
    """One mistake: where it is, what it changes, the tasks that must lose points, the words that
    must name it in their messages, and the other tasks it may cost."""

    name: str
    file: str
    edits: tuple[tuple[str, str], ...]
    tasks: tuple[str, ...]
    named: str = ""
    also: tuple[str, ...] = ()


def edit(
    name: str, file: str, old: str, new: str, tasks: tuple[str, ...], named: str = "", also: tuple[str, ...] = ()
) -> Mutant:
    """A mutant of a single edit."""
    return Mutant(name, file, ((old, new),), tasks, named, also)
