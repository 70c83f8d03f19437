"""One mistake, one charge, said once: a cause shared by several checks is reported once with the
checks it costs on one line, an endless loop is named where it is and waited for once, and a
wrong derivative costs only the check that grades it."""

import re
from pathlib import Path

import pytest
from grading import copy_reference, edit, grade, messages

from autograder import manifest
from autograder.judge import runner
from autograder.judge.report import Report
from autograder.judge.runner import Outcome
from autograder.judge.stuck import innermost

SGD = manifest.checks_of(("sgd",))
LINEAR = manifest.checks_of(("linear",))
LOSS = manifest.checks_of(("loss",))
LOOPING = "        while True:\n            pass\n        self.save_for_backward(x)\n"
LOOP = """def step(x):
    total = 0
    while x:
        total += 1
    return total


class Layer:
    def forward(self, x):
        return step(x)
"""

DUMP = """Thread 0x00007f72ca1806c0 (most recent call first):
  File "/usr/lib/python3.11/threading.py", line 327 in wait

Current thread 0x00007f72cadbbb80 (most recent call first):
  File "/submission/framework/../../etc/passwd", line 1 in steal
  File "/elsewhere/framework/layer.py", line 4 in step
  File "/submission/framework/layer.py", line 4 in step
  File "/submission/framework/layer.py", line 10 in forward
  File "/grader/worker/probes_framework.py", line 50 in forward_backward
"""


def points(checks: list[manifest.Check]) -> float:
    """The points of ``checks`` together."""
    return sum(check.points for check in checks)


def costs(checks: list[manifest.Check]) -> str:
    """``4 checks (5 points)``: how the feedback counts what a cause costs."""
    return f"{len(checks)} checks ({points(checks):g} points)"


def test_the_innermost_line_of_the_submission_is_named_with_its_function_and_loop(tmp_path):
    (tmp_path / "framework").mkdir()
    (tmp_path / "framework" / "layer.py").write_text(LOOP)
    place = innermost(DUMP, "/submission", tmp_path)
    assert str(place) == "framework/layer.py:4 in step: total += 1"
    assert place.loop == (3, 4)
    outer = innermost(DUMP.replace("line 4 in step", "line 99 in step"), "/submission", tmp_path)
    assert outer.function == "<module>" and not outer.within(place)
    assert innermost(DUMP, "/nowhere", tmp_path) is None


def test_a_cause_shared_by_several_checks_is_said_once_with_the_checks_on_one_line():
    note = "your file framework/optim.py has a syntax error at line 1: fix it, then grade again"
    found = "the framework's source uses only tensor operations; these lines break it:\n  framework/linear.py:9"
    outcomes = {check.name: Outcome("not graded", "see the note at the top", cause=note) for check in SGD}
    outcomes |= {check.name: Outcome("not graded", found, cause=found) for check in LINEAR}
    outcomes["loss.forward"] = Outcome("failed", "MSELoss is wrong")
    text = Report("student", ("sgd", "linear", "loss"), outcomes, [note]).feedback()
    assert text.count(note) == 1 and text.count("these lines break it") == 1, text
    assert "see the note at the top" not in text and "\n    framework/linear.py:9\n" in text, text
    names = ", ".join(check.name for check in SGD)
    assert f"note: {note}\n  it costs {costs(SGD)}: {names}\n" in text
    assert f"FAILED {costs(LINEAR)}: {', '.join(check.name for check in LINEAR)}, all for one cause:" in text
    loss_forward = manifest.CHECKS_BY_NAME["loss.forward"]
    assert f"FAILED loss.forward ({loss_forward.points:g} points)" in text and "MSELoss is wrong" in text


