"""The pytest plugin, tested with pytester as pytest plugins test theirs."""

import json
import shutil

import pytest
from grading import ROOT

from autograder import manifest

pytestmark = pytest.mark.grading


@pytest.fixture
def suite(pytester):
    """A pytest folder holding the autograder's test module; the plugin comes with ``-p``."""
    pytester.makeini("[pytest]\naddopts = -p autograder.plugin -p no:cacheprovider\n")
    shutil.copy(ROOT / "autograder" / "test_checks.py", pytester.path)
    return pytester


def test_one_task_of_the_reference_passes_and_the_table_says_so(suite):
    checks = manifest.checks_of(("sgd",))
    points = f"{sum(check.points for check in checks):g}"
    result = suite.runpytest(f"--solution={ROOT / 'reference'}", "-m", "sgd")
    result.assert_outcomes(passed=len(checks), deselected=len(manifest.CHECKS) - len(checks))
    result.stdout.fnmatch_lines(
        ["*score of*reference*", f"sgd*framework*{points} / {points}*ok*", f"total*{points} / {points}*(100%)*"]
    )
    assert result.ret == 0


def test_a_failed_check_shows_the_students_message_not_a_traceback(suite):
    result = suite.runpytest(f"--solution={ROOT / 'exercises'}", "-m", "loss")
    failed = len(manifest.checks_of(("loss",)))
    result.assert_outcomes(failed=failed, deselected=len(manifest.CHECKS) - failed)
    result.stdout.fnmatch_lines(["*not implemented yet: framework.loss.MSELoss.forward*"])
    assert "Traceback" not in result.stdout.str() and result.ret == 1


def test_a_missing_solution_is_a_usage_error(suite, tmp_path):
    result = suite.runpytest(f"--solution={tmp_path / 'nowhere'}")
    result.stdout.fnmatch_lines(["error: --solution*is not a folder*"])
    assert result.ret == 2


def test_without_the_test_module_the_report_still_lists_every_check(pytester, tmp_path):
    pytester.makeini("[pytest]\naddopts = -p autograder.plugin -p no:cacheprovider\n")
    results = tmp_path / "results.json"
    result = pytester.runpytest(f"--solution={ROOT / 'exercises'}", f"--grade-json={results}")
    data = json.loads(results.read_text())
    assert data["max_score"] == manifest.TOTAL and len(data["tests"]) == len(manifest.CHECKS) and data["score"] == 0
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
