"""The autograder end to end: scores, the student's messages, the command line, the Gradescope file."""

import json
import subprocess
import sys

import pytest
from grading import ROOT, copy_reference, edit, grade, messages

from autograder import manifest

pytestmark = pytest.mark.grading


def points(task: str) -> float:
    """The points of one task, from the manifest."""
    return sum(check.points for check in manifest.checks_of((task,)))


@pytest.fixture(scope="module")
def reference():
    """The report of the reference, every task, graded cold as a student's own run grades it."""
    return grade("reference")


@pytest.fixture(scope="module")
def exercises(lane):
    """The report of the untouched exercises, every task."""
    return grade("exercises", lane=lane)


def test_the_reference_gets_every_point_of_the_manifest(reference):
    assert reference.score == reference.max_score == manifest.TOTAL, reference.feedback()
    assert [check.name for check in reference.checks] == [check.name for check in manifest.CHECKS]


def test_the_exercises_get_no_point_and_say_what_is_not_written(exercises):
    assert exercises.score == 0 and exercises.max_score == manifest.TOTAL
    for check, outcome in exercises.failures():
        assert outcome.message.startswith("not implemented yet: "), (check.name, outcome.message)
        assert "Traceback" not in outcome.message and "autograder" not in outcome.message, outcome.message


def run_cli(*arguments, cwd=ROOT):
    """``python -m autograder ARGUMENTS``: (exit status, stdout, stderr)."""
    process = subprocess.run(
        [sys.executable, "-m", "autograder", *arguments], cwd=cwd, capture_output=True, text=True, timeout=600
    )
    return process.returncode, process.stdout, process.stderr


def test_the_command_line_exits_0_when_all_pass_and_writes_the_gradescope_file(tmp_path):
    results = tmp_path / "results.json"
    status, out, _ = run_cli("--solution", "reference", "-m", "sgd", "--grade-json", str(results))
    assert status == 0 and "total" in out and "(100%)" in out
    data = json.loads(results.read_text())
    assert data["score"] == data["max_score"] == points("sgd")
    assert {test["name"].split(":")[0] for test in data["tests"]} == {
        "sgd.step",
        "sgd.momentum",
        "sgd.current_gradients",
        "sgd.zero_grad",
    }
    for test in data["tests"]:
        assert set(test) == {"name", "score", "max_score", "status", "output", "visibility"}


def test_the_command_line_exits_1_when_a_check_fails_and_still_writes_the_report(tmp_path):
    results = tmp_path / "results.json"
    status, out, _ = run_cli("--solution", "exercises", "-m", "loss", "--grade-json", str(results))
    assert status == 1 and "not implemented yet: framework.loss.MSELoss.forward" in out
    assert json.loads(results.read_text())["score"] == 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--solution", "exercises", "-m", "lineer"], "unknown task 'lineer': choose from pair_data"),
        (["--solution", "exercises/framework"], "looks like the framework/ folder of a solution"),
        (["--solution", "nowhere"], "is not a folder"),
        (["--solution", "reference", "--jobs", "0"], "--jobs must be at least 1"),
    ],
)
def test_usage_errors_exit_2_and_say_what_to_pass(arguments, message):
    status, _, err = run_cli(*arguments)
    assert status == 2 and message in err, err


def test_the_help_lists_the_tasks():
    status, out, _ = run_cli("grade", "--help")
    assert status == 0 and all(task.name in out.replace("\n", " ") for task in manifest.TASKS)


INSTRUCTOR_PACKAGES = ("nbgrader", "nbformat", "markdown_it", "mdit_py_plugins", "jinja2", "latex2mathml", "playwright")


def test_a_students_install_grades_without_the_instructors_packages():
    """The base install has no nbgrader, nbformat or slide tools: grading must not import them,
    and a command that needs them says which install to make."""
    block = f"import sys; sys.modules.update(dict.fromkeys({INSTRUCTOR_PACKAGES!r}))"
    command = (
        f"{block}; import runpy, sys; sys.argv[0] = 'autograder'; runpy.run_module('autograder', run_name='__main__')"
    )

    def run(*arguments):
        process = subprocess.run(
            [sys.executable, "-c", command, *arguments], cwd=ROOT, capture_output=True, text=True, timeout=600
        )
        return process.returncode, process.stdout, process.stderr

    status, out, err = run("--solution", "reference", "-m", "loss")
    assert status == 0 and "(100%)" in out, out + err
    status, _, err = run("build-notebooks", "--check")
    assert status == 2 and 'pip install -e ".[instructor]"' in err, err


