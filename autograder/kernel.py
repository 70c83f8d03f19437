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


def notebook_findings(namespace: Any, project: str) -> list[Finding]:
    """The scan's findings in the source of every class and function the notebook defines."""
    policy = POLICIES[project]
    names = vars(namespace)
    bindings = {name: value for name, value in names.items() if isinstance(value, types.ModuleType)}
    findings = []
    for name, value in names.items():
        if not (inspect.isclass(value) or inspect.isfunction(value)) or value.__module__ != "__main__":
            continue
        try:
            source = textwrap.dedent(inspect.getsource(value))
        except (OSError, TypeError):
            continue  # generated code (a dataclass's methods) has no source
        scanner = Scanner(policy, f"cell defining {name}", [])
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
