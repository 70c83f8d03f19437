"""One test per check of the manifest, marked with its task: ``pytest autograder -m linear``."""

import pytest

from autograder import manifest
from autograder.judge.report import HIDDEN

CASES = [pytest.param(check.name, marks=getattr(pytest.mark, check.task), id=check.name) for check in manifest.CHECKS]


@pytest.mark.parametrize("check", CASES)
def test_check(check, report):
    """The check passed; otherwise its message says what it checked, expected, got, and a hint.

    A hidden check is skipped with its points: its result is shown after the due date.
    """
    declared = manifest.CHECKS_BY_NAME[check]
    if declared.hidden:
        pytest.skip(f"{check} ({declared.points:g} points) is {HIDDEN}")
    outcome = report.outcomes.get(check)
    if outcome is None or not outcome.passed:
        pytest.fail(
            f"checked: {declared.description}\n{outcome.message if outcome else 'this check did not run'}",
            pytrace=False,
        )
