"""Grading a whole class: the commands built on grading one submission (``grade-class``, ``merge``,
``gradescope``)."""

from __future__ import annotations

import argparse

COMMANDS: tuple[str, ...] = ()


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add the class-grading commands to the command line (each sets its ``handler``)."""
