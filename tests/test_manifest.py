"""The manifest gathers the checks from their declarations, refuses a bad one, and fills templates
with the checks' own numbers."""

from __future__ import annotations

import subprocess
import sys

import pytest

from autograder import manifest
from autograder.judge import checks_framework, checks_pairs


def test_checks_come_in_the_order_of_the_tasks_and_every_task_has_some():
    order = [task.name for task in manifest.TASKS]
    positions = [order.index(check.task) for check in manifest.CHECKS]
    assert positions == sorted(positions)
    assert {check.task for check in manifest.CHECKS} == set(order)
    assert sum(check.points for check in manifest.CHECKS) == manifest.TOTAL
    assert all(callable(check.run) for check in manifest.CHECKS)


@pytest.mark.parametrize(
    ("task", "id", "points", "said"),
    [
        ("nonsense", "x", 1, "unknown task 'nonsense'"),
        ("linear", "forward", 1, "declared twice"),
        ("linear", "brand_new", 0, "points must be positive"),
    ],
)
def test_a_bad_declaration_is_refused_with_its_reason(task, id, points, said):
    before = dict(manifest.DECLARED)
    with pytest.raises(ValueError, match=said):
        manifest.declare(task, id, points, "a description", lambda: iter(()))
    assert before == manifest.DECLARED


def test_reading_the_tasks_imports_neither_torch_nor_the_checks():
    code = "import sys, autograder.manifest as m; m.TASKS; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


def test_templates_read_the_checks_constants():
    text = "{checks_pairs.ACCURACY_THRESHOLD:.0%} and {checks_framework.DISK_THRESHOLD:.0%}, {x} kept"
    expected = f"{checks_pairs.ACCURACY_THRESHOLD:.0%} and {checks_framework.DISK_THRESHOLD:.0%}, {{x}} kept"
    assert manifest.fill_constants(text) == expected
    with pytest.raises(ValueError, match="defines no NOTHING"):
        manifest.fill_constants("{checks_pairs.NOTHING}")
    with pytest.raises(ValueError, match="not one of the modules"):
        manifest.fill_constants("{checks_elsewhere.THING}")