def test_a_copy_outside_the_kit_graded_from_its_own_folder(tmp_path):
    solution = copy_reference(tmp_path / "student")
    status, out, _ = run_cli("--solution", ".", "-m", "sgd", cwd=solution)
    assert status == 0 and "(100%)" in out


def test_a_syntax_error_is_noted_once_and_costs_only_the_checks_that_import_the_file(tmp_path, lane):
    solution = copy_reference(tmp_path / "student")
    (solution / "framework" / "optim.py").write_text("def step(:\n")
    report = grade(solution, "framework", lane=lane)
    assert sum("framework/optim.py has a syntax error at line 1" in note for note in report.notes) == 1
    assert report.task_score("sgd") == (0, points("sgd"))
    for task in ("activations", "linear", "sequential", "loss", "float64"):
        assert report.task_score(task)[0] == report.task_score(task)[1], task
    assert all(
        "see the note at the top" in report.outcome(check).message for check in report.checks if check.task == "sgd"
    )


def test_an_exception_at_import_is_noted_once(tmp_path, lane):
    solution = copy_reference(tmp_path / "student")
    edit(solution, "framework/loss.py", "import torch\n", "import torch\n\nraise ValueError('broken on purpose')\n")
    report = grade(solution, "loss or linear", lane=lane)
    assert (
        sum("importing framework/loss.py failed" in note and "broken on purpose" in note for note in report.notes) == 1
    )
    assert report.task_score("loss") == (0, points("loss"))
    assert report.task_score("linear") == (points("linear"),) * 2


def test_importing_the_reference_loses_the_task(tmp_path, lane):
    solution = copy_reference(tmp_path / "student")
    edit(solution, "framework/optim.py", "import torch\n", "import torch\n\nimport reference.framework  # noqa\n")
    report = grade(solution, "sgd or loss", lane=lane)
    assert report.task_score("sgd") == (0, points("sgd")) and report.task_score("loss") == (points("loss"),) * 2
    assert "reference" in messages(report, "sgd")


def test_autograd_in_the_framework_loses_the_task_with_file_line_and_rule(tmp_path, lane):
    solution = copy_reference(tmp_path / "student")
    edit(solution, "framework/activations.py", "import torch\n", "import torch\nimport torch.autograd  # noqa\n")
    report = grade(solution, "activations or loss", lane=lane)
    assert report.task_score("activations")[0] == 0 and report.task_score("loss") == (points("loss"),) * 2
    assert "framework/activations.py:" in messages(report, "activations")
    assert "torch.autograd" in messages(report, "activations")


def test_an_error_points_at_the_students_file_and_line(tmp_path, lane):
    solution = copy_reference(tmp_path / "student")
    edit(solution, "framework/loss.py", "return difference.pow(2).mean()", "return difference.pow(2).mean(dim=5)")
    text = messages(grade(solution, "loss", lane=lane), "loss")
    assert "your code raised IndexError" in text and "framework/loss.py:" in text and "MSELoss.forward" in text


def test_an_endless_loop_is_stopped_and_grading_goes_on(tmp_path, lane):
    solution = copy_reference(tmp_path / "student")
    edit(
        solution,
        "framework/optim.py",
        "    def step(self) -> None:\n",
        "    def step(self) -> None:\n        while True:\n            pass\n",
    )
    report = grade(solution, "sgd or loss", time_scale=0.1, lane=lane)
    assert report.task_score("sgd") == (0, points("sgd")) and report.task_score("loss") == (points("loss"),) * 2
    assert "took longer than" in messages(report, "sgd")


def test_a_student_notimplementederror_keeps_its_own_text(tmp_path, lane):
    solution = copy_reference(tmp_path / "student")
    edit(
        solution,
        "framework/linear.py",
        "        if self.bias is None:\n            return x @ self.weight.T\n",
        "        if self.bias is None:\n            raise NotImplementedError('bias=False is not supported')\n",
    )
    report = grade(solution, "framework", lane=lane)
    text = messages(report, "linear")
    assert "bias=False is not supported" in text and "not implemented yet" not in text
    # One missing feature, one check: the io checks save a bias-free layer too, but never call forward.
    assert [check.name for check, _ in report.failures()] == ["linear.no_bias"], report.feedback()
