"""The autograder itself: scores, messages for students, isolation and the Gradescope file."""

import time

import pytest
from grading import copy_reference, grade

pytestmark = pytest.mark.slow


def test_reference_gets_every_point():
    start = time.perf_counter()
    result = grade("reference")
    print(f"reference graded in {time.perf_counter() - start:.1f} s")
    assert result.max_score >= 100 and result.score == result.max_score, result.output
    assert "total" in result.output and "(100%)" in result.output
    for test in result.tests:
        assert set(test) == {"name", "score", "max_score", "status", "output", "visibility"}
        assert test["status"] == "passed"


def test_exercises_get_no_point_and_every_failure_says_not_implemented():
    start = time.perf_counter()
    result = grade("exercises")
    print(f"exercises graded in {time.perf_counter() - start:.1f} s")
    assert result.score == 0 and result.max_score >= 100
    for test in result.tests:
        assert test["status"] == "failed"
        assert "not implemented yet: " in test["output"], test
        assert "Traceback" not in test["output"] and "autograder/" not in test["output"], test


def test_one_task_is_graded_alone():
    result = grade("exercises", "-m", "linear")
    assert {test["name"].split(":")[0] for test in result.tests} == {"linear"}
    assert "linear" in result.output and "activations" not in result.output


def test_a_solution_outside_the_kit_by_path(tmp_path):
    solution = copy_reference(tmp_path / "student")
    result = grade(solution, "-m", "sgd")
    assert result.score == result.max_score > 0


def test_a_missing_solution_is_a_clear_usage_error(tmp_path):
    with pytest.raises(AssertionError, match="is not a solution package"):
        grade(tmp_path / "nowhere")


def test_importing_the_reference_loses_the_task(tmp_path):
    solution = copy_reference(tmp_path / "student")
    optim = solution / "framework" / "optim.py"
    optim.write_text(optim.read_text().replace("import torch\n", "import torch\nimport reference.framework\n", 1))
    result = grade(solution, "-m", "sgd or loss")
    assert result.task_score("sgd") == (0, 5)
    message = next(test["output"] for test in result.tests if test["name"].startswith("sgd"))
    assert "imports 'reference', the kit's complete solution" in message
    assert "framework/optim.py:" in message


def test_autograd_in_the_framework_loses_the_task(tmp_path):
    solution = copy_reference(tmp_path / "student")
    activations = solution / "framework" / "activations.py"
    source = activations.read_text().replace(
        "        y = torch.tanh(s)\n",
        "        s = s.detach().requires_grad_()\n        y = torch.tanh(s)\n",
    )
    activations.write_text(source)
    result = grade(solution, "-m", "activations or loss")
    assert result.task_score("activations") == (0, 8)
    assert result.task_score("loss") == (5, 5)
    assert "framework/activations.py" in result.tests[0]["output"]
    assert "requires_grad_" in result.tests[0]["output"]


def test_errors_in_student_code_point_at_the_student_file(tmp_path):
    solution = copy_reference(tmp_path / "student")
    loss = solution / "framework" / "loss.py"
    loss.write_text(loss.read_text().replace("return difference.pow(2).mean()", "return difference.pow(2).mean(dim=5)"))
    output = grade(solution, "-m", "loss").tests[0]["output"]
    assert "your code raised IndexError" in output
    assert "framework/loss.py:" in output and "MSELoss.forward" in output


def test_a_syntax_error_is_reported_with_its_line(tmp_path):
    solution = copy_reference(tmp_path / "student")
    (solution / "framework" / "optim.py").write_text("def step(:\n")
    result = grade(solution, "-m", "sgd")
    assert result.score == 0
    assert "framework/optim.py has a syntax error at line 1" in result.tests[0]["output"]


def test_an_endless_loop_is_stopped(tmp_path):
    solution = copy_reference(tmp_path / "student")
    optim = solution / "framework" / "optim.py"
    optim.write_text(
        optim.read_text().replace(
            "        for (parameter, grad), velocity",
            "        while True:\n            pass\n        for (parameter, grad), velocity",
        )
    )
    result = grade(solution, "-m", "sgd", "--check-timeout", "2")
    assert result.score == 0
    assert "took longer than 2 s" in result.tests[0]["output"]


def test_a_solution_that_skips_its_checks_earns_nothing(tmp_path):
    solution = copy_reference(tmp_path / "student")
    init = solution / "framework" / "__init__.py"
    init.write_text('import unittest\n\nraise unittest.SkipTest("no checks today")\n' + init.read_text())
    result = grade(solution, "-m", "sgd")
    assert result.score == 0 and result.max_score == 5
    assert "skipped, which earns no points" in result.tests[0]["output"]


def test_requires_grad_as_a_keyword_is_caught_too(tmp_path):
    solution = copy_reference(tmp_path / "student")
    linear = solution / "framework" / "linear.py"
    linear.write_text(linear.read_text().replace(
        "self.weight = torch.empty(out_features, in_features, dtype=dtype)",
        "self.weight = torch.empty(out_features, in_features, dtype=dtype, requires_grad=True)",
    ))  # fmt: skip
    result = grade(solution, "-m", "linear")
    assert result.score == 0
    assert "framework/linear.py" in result.tests[0]["output"] and "requires_grad=" in result.tests[0]["output"]


def test_an_endless_loop_at_import_is_stopped(tmp_path):
    solution = copy_reference(tmp_path / "student")
    init = solution / "framework" / "__init__.py"
    init.write_text("while True:\n    pass\n" + init.read_text())
    result = grade(solution, "-m", "sgd", "--check-timeout", "2")
    assert result.score == 0
    assert all("took longer than 2 s" in test["output"] for test in result.tests)