@pytest.mark.grading
def test_a_syntax_error_is_said_once_and_lists_what_it_costs(tmp_path, lane):
    solution = copy_reference(tmp_path / "student")
    edit(solution, "framework/linear.py", "self.save_for_backward(x)\n", "self.save_for_backward(x\n")
    text = grade(solution, "linear or sgd", lane=lane).feedback()
    assert text.count("framework/linear.py has a syntax error") == 1 and "see the note" not in text, text
    assert f"it costs {costs(LINEAR)}: {', '.join(check.name for check in LINEAR)}\n" in text, text


@pytest.mark.grading
def test_a_derivative_written_1_minus_y_costs_only_the_tanh_backward_check(tmp_path, lane):
    solution = copy_reference(tmp_path / "student")
    edit(solution, "framework/activations.py", "derivative = 1 - y * y", "derivative = 1 - y")
    report = grade(solution, "activations", lane=lane)
    assert [check.name for check, _ in report.failures()] == ["activations.tanh_backward"], report.feedback()
    assert "tanh' written as 1 - tanh(s) instead of 1 - tanh(s)^2" in messages(report)


@pytest.mark.grading
def test_an_activation_that_assumes_n_by_d_loses_only_any_shape(tmp_path, lane):
    solution = copy_reference(tmp_path / "student")
    edit(
        solution,
        "framework/activations.py",
        "derivative = positive.to(grad_output.dtype)",
        "derivative = positive.to(grad_output.dtype).view(-1, grad_output.shape[1])",
    )
    report = grade(solution, "activations", lane=lane)
    assert [check.name for check, _ in report.failures()] == ["activations.any_shape"], report.feedback()
    assert "ReLU" in messages(report)


@pytest.fixture
def expiries(monkeypatch) -> list[int]:
    """The number of probes of each expiry of a grading (each costs a whole wall-clock limit)."""
    counted: list[int] = []
    locate = runner.Runner.locate

    def counting(self, profile, identifiers):
        counted.append(len(identifiers))
        return locate(self, profile, identifiers)

    monkeypatch.setattr(runner.Runner, "locate", counting)
    return counted


@pytest.mark.grading
def test_an_endless_loop_is_waited_for_once_and_named_where_it_is(tmp_path, expiries, lane):
    solution = copy_reference(tmp_path / "student")
    edit(solution, "framework/linear.py", "        self.save_for_backward(x)\n", LOOPING)
    report = grade(solution, "linear or loss", time_scale=0.1, lane=lane)
    assert report.task_score("linear") == (0, points(LINEAR)), report.feedback()
    assert report.task_score("loss") == (points(LOSS), points(LOSS)), report.feedback()
    assert len(expiries) == 1, expiries  # one wall-clock limit; the other probes stopped at a few looks
    causes = {report.outcome(check).cause for check in LINEAR}
    assert len(causes) == 1, report.feedback()
    line = loop_line(solution)  # the loop's two lines: ``while True:`` and ``pass``
    stuck = re.search(
        r"it was stopped at framework/linear.py:(\d+) in Linear.forward: (while True:|pass)\n", causes.pop()
    )
    assert stuck and int(stuck[1]) in (line, line + 1), report.feedback()
    assert report.feedback().count(stuck[0]) == 1, report.feedback()


@pytest.mark.grading
def test_a_check_that_never_stays_in_the_loop_keeps_its_points(tmp_path, expiries, lane):
    solution = copy_reference(tmp_path / "student")
    edit(
        solution,
        "framework/linear.py",
        "            return x @ self.weight.T\n",
        "            while True:\n                pass\n",  # only without a bias
    )
    report = grade(solution, "linear", time_scale=0.1, lane=lane)
    assert [check.name for check, _ in report.failures()] == ["linear.no_bias"], report.feedback()
    assert len(expiries) == 1 and re.search(
        r"framework/linear.py:\d+ in Linear.forward: (while True:|pass)\n", messages(report)
    )


def loop_line(solution: Path) -> int:
    """The line of the endless loop in the copy's linear.py."""
    return (solution / "framework" / "linear.py").read_text().splitlines().index("        while True:") + 1
