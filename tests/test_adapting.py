"""The guide's first example, "Add an activation exercise: LeakyReLU" (autograder/README.md),
performed in a copy of the kit by the very edits the guide writes, then checked as an
instructor would: the reference keeps every point, the exercises lose exactly the new
checks' points, a LeakyReLU whose backward is ReLU's loses exactly one check with its
mistake named, and the notebook and the student guide show the new checks."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import manifest

pytestmark = pytest.mark.grading

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "autograder" / "README.md"
SECTION = "### Add an activation exercise: LeakyReLU"
# An edit: <!-- edit PATH before|replace "ANCHOR" --> then a fenced block, the text to insert or put instead;
# a block inserted before a top-level statement is separated from it by two blank lines.
EDIT = re.compile(r'<!-- edit (\S+) (before|replace) "((?:[^"\\]|\\.)*)" -->\n```\w*\n(.*?)```\n', re.DOTALL)
COPIED = ("autograder", "reference", "exercises", "course/source", "pyproject.toml", "nbgrader_config.py")
NEW_CHECKS = {"activations.leakyrelu_forward": 1, "activations.leakyrelu_backward": 1}
RELU_BACKWARD = (
    "        (derivative,) = self.pop_saved()\n        return grad_output * derivative\n",
    "        (derivative,) = self.pop_saved()\n        return grad_output * (derivative == 1).to(grad_output.dtype)\n",
)


def framework_points() -> dict[str, float]:
    """check name -> points of the kit's own framework checks, before the adaptation."""
    return {
        check.name: check.points
        for check in manifest.CHECKS
        if manifest.TASKS_BY_NAME[check.task].project == "framework"
    }


def guide_edits() -> list[tuple[str, str, str, str]]:
    """The edits of the guide's LeakyReLU section: (path, how, anchor, text), in order."""
    text = GUIDE.read_text()
    start = text.index(SECTION)
    section = text[start : text.index("\n### ", start + len(SECTION))]
    return [(path, how, anchor.replace('\\"', '"'), body) for path, how, anchor, body in EDIT.findall(section)]


def apply(kit: Path, edits: list[tuple[str, str, str, str]]) -> None:
    """Make the guide's edits in ``kit``: each anchor must occur exactly once."""
    for path, how, anchor, body in edits:
        file = kit / path
        source = file.read_text()
        assert source.count(anchor) == 1, f"the guide's anchor {anchor!r} must occur once in {path}"
        separation = "\n\n" if how == "before" and not anchor[0].isspace() else ""
        replacement = body + separation + anchor if how == "before" else body.rstrip("\n")
        file.write_text(source.replace(anchor, replacement))


def run(kit: Path, *arguments: str) -> subprocess.CompletedProcess:
    """``python -m autograder ARGUMENTS`` in ``kit``, with its own autograder and reference."""
    return subprocess.run(
        [sys.executable, "-m", "autograder", *arguments], cwd=kit, capture_output=True, text=True, timeout=600
    )


def grade(kit: Path, solution: str) -> dict:
    """Gradescope's results of ``solution`` on the framework project, graded by the kit in ``kit``."""
    results = kit / f"{solution.replace('/', '_')}.json"
    done = run(kit, "--solution", solution, "-m", "framework", "--grade-json", str(results))
    assert results.is_file(), done.stdout + done.stderr
    return json.loads(results.read_text())


def points_by_check(results: dict) -> dict[str, tuple[float, float]]:
    """check name -> (score, max_score) of a results file."""
    return {test["name"].partition(":")[0]: (test["score"], test["max_score"]) for test in results["tests"]}


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> Path:
    """A copy of the kit adapted by the guide's edits, rebuilt by the guide's two commands."""
    kit = tmp_path_factory.mktemp("adapted")
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    for name in COPIED:
        source, destination = ROOT / name, kit / name
        if source.is_dir():
            shutil.copytree(source, destination, ignore=ignore)
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)
    apply(kit, guide_edits())
    for command in ("build-exercises", "build-notebooks"):
        done = run(kit, command)
        assert done.returncode == 0, done.stdout + done.stderr
    return kit


def test_the_guide_writes_an_edit_in_each_of_its_three_files():
    assert {path for path, *_ in guide_edits()} == {
        "reference/framework/activations.py",
        "reference/framework/__init__.py",
        "autograder/judge/checks_framework.py",
    }


def test_the_reference_keeps_every_point_and_the_new_checks_are_declared(kit):
    results = grade(kit, "reference")
    graded = points_by_check(results)
    old = {
        check.name: check.points
        for check in manifest.CHECKS
        if manifest.TASKS_BY_NAME[check.task].project == "framework"
    }
    assert {name: maximum for name, (_, maximum) in graded.items()} == old | NEW_CHECKS
    assert results["score"] == results["max_score"] == sum(old.values()) + sum(NEW_CHECKS.values()), results


def test_the_exercises_lose_exactly_the_new_points_too(kit):
    results = grade(kit, "exercises")
    framework = sum(
        check.points for check in manifest.CHECKS if manifest.TASKS_BY_NAME[check.task].project == "framework"
    )
    assert results["score"] == 0 and results["max_score"] == framework + sum(NEW_CHECKS.values())
    assert {name: graded for name, graded in points_by_check(results).items() if name in NEW_CHECKS} == {
        name: (0, points) for name, points in NEW_CHECKS.items()
    }


def test_a_leaky_relu_whose_backward_is_relu_s_loses_exactly_its_backward_check_named(kit):
    wrong = kit / "wrong"
    shutil.copytree(kit / "reference", wrong, ignore=shutil.ignore_patterns("__pycache__"))
    path = wrong / "framework" / "activations.py"
    source = path.read_text()
    leaky = source.index("class LeakyReLU")
    body = source[leaky:].replace(*RELU_BACKWARD, 1)
    assert body != source[leaky:], "the LeakyReLU of the guide pops its saved derivative in backward"
    path.write_text(source[:leaky] + body)
    results = grade(kit, "wrong")
    lost = [test for test in results["tests"] if test["score"] < test["max_score"]]
    assert [test["name"].partition(":")[0] for test in lost] == ["activations.leakyrelu_backward"], lost
    assert "ReLU's backward" in lost[0]["output"], lost[0]["output"]


def test_the_notebook_and_the_student_guide_show_the_new_checks(kit):
    notebook = (kit / "course/source/framework/framework.ipynb").read_text()
    guide = (kit / "exercises/README.md").read_text()
    for name in NEW_CHECKS:
        assert f"check('{name}', solution())" in notebook, name
        assert f"| `{name}` | {NEW_CHECKS[name]} |" in guide, name
    assert "class LeakyReLU" in (kit / "exercises/framework/activations.py").read_text()
