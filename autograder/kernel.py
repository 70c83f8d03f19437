"""The checks inside a notebook's kernel, for nbgrader's test cells: ``check(NAME, solution())``.

A test cell runs one check of the manifest on the notebook's names: the same inputs,
expected values, messages and points as ``python -m autograder``, and, for project 2,
the same source scan of the notebook's own classes and functions. But the probes run
in the student's kernel, beside the student's code, which could change anything in
it: a notebook's grade is as trustworthy as a self-check. For grades that must hold,
grade the notebook's code with ``python -m autograder grade-class``.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import types
from typing import Any

from .judge.grading import IMPLEMENTATIONS
from .judge.messages import CheckFailure
from .judge.runner import failure_message
from .judge.scan import POLICIES, Finding, Scanner
from .manifest import CHECKS_BY_NAME, TASKS_BY_NAME
from .worker import probes_framework, probes_pairs
from .worker.errors import describe

PROBES = {**probes_framework.PROBES, **probes_pairs.PROBES}


def notebook_functions(namespace: Any) -> list[tuple[str, Any]]:
    """``(label, function)`` for every function the notebook defines and every method of its classes.

    Methods are read one by one: Python finds a function's source from its code object,
    which works for a notebook's cells, but not always a class's.
    """
    found = []
    for name, value in vars(namespace).items():
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


def run(name: str, namespace: Any) -> str | None:
    """Run check ``name`` on ``namespace`` here; return its failure message, or None if it passed."""
    project = TASKS_BY_NAME[CHECKS_BY_NAME[name].task].project
    findings = notebook_findings(namespace, project)
    if findings:
        rule = "the framework's source uses only tensor operations" if project == "framework" else "no reflection"
        return f"{rule}; this notebook's code breaks it:\n" + "\n".join(f"  {finding}" for finding in findings[:5])
    steps = IMPLEMENTATIONS[name]()
    answer = None
    while True:
        try:
            probe = steps.send(answer) if answer is not None else next(steps)
        except StopIteration:
            return None
        except CheckFailure as failure:
            return str(failure)
        try:
            answer = PROBES[probe.name](namespace, **probe.args)
        except Exception as error:
            return failure_message(describe(error, None), project)


def check(name: str, namespace: Any) -> None:
    """Run check ``name`` of the manifest on a notebook's names; raise ``AssertionError`` with its message."""
    __tracebackhide__ = True  # IPython shows the student the message, not the autograder's frames
    message = run(name, namespace)
    if message is not None:
        raise AssertionError(f"{CHECKS_BY_NAME[name].description}\n{message}") from None
