"""A realistic student mistake: an edit of the reference that the autograder must catch.

A mutant makes its ``edits`` in ``file`` of a copy of ``reference/``: each replaces ``old``
(which must occur exactly once) by ``new``. Graded on every task of its project, that copy
must lose points in every task of ``tasks`` and of ``also``, and in no other task;
the messages of ``tasks`` must contain ``named``, the mistake in the student's words.

Only the accuracy tasks, ``disk_accuracy`` and ``pair_accuracy``, train the student's own parts
together, and ``float64`` runs each module of the framework: a mistake that stops learning, or a
module that raises, costs them as well, and ``also`` says so. It is exact: each task it lists
must lose points too, as measured, and no other may, but for ``borderline``: the accuracy
tasks whose training the mistake leaves about at the threshold (measured over secret draws),
which may go either way.
"""

from __future__ import annotations

from typing import NamedTuple

DISK = ("disk_accuracy",)  # disk_accuracy.network trains the student's own modules end to end


class Mutant(NamedTuple):
    """One mistake: where it is, what it changes, the tasks that must lose points, the words that
    must name it in their messages, and the other tasks it costs."""

    name: str
    file: str
    edits: tuple[tuple[str, str], ...]
    tasks: tuple[str, ...]
    named: str = ""
    also: tuple[str, ...] = ()
    borderline: tuple[str, ...] = ()


def edit(
    name: str,
    file: str,
    old: str,
    new: str,
    tasks: tuple[str, ...],
    named: str = "",
    also: tuple[str, ...] = (),
    borderline: tuple[str, ...] = (),
) -> Mutant:
    """A mutant of a single edit."""
    return Mutant(name, file, ((old, new),), tasks, named, also, borderline)
