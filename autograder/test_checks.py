"""One test per check of the manifest, marked with its task: ``pytest autograder -m linear``."""

import pytest

from autograder.manifest import CHECKS

CASES = [pytest.param(check.name, marks=getattr(pytest.mark, check.task), id=check.name) for check in CHECKS]


@pytest.mark.parametrize("check", CASES)
def test_check(check, report):
    """The check passed; otherwise its message says what it checked, expected, got, and a hint."""
    outcome = report.outcomes.get(check)
    if outcome is None or not outcome.passed:
        description = next(item.description for item in CHECKS if item.name == check)
        pytest.fail(
            f"checked: {description}\n{outcome.message if outcome else 'this check did not run'}", pytrace=False
        )
