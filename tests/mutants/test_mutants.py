"""Every mutant loses points in the tasks it breaks, its message names the mistake, no check
crashes, and the only other tasks that lose points are those its ``also`` lists, each of which does.

The mutants test the checks, not the sandbox: they are graded by the real judge on warm
workers (``warm.workers()``: no torch import per grading, each probe's answer computed once
per code it imports, several gradings at once, the longest first), and a sample of them
(``SAMPLE``) again end to end through the sandbox, which must give every check the same outcome.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from grading import ROOT, copy_reference, grade
from mutant import Mutant
from mutants import MUTANTS
from warm import disagreements, grade_concurrently, workers

from autograder import manifest
from autograder.judge.report import Report

pytestmark = [pytest.mark.grading, pytest.mark.training, pytest.mark.usefixtures("fixed_secrets")]


def project(mutant: Mutant) -> str:
    """The project a mutant edits."""
    return mutant.file.partition("/")[0]


def apply(mutant: Mutant, destination) -> None:
    """Copy the reference to ``destination`` and make the mutant's edits there."""
    copy_reference(destination)
    path = destination / mutant.file
    source = path.read_text()
    for old, new in mutant.edits:
        assert source.count(old) == 1, f"{mutant.name}: the text to replace must occur once in {mutant.file}"
        source = source.replace(old, new)
    path.write_text(source)


def first(mutants: list[Mutant]) -> list[Mutant]:
    """The first of ``mutants`` of each project."""
    found: dict[str, Mutant] = {}
    for mutant in mutants:
        found.setdefault(project(mutant), mutant)
    return list(found.values())


SAMPLE = first(MUTANTS)  # graded through the sandbox too


def cost(mutant: Mutant) -> tuple[bool, bool]:
    """How long a mutant's grading takes, for the order of the gradings: project 1's accuracy training
    is the longest probe, and it runs all its epochs when the mistake keeps the model from learning."""
    stops_learning = "pair_accuracy" in mutant.tasks + mutant.also + mutant.borderline
    return stops_learning, project(mutant) == "pairs"


def grade_all(mutants: list[Mutant], folder: Path) -> dict[str, Report]:
    """Grade every mutant on every task of its project, several at a time (``grade_concurrently``)."""
    copies = {mutant.name: folder / f"mutant{number}" for number, mutant in enumerate(mutants)}
    for mutant in mutants:
        apply(mutant, copies[mutant.name])

    def run(mutant: Mutant) -> Report:
        return grade(copies[mutant.name], project(mutant))

    return dict(zip(copies, grade_concurrently(mutants, run, cost), strict=True))


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Report]:
    """Every mutant's report, graded on warm workers."""
    with workers():
        return grade_all(MUTANTS, tmp_path_factory.mktemp("mutants"))


@pytest.fixture(scope="module")
def sandboxed(tmp_path_factory) -> dict[str, Report]:
    """The sample's reports, graded through the sandbox."""
    return grade_all(SAMPLE, tmp_path_factory.mktemp("sandboxed"))


def test_there_are_enough_mutants_and_at_least_15_name_their_mistake():
    assert len(MUTANTS) >= 25 and len({mutant.name for mutant in MUTANTS}) == len(MUTANTS)
    assert all((ROOT / "reference" / mutant.file).is_file() for mutant in MUTANTS)
    assert sum(bool(mutant.named) for mutant in MUTANTS) >= 15
    tasks = {task.name for task in manifest.TASKS}
    assert all(set(mutant.tasks) | set(mutant.also) | set(mutant.borderline) <= tasks for mutant in MUTANTS)


@pytest.mark.parametrize("mutant", MUTANTS, ids=[mutant.name for mutant in MUTANTS])
def test_a_mutant_loses_points_where_it_breaks_and_names_its_mistake(mutant, reports):
    report, expectation = reports[mutant.name], mutant
    lost = {
        task
        for task in {check.task for check in report.checks}
        if report.task_score(task)[0] < report.task_score(task)[1]
    }
    expected = set(expectation.tasks) | set(expectation.also)
    lost -= set(expectation.borderline) - expected
    assert lost == expected, (
        f"{mutant.name} lost points in {sorted(lost)}, expected exactly {sorted(expected)}:\n" + report.feedback()
    )
    crashed = [check.name for check, outcome in report.failures() if outcome.status == "crashed"]
    assert not crashed, f"{mutant.name}: checks crashed instead of failing: {crashed}\n" + report.feedback()
    if expectation.named:
        text = "\n".join(outcome.message for check, outcome in report.failures() if check.task in expectation.tasks)
        assert expectation.named in text, f"{mutant.name}: the message does not name the mistake:\n{text}"


@pytest.mark.parametrize("mutant", SAMPLE, ids=[mutant.name for mutant in SAMPLE])
def test_the_sandbox_gives_a_mutant_the_outcomes_of_the_warm_grading(mutant, reports, sandboxed):
    differ = disagreements(reports[mutant.name].outcomes, sandboxed[mutant.name].outcomes)
    assert not differ, f"{mutant.name}: the sandbox and the warm workers disagree:\n" + "\n".join(differ)
