"""The pytest plugin that grades a solution: ``pytest autograder --solution PATH [-m TASK]``.

It grades the tasks of the selected tests once, when collection is done, through the
judge (the submission runs in a sandboxed worker, never in this process); each test
then reports its check's verdict, and the terminal summary prints the score table. A hidden
check's test is skipped, with its points: its result is shown after the due date, and the
table counts its points apart.
"""

from __future__ import annotations

from typing import Any

import pytest

from . import manifest
from .judge.grading import grade
from .judge.report import Report
from .judge.submission import SubmissionError, locate
from .sandbox import default_jobs

SOLUTION_HELP = "the solution to grade: 'reference', 'exercises' (default) or a folder laid out like exercises/"
GRADE_JSON_HELP = "also write Gradescope's results.json to PATH"
JOBS_HELP = "probes run at once (default: the cores, at most 2)"
TIME_SCALE_HELP = "multiply every check's time limit by F (default: 1)"
REPORT = pytest.StashKey[Report]()
ERROR = pytest.StashKey[str]()
USAGE_ERROR = 2


@pytest.hookimpl
def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the grading options."""
    group = parser.getgroup("autograder", "grading a solution")
    group.addoption("--solution", default="exercises", metavar="PATH", help=SOLUTION_HELP)
    group.addoption("--grade-json", metavar="PATH", help=GRADE_JSON_HELP)
    group.addoption("--jobs", type=int, default=default_jobs(), metavar="N", help=JOBS_HELP)
    group.addoption("--time-scale", type=float, default=1.0, metavar="F", help=TIME_SCALE_HELP)


@pytest.hookimpl
def pytest_configure(config: pytest.Config) -> None:
    """Register one marker per task."""
    for task in manifest.TASKS:
        config.addinivalue_line("markers", f"{task.name}: {task.description}")


def check_name(item: pytest.Item) -> str | None:
    """The manifest check a collected test reports, if it is one."""
    callspec = getattr(item, "callspec", None)
    name = callspec.params.get("check") if callspec else None
    return name if name in manifest.CHECKS_BY_NAME else None


@pytest.hookimpl
def pytest_collection_finish(session: pytest.Session) -> None:
    """Grade the tasks of the selected checks (every task when no check test was collected)."""
    config = session.config
    names = [name for item in session.items if (name := check_name(item))]
    tasks = tuple(dict.fromkeys(manifest.CHECKS_BY_NAME[name].task for name in names))
    try:
        submission = locate(config.getoption("solution"))
    except SubmissionError as error:
        config.stash[ERROR] = str(error)
        session.items.clear()
        return
    report = grade(submission, tasks or None, config.getoption("jobs"), time_scale=config.getoption("time_scale"))
    config.stash[REPORT] = report
    path = config.getoption("grade_json")
    if path:
        report.write_gradescope(path)


@pytest.fixture(scope="session")
def report(request: pytest.FixtureRequest) -> Report:
    """The report of the grading this session ran."""
    return request.config.stash[REPORT]


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Print the notes and the score table, or the usage error."""
    if ERROR in config.stash:
        terminalreporter.write_line(f"error: {config.stash[ERROR]}", red=True)
        return
    report = config.stash.get(REPORT, None)
    if report is None:
        return
    terminalreporter.write_sep("=", f"score of {report.label}")
    for note in report.notes:
        terminalreporter.write_line(f"note: {note}")
    for line in report.table().splitlines():
        terminalreporter.write_line(line)


@pytest.hookimpl
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A usage error ends the session with status 2."""
    if ERROR in session.config.stash:
        session.exitstatus = USAGE_ERROR
