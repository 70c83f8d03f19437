"""The pytest plugin that grades a solution.

It imports the solution named by ``--solution`` under an isolated module name, gives
the tests its projects as the ``pairs`` and ``framework`` fixtures, turns failures into
messages for students, and adds up points per task into a score table (and, with
``--grade-json``, a Gradescope results file).
"""

from __future__ import annotations

import contextlib
import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .checks import CheckFailure
from .checks.framework import fail_if_forbidden
from .checks.source import forbidden_uses
from .solution import Solution, SolutionError, block_reference, locate, unblock_reference
from .tasks import TASKS, TASKS_BY_NAME

ROOT = Path(__file__).resolve().parent.parent
SOLUTION_HELP = (
    "the solution to grade: a package of the kit ('reference', 'exercises') or the path of a "
    "folder laid out like reference/ (default: exercises)"
)
GRADE_JSON_HELP = "also write the results as a Gradescope results.json to PATH"
TIMEOUT_HELP = "fail a test that runs longer than SECONDS (default: 120; 0 disables)"
POINTS_KEY = "points"
TASK_KEY = "task"
GRADER = pytest.StashKey["Grader"]()


class CheckTimeout(BaseException):
    """A check ran out of time; a BaseException, so that a solution's ``except Exception`` cannot swallow it."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the grading options."""
    group = parser.getgroup("autograder", "grading a solution")
    group.addoption("--solution", default="exercises", metavar="NAME_OR_PATH", help=SOLUTION_HELP)
    group.addoption("--grade-json", metavar="PATH", help=GRADE_JSON_HELP)
    group.addoption("--check-timeout", type=float, default=120.0, metavar="SECONDS", help=TIMEOUT_HELP)


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers and the grader."""
    config.addinivalue_line("markers", "points(n): the points a test is worth")
    for task in TASKS:
        config.addinivalue_line("markers", f"{task.name}: {task.description}")
    try:
        solution = locate(config.getoption("solution"), ROOT)
    except SolutionError as error:
        raise pytest.UsageError(str(error)) from None
    grader = Grader(config, solution)
    config.stash[GRADER] = grader
    config.pluginmanager.register(grader, "autograder-grader")


class Grader:
    """Imports the solution, explains failures, and keeps the score."""

    def __init__(self, config: pytest.Config, solution: Solution) -> None:
        self.config = config
        self.solution = solution
        self.results: dict[str, dict[str, Any]] = {}
        self.hidden_reference: list = []
        self.forbidden: dict[str, list[str]] = {}

    @pytest.hookimpl
    def pytest_sessionstart(self) -> None:
        """Keep the kit's reference out of reach of any other solution."""
        if not self.solution.is_reference:
            self.hidden_reference = block_reference()

    @pytest.hookimpl
    def pytest_sessionfinish(self) -> None:
        """Restore imports and write the Gradescope file if asked."""
        if not self.solution.is_reference:
            unblock_reference(self.hidden_reference)
        path = self.config.getoption("grade_json")
        if path:
            Path(path).write_text(json.dumps(self.gradescope(), indent=2) + "\n")

    @pytest.hookimpl
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Give every test its task and points, which its reports carry; run tasks in course order."""
        for item in items:
            tasks = [marker.name for marker in item.iter_markers() if marker.name in TASKS_BY_NAME]
            points = item.get_closest_marker(POINTS_KEY)
            if len(tasks) != 1 or points is None:
                raise pytest.UsageError(f"{item.nodeid}: a graded test needs one task marker and a points marker")
            item.user_properties += [(TASK_KEY, tasks[0]), (POINTS_KEY, points.args[0])]
        order = {task.name: position for position, task in enumerate(TASKS)}
        items.sort(key=lambda item: order[dict(item.user_properties)[TASK_KEY]])

    def scan(self, name: str) -> list[str]:
        """Source findings of one file of the solution's framework, cached."""
        if name not in self.forbidden:
            path = self.solution.path / "framework" / name
            source = path.read_text() if path.is_file() else ""
            self.forbidden[name] = forbidden_uses(source, f"framework/{name}")
        return self.forbidden[name]

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Iterator[None]:
        """Stop a setup that runs too long: importing a solution runs its module-level code.

        pytest records only ``Exception``s raised in a setup (a failed session fixture is
        then reported for every test that uses it), so here the timeout is a ``CheckFailure``.
        """
        with self.time_limit(CheckFailure):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        """Stop a test that runs too long (an endless loop in a solution)."""
        with self.time_limit(CheckTimeout):
            return (yield)

    @contextlib.contextmanager
    def time_limit(self, timeout: type[BaseException]) -> Iterator[None]:
        """Raise ``timeout`` in the code that runs when ``--check-timeout`` expires."""
        seconds = self.config.getoption("check_timeout")
        if not seconds or not hasattr(signal, "setitimer"):
            yield
            return

        def expire(signum: int, frame: Any) -> None:
            raise timeout(
                f"this check took longer than {seconds:g} s and was stopped\n"
                f"  hint: look for an endless loop, or a loop over samples that should be one tensor operation"
            )

        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
        """Replace the traceback of a failure by a message for the student."""
        report = yield
        if report.failed and call.excinfo is not None:
            message = self.explain(call.excinfo)
            if message is not None:
                checked = (item.function.__doc__ or item.name).strip().splitlines()[0]
                report.longrepr = f"checked: {checked}\n{message}"
        return report

    def explain(self, excinfo: pytest.ExceptionInfo) -> str | None:
        """A message for the student, or None to keep the traceback (a fault in the autograder)."""
        error = excinfo.value
        if isinstance(error, CheckFailure | CheckTimeout | SolutionError):
            return str(error)
        frames = [entry for entry in excinfo.traceback if self.in_solution(entry.path)]
        if isinstance(error, NotImplementedError) and frames:
            return f"not implemented yet: {self.qualified_name(frames[-1])}"
        if isinstance(error, SyntaxError) and error.filename and self.in_solution(error.filename):
            return (
                f"your file {self.relative(error.filename)} has a syntax error at line {error.lineno}: "
                f"{error.msg}\n  hint: fix it, then grade again"
            )
        where = "\n".join(
            f"  {self.relative(entry.path)}:{entry.lineno + 1} in {entry.frame.code.raw.co_qualname}: "
            f"{str(entry.statement).strip()}"
            for entry in frames[-3:]
        )
        if isinstance(error, ImportError) and "kit's complete solution" in str(error):
            return f"{error} Every task that needs this import loses its points.\n{where}".rstrip()
        if frames:
            return f"your code raised {type(error).__name__}: {error}\n{where}"
        return None

    def in_solution(self, path: Any) -> bool:
        """Whether a file belongs to the graded solution."""
        try:
            return Path(path).resolve().is_relative_to(self.solution.path)
        except (OSError, ValueError):
            return False

    def relative(self, path: Any) -> str:
        """A solution file's path relative to the solution folder."""
        return Path(path).resolve().relative_to(self.solution.path).as_posix()

    def qualified_name(self, entry: Any) -> str:
        """'framework.linear.Linear.forward' for a traceback entry in the solution."""
        module = self.relative(entry.path).removesuffix(".py").replace("/", ".")
        return f"{module}.{entry.frame.code.raw.co_qualname}"

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Record each test's outcome: its points need a passed call and no failed or skipped phase."""
        properties = dict(report.user_properties)
        if TASK_KEY not in properties:
            return
        result = self.results.setdefault(
            report.nodeid,
            {"task": properties[TASK_KEY], "points": properties[POINTS_KEY], "passed": False, "output": ""},
        )
        if report.failed or report.skipped:
            result["spoiled"] = True
            result["passed"] = False
            skipped = "the check was skipped, which earns no points: a solution must not skip checks"
            result["output"] = result["output"] or (skipped if report.skipped else str(report.longrepr))
        elif report.when == "call" and not result.get("spoiled"):
            result["passed"] = True

    def table(self) -> list[tuple[str, float, float]]:
        """Rows (task, earned, possible) in the course's task order, for tasks that ran."""
        rows = []
        for task in TASKS:
            results = [result for result in self.results.values() if result["task"] == task.name]
            if results:
                earned = sum(result["points"] for result in results if result["passed"])
                rows.append((task.name, earned, sum(result["points"] for result in results)))
        return rows

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Print the score table."""
        rows = self.table()
        if not rows:
            return
        terminalreporter.write_sep("=", f"score of {self.solution.label}")
        terminalreporter.write_line(f"{'task':<16}{'project':<11}{'points':>13}")
        for name, earned, possible in rows:
            mark = "ok" if earned == possible else ""
            project = TASKS_BY_NAME[name].project
            terminalreporter.write_line(f"{name:<16}{project:<11}{earned:>6g} / {possible:<5g} {mark}")
        earned, possible = sum(row[1] for row in rows), sum(row[2] for row in rows)
        terminalreporter.write_line(f"{'total':<27}{earned:>6g} / {possible:<5g} ({100 * earned / possible:.0f}%)")

    def gradescope(self) -> dict[str, Any]:
        """The results in Gradescope's results.json format."""
        tests = [
            {
                "name": f"{result['task']}: {nodeid.rpartition('::')[2]}",
                "score": result["points"] if result["passed"] else 0,
                "max_score": result["points"],
                "status": "passed" if result["passed"] else "failed",
                "output": result["output"],
                "visibility": "visible",
            }
            for nodeid, result in self.results.items()
        ]
        return {
            "score": sum(test["score"] for test in tests),
            "max_score": sum(test["max_score"] for test in tests),
            "visibility": "visible",
            "tests": tests,
        }


@pytest.fixture(scope="session")
def solution(request: pytest.FixtureRequest) -> Solution:
    """The solution being graded."""
    return request.config.stash[GRADER].solution


@pytest.fixture(scope="session")
def pairs(solution: Solution) -> Any:
    """The solution's project 1 package."""
    return solution.import_project("pairs")


@pytest.fixture(scope="session")
def framework(solution: Solution) -> Any:
    """The solution's project 2 package."""
    return solution.import_project("framework")


@pytest.fixture(autouse=True)
def only_tensor_operations(request: pytest.FixtureRequest) -> None:
    """Fail a framework task whose files use torch.nn, autograd or torch.optim."""
    grader = request.config.stash[GRADER]
    task = TASKS_BY_NAME[dict(request.node.user_properties)[TASK_KEY]]
    if task.project == "framework":
        fail_if_forbidden([finding for name in ("module.py", *task.files) for finding in grader.scan(name)])
