"""Hidden checks: graded like any other, their points shown to the student, their results never
before the due date; the instructor's gradebook and class report have everything.

Reports are built here from outcomes (no grading): a check is made hidden for one test by
replacing its declaration, the course's files untouched.
"""

import json
import shutil
from collections.abc import Iterator

import pytest
from grading import ROOT

from autograder import __main__ as command_line
from autograder import exercises, kernel, manifest, plugin
from autograder.classroom import gradebook
from autograder.classroom import report as class_report
from autograder.judge import grading
from autograder.judge.report import AFTER_DUE_DATE, HIDDEN, Report
from autograder.judge.runner import Outcome

NAME = "sgd.momentum"  # the check hidden in these tests
SECRET = "velocity buffer never decays: expected 0.9 v + g, obtained g alone"  # its failure message
WORDS = ("velocity", "decays", NAME.partition(".")[2], "FAILED " + NAME)  # what would say its result
STUCK = "stopped at framework/optim.py:41 in SGD.step: while True:"  # a cause only the hidden check met
NOTE = "your file framework/optim.py has a syntax error at line 7: fix it, then grade again"
VISIBLE = "loss.forward"  # a check that fails, visibly
ALL_TASKS = tuple(task.name for task in manifest.TASKS)


@pytest.fixture
def hidden() -> Iterator[manifest.Check]:
    """``NAME`` declared ``hidden=True`` for one test; the declaration is put back afterwards."""
    declared = manifest.CHECKS_BY_NAME[NAME]
    manifest.DECLARED[NAME] = declared._replace(hidden=True)
    manifest.declared_checks.cache_clear()
    try:
        yield manifest.DECLARED[NAME]
    finally:
        manifest.DECLARED[NAME] = declared
        manifest.declared_checks.cache_clear()


def graded(tasks: tuple[str, ...], hidden_outcome: Outcome) -> Report:
    """A report of ``tasks`` where ``VISIBLE`` fails, the hidden check has ``hidden_outcome``, the rest pass.

    The syntax error's note costs the hidden check and ``sgd.step`` when the hidden check fails of it.
    """
    outcomes = {check.name: Outcome("passed") for check in manifest.checks_of(tasks)}
    outcomes[VISIBLE] = Outcome("failed", "MSELoss is wrong")
    outcomes[NAME] = hidden_outcome
    if hidden_outcome.cause == NOTE:
        outcomes["sgd.step"] = Outcome("not graded", "see the note at the top", cause=NOTE)
    return Report("student", tasks, outcomes, [NOTE] if hidden_outcome.cause == NOTE else [])


def assert_no_leak(text: str, hidden: manifest.Check) -> None:
    """Besides the lines that name the hidden check and its points, nothing in ``text`` says its
    result: neither its message nor a word of it, nor a ``FAILED`` line."""
    mentions = (
        f"{HIDDEN}: 1 check ({hidden.points:g} points): {NAME}",  # the feedback
        f"{NAME} ({hidden.points:g} points) is {HIDDEN}",  # pytest's skip
        f"HIDDEN      {NAME} ({hidden.points:g} points)",  # --verbose
    )
    for mention in mentions:
        text = text.replace(mention, "")
    assert SECRET not in text and STUCK not in text, text
    for word in WORDS:
        assert word not in text, (word, text)


@pytest.mark.parametrize(
    "failure",
    [
        Outcome("failed", SECRET),
        Outcome("timed out", f"this check took longer than 20 s and was stopped: {STUCK}", cause=STUCK),
        Outcome("not graded", "see the note at the top", cause=NOTE),
    ],
    ids=["failed", "stuck", "note"],
)
def test_the_feedback_is_the_same_whether_a_hidden_check_passed_or_failed(hidden, failure):
    passed, failed = graded(ALL_TASKS, Outcome("passed")), graded(ALL_TASKS, failure)
    if failure.cause == NOTE:  # the note is the submission's, shown either way; what it costs is not
        passed.notes = list(failed.notes)
        passed.outcomes["sgd.step"] = failed.outcomes["sgd.step"]
    assert failed.feedback() == passed.feedback()
    assert_no_leak(failed.feedback(), hidden)
    assert failed.score == passed.score - hidden.points  # the instructor's figure counts it


def test_the_student_sees_the_hidden_checks_name_points_and_a_score_without_them(hidden):
    report = graded(ALL_TASKS, Outcome("failed", SECRET))
    text = report.feedback()
    assert f"{HIDDEN}: 1 check ({hidden.points:g} points): {NAME}" in text
    sgd_shown = sum(check.points for check in manifest.checks_of(("sgd",)) if check.name != NAME)
    assert f"{sgd_shown:g} / {sgd_shown:<5g} ok (+{hidden.points:g} hidden)" in text
    shown_max = manifest.TOTAL - hidden.points
    shown = shown_max - manifest.CHECKS_BY_NAME[VISIBLE].points
    assert report.shown_score == shown and report.shown_max_score == shown_max
    total = f"{shown:g} / {shown_max:<5g} ({100 * shown / shown_max:.0f}%), and {hidden.points:g} points {HIDDEN}"
    assert total in report.table()
    assert f"FAILED {VISIBLE}" in text and "MSELoss is wrong" in text


def test_without_hidden_checks_the_table_counts_every_check():
    report = graded(ALL_TASKS, Outcome("failed", SECRET))
    assert not report.hidden and report.shown_score == report.score and report.shown_max_score == report.max_score
    assert "hidden" not in report.feedback() and f"FAILED {NAME}" in report.feedback()


