"""The checks inside a notebook's kernel, for nbgrader's test cells: ``check(NAME, solution())``.

A test cell runs one check of the manifest on the notebook's names: the same inputs,
expected values, messages and points as ``python -m autograder``, and, for project 2,
the same source scan of the notebook's own classes and functions. But the probes run
in the student's kernel, beside the student's code, which could change anything in
it: a notebook's grade is as trustworthy as a self-check. For grades that must hold,
grade the notebook's code with ``python -m autograder grade-class``.

A hidden check runs only while nbgrader autogrades (it sets ``NBGRADER_EXECUTION`` to
``autograde`` in the kernel's environment): in the student's own kernel, and in nbgrader's
validation, its cell says that the check is hidden, with its points, and passes without
running it, so that neither its output nor its verdict tells the result.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import io
import os
import textwrap
import types
import warnings
from typing import Any

from . import manifest
from .judge.messages import CheckFailure
from .judge.report import HIDDEN
from .judge.runner import failure_message
from .judge.scan import POLICIES, Finding, Scanner
from .worker.errors import describe
from .worker.probes import PROBES

GIVEN = ("solution",)  # defined by the notebook's read-only grading cell, which nbgrader restores
AUTOGRADING = "autograde"  # nbgrader's NBGRADER_EXECUTION while it autogrades ("validate" while it validates)


def notebook_functions(namespace: Any) -> list[tuple[str, Any]]:
    """``(label, function)`` for every function the notebook defines and every method of its classes.

    Methods are read one by one: Python finds a function's source from its code object,
    which works for a notebook's cells, but not always a class's.
    """
    found = []
    for name, value in vars(namespace).items():
        if name in GIVEN:
            continue
        if inspect.isfunction(value) and value.__module__ == "__main__":
            found.append((name, value))
        elif inspect.isclass(value) and value.__module__ == "__main__":
            for attribute, member in vars(value).items():
                member = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
                if inspect.isfunction(member):
                    found.append((f"{name}.{attribute}", inspect.unwrap(member)))
    return found


def notebook_findings(namespace: Any, project: str) -> list[Finding]:
    """The scan's findings in the source of every function and method the notebook defines."""
    bindings = {name: value for name, value in vars(namespace).items() if isinstance(value, types.ModuleType)}
    findings = []
    for label, function in notebook_functions(namespace):
        try:
            source = textwrap.dedent(inspect.getsource(function))
        except (OSError, TypeError):
            continue  # generated code (a dataclass's __init__) has no source
        scanner = Scanner(POLICIES[project], label, [])
        scanner.bindings.update(bindings)
        findings += scanner.scan(ast.parse(source)).findings
    return findings


class NotebookNames:
    """A notebook's names for the probes; a missing one says which cell to run."""

    def __init__(self, namespace: Any) -> None:
        self._names = vars(namespace)

    def globals_of(self, name: str) -> dict[str, Any]:
        """The notebook's globals, where every name it defines lives."""
        return self._names

    def __getattr__(self, name: str) -> Any:
        if name in self._names:
            return self._names[name]
        raise AttributeError(f"{name} is not defined in this notebook: run the cell that defines it")


def run(name: str, namespace: Any) -> str | None:
    """Run check ``name`` on ``namespace`` here; return its failure message, or None if it passed.

    What the student's code prints or warns during the check is swallowed, as the
    worker swallows it: nbgrader gives no point to a test cell that writes to stderr.
    """
    with (
        warnings.catch_warnings(),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        warnings.simplefilter("ignore")
        return run_quietly(name, namespace)


def run_quietly(name: str, namespace: Any) -> str | None:
    """``run`` without the redirections."""
    project = manifest.TASKS_BY_NAME[manifest.CHECKS_BY_NAME[name].task].project
    findings = notebook_findings(namespace, project)
    if findings:
        rule = "the framework's source uses only tensor operations" if project == "framework" else "no reflection"
        return f"{rule}; this notebook's code breaks it:\n" + "\n".join(f"  {finding}" for finding in findings[:5])
    steps = manifest.CHECKS_BY_NAME[name].run()
    answer = None
    while True:
        try:
            probe = steps.send(answer) if answer is not None else next(steps)
        except StopIteration:
            return None
        except CheckFailure as failure:
            return str(failure)
        try:
            answer = PROBES[probe.name](NotebookNames(namespace), **probe.args)
        except Exception as error:
            return failure_message(describe(error, None), project)


def check(name: str, namespace: Any) -> str | None:
    """Run check ``name`` of the manifest on a notebook's names: its message if it failed, else None.

    A test cell asserts that the result is None, so that the student sees the message
    and no frame of the autograder::

        message = check("linear.forward", solution())
        assert message is None, message

    A hidden check is run only while nbgrader autogrades; elsewhere it prints that it is
    hidden, with its points, and returns None.
    """
    declared = manifest.CHECKS_BY_NAME[name]
    if declared.hidden and os.environ.get("NBGRADER_EXECUTION") != AUTOGRADING:
        print(f"{name} ({declared.points:g} points) is {HIDDEN}: it is graded with your submitted notebook")
        return None
    message = run(name, namespace)
    return None if message is None else f"{declared.description}\n{message}"