def test_results_json_keeps_the_result_and_shows_it_after_the_due_date(hidden):
    report = graded(ALL_TASKS, Outcome("failed", SECRET))
    data = report.gradescope()
    tests = {test["name"].partition(":")[0]: test for test in data["tests"]}
    assert tests[NAME]["visibility"] == AFTER_DUE_DATE == "after_due_date"
    assert tests[NAME]["status"] == "failed" and tests[NAME]["output"] == SECRET and tests[NAME]["score"] == 0
    assert tests[NAME]["max_score"] == hidden.points
    assert {test["visibility"] for name, test in tests.items() if name != NAME} == {"visible"}
    assert data["score"] == report.score and data["max_score"] == manifest.TOTAL
    assert_no_leak(data["output"], hidden)


def test_the_gradebook_and_the_class_report_have_the_hidden_result(hidden, tmp_path):
    report = graded(ALL_TASKS, Outcome("failed", SECRET))
    (tmp_path / "alice").mkdir()
    report.write_gradescope(tmp_path / "alice" / "results.json")
    [row] = gradebook.read_class(tmp_path)
    assert row.checks[NAME] is False and row.failures[NAME] == SECRET
    assert row.total == report.score == manifest.TOTAL - hidden.points - manifest.CHECKS_BY_NAME[VISIBLE].points
    assert row.tasks["sgd"] == sum(check.points for check in manifest.checks_of(("sgd",))) - hidden.points
    gradebook.write_gradebook([row], tmp_path / "gradebook.csv")
    [line] = gradebook.read_gradebook(tmp_path / "gradebook.csv")
    assert float(line["total"]) == report.score and float(line["max_score"]) == manifest.TOTAL
    assert class_report.check_rates([row])[NAME] == 0
    assert any(NAME in checks and message == SECRET for message, checks, _ in class_report.frequent_failures([row]))


@pytest.fixture
def suite(pytester, monkeypatch):
    """The autograder's test module in a pytester folder, its grading replaced by ``graded``."""
    pytester.makeini("[pytest]\naddopts = -p autograder.plugin -p no:cacheprovider\n")
    shutil.copy(ROOT / "autograder" / "test_checks.py", pytester.path)
    outcome = Outcome("failed", SECRET)
    monkeypatch.setattr(plugin, "grade", lambda submission, tasks, *rest, **options: graded(tasks, outcome))
    return pytester


def test_pytest_skips_a_hidden_check_with_its_points_and_its_status_ignores_it(hidden, suite):
    sgd = manifest.checks_of(("sgd",))
    result = suite.runpytest(f"--solution={ROOT / 'exercises'}", "-m", "sgd", "-rs")
    result.assert_outcomes(passed=len(sgd) - 1, skipped=1, deselected=len(manifest.CHECKS) - len(sgd))
    result.stdout.fnmatch_lines([f"sgd*ok (+{hidden.points:g} hidden)", f"SKIPPED*{NAME} ({hidden.points:g} points)*"])
    assert_no_leak(result.stdout.str(), hidden)
    assert result.ret == 0


def test_pytest_still_fails_on_a_shown_check(hidden, suite):
    result = suite.runpytest(f"--solution={ROOT / 'exercises'}", "-m", "sgd or loss")
    result.assert_outcomes(passed=len(manifest.checks_of(("sgd", "loss"))) - 2, failed=1, skipped=1)
    assert SECRET not in result.stdout.str() and result.ret == 1


def test_the_command_line_prints_no_hidden_result_and_exits_on_the_shown_checks(hidden, monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(command_line, "prestart", lambda submission, tasks: None)
    outcome = Outcome("failed", SECRET, seconds=3.0)
    monkeypatch.setattr(grading, "grade", lambda submission, tasks, *rest: graded(tasks, outcome))
    results = tmp_path / "results.json"
    status = command_line.main(["--solution", str(ROOT / "exercises"), "-m", "sgd", "-v", "--grade-json", str(results)])
    printed = capsys.readouterr().out
    assert status == 0 and f"HIDDEN      {NAME} ({hidden.points:g} points)" in printed
    assert_no_leak(printed, hidden)
    [test] = [test for test in json.loads(results.read_text())["tests"] if test["name"].startswith(NAME)]
    assert test["visibility"] == AFTER_DUE_DATE


def test_a_notebook_runs_a_hidden_check_only_while_nbgrader_autogrades(hidden, monkeypatch, capsys):
    ran = []
    monkeypatch.setattr(kernel, "run", lambda name, namespace: ran.append(name) or SECRET)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert kernel.check(NAME, object()) is None and not ran
    assert capsys.readouterr().out.strip() == f"{NAME} ({hidden.points:g} points) is {HIDDEN}: " + (
        "it is graded with your submitted notebook"
    )
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")
    assert kernel.check(NAME, object()) is None and not ran
    monkeypatch.setenv("NBGRADER_EXECUTION", kernel.AUTOGRADING)
    assert kernel.check(NAME, object()) == f"{hidden.description}\n{SECRET}" and ran == [NAME]


def test_a_declaration_records_hidden(monkeypatch):
    monkeypatch.setattr(manifest, "DECLARED", {})
    manifest.declare("sgd", "secret_rate", 1, "a learning rate never shown", lambda: iter(()), hidden=True)
    manifest.check("sgd", "plain", 1, "a check shown at once")(lambda: iter(()))
    assert manifest.DECLARED["sgd.secret_rate"].hidden and not manifest.DECLARED["sgd.plain"].hidden


def test_the_student_guide_marks_a_hidden_check(hidden):
    guide = exercises.student_guide([])
    assert f"| `{NAME}` | {hidden.points:g} | {hidden.description}{exercises.HIDDEN_MARK} |" in guide
    assert guide.count(exercises.HIDDEN_MARK) == 1
