"""Correct solutions that differ from the reference the way students' code does keep every point.

Each equivalent answers for the checks whose files import a file it changes. Equivalents
that change different files, and answer for different checks, share one grading (a
bundle): every check's verdict then belongs to one equivalent alone.

The equivalents test the checks, not the sandbox: the bundles are graded by the real judge on
warm workers (``warm.workers()``, several bundles at once, the longest first), and the bundles
of the first equivalent of each project again end to end through the sandbox, which must give
every check the same outcome.
"""

from __future__ import annotations

import time
import traceback
from pathlib import Path
from typing import NamedTuple

import pytest
from equivalent import Equivalent, apply, build, changed_files, checks_importing, unchanged_code
from framework_equivalents import FRAMEWORK
from grading import copy_reference, grade
from pairs_equivalents import PAIRS
from warm import disagreements, grade_concurrently, workers

from autograder import manifest
from autograder.judge.runner import Outcome

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("fixed_secrets")]

EQUIVALENTS = FRAMEWORK + PAIRS


class Plan(NamedTuple):
    """An equivalent, the files it changes and the checks that import them."""

    equivalent: Equivalent
    files: frozenset[str]
    checks: frozenset[str]


def plan(equivalent: Equivalent, folder: Path) -> Plan:
    """Build the equivalent alone in ``folder`` and find what it answers for."""
    solution = build(equivalent, folder)
    files = changed_files(solution)
    return Plan(equivalent, frozenset(files), frozenset(checks_importing(solution, files)))


def bundle(plans: list[Plan]) -> list[list[Plan]]:
    """Group the plans, first fit, so that no two of a group share a file or a check."""
    groups: list[list[Plan]] = []
    for new in plans:
        group = next(
            (g for g in groups if all(not (new.files & p.files or new.checks & p.checks) for p in g)),
            None,
        )
        if group is None:
            groups.append([new])
        else:
            group.append(new)
    return groups


def tasks_of(checks: frozenset[str]) -> list[str]:
    """The tasks of the named checks, in the manifest's order."""
    names = {manifest.CHECKS_BY_NAME[name].task for name in checks}
    return [task.name for task in manifest.TASKS if task.name in names]


class Bundle(NamedTuple):
    """The equivalents of a group, made together in one copy of the reference, graded once."""

    members: list[Plan]
    solution: Path

    @property
    def checks(self) -> frozenset[str]:
        """The checks that the members answer for."""
        return frozenset().union(*(member.checks for member in self.members))


def prepare(group: list[Plan], folder: Path) -> Bundle:
    """Make every equivalent of ``group`` in a copy of the reference at ``folder``."""
    solution = copy_reference(folder)
    for member in group:
        apply(member.equivalent.changes, solution)
    for member in group:  # together, each still answers for its own checks only
        assert checks_importing(solution, set(member.files)) == member.checks, member.equivalent.name
    return Bundle(group, solution)


def grade_bundle(bundle: Bundle) -> dict[str, dict[str, Outcome]]:
    """Grade a bundle's copy: each member's outcomes, by check."""
    try:
        report = grade(bundle.solution, " or ".join(tasks_of(bundle.checks)))
    except Exception:  # the judge crashed: each member's test shows where
        crash = Outcome("crashed", f"grading this bundle raised:\n{traceback.format_exc()}")
        return {member.equivalent.name: dict.fromkeys(member.checks, crash) for member in bundle.members}
    return {
        member.equivalent.name: {name: report.outcomes.get(name) for name in sorted(member.checks)}
        for member in bundle.members
    }


@pytest.fixture(scope="module")
def groups(tmp_path_factory) -> list[list[Plan]]:
    """Every equivalent's plan, in bundles."""
    folder = tmp_path_factory.mktemp("equivalents")
    return bundle([plan(equivalent, folder / f"alone{number}") for number, equivalent in enumerate(EQUIVALENTS)])


def cost(bundle: Bundle) -> tuple[bool, bool]:
    """How long a bundle's grading takes, for the order of the gradings: the accuracy tasks train,
    project 1's the longest."""
    tasks = tasks_of(bundle.checks)
    return "pair_accuracy" in tasks, "disk_accuracy" in tasks


def grade_all(groups: list[list[Plan]], folder: Path) -> dict[str, dict[str, Outcome]]:
    """Every equivalent's outcomes, by check, from one grading per bundle, several at a time
    (``grade_concurrently``)."""
    start = time.perf_counter()
    bundles = [prepare(group, folder / f"bundle{number}") for number, group in enumerate(groups)]
    results = {}
    for outcomes in grade_concurrently(bundles, grade_bundle, cost):
        results |= outcomes
    print(
        f"\n{sum(map(len, groups))} equivalents graded in {len(groups)} gradings, {time.perf_counter() - start:.0f} s"
    )
    return results


@pytest.fixture(scope="module")
def outcomes(groups, tmp_path_factory) -> dict[str, dict[str, Outcome]]:
    """Every equivalent's outcomes, by check, graded on warm workers."""
    with workers():
        return grade_all(groups, tmp_path_factory.mktemp("bundles"))


SAMPLE = [FRAMEWORK[0], PAIRS[0]]  # their bundles are graded through the sandbox too


def sample_groups(groups: list[list[Plan]]) -> list[list[Plan]]:
    """The bundles that hold an equivalent of ``SAMPLE``."""
    names = {equivalent.name for equivalent in SAMPLE}
    return [group for group in groups if names & {member.equivalent.name for member in group}]


@pytest.fixture(scope="module")
def sandboxed(groups, tmp_path_factory) -> dict[str, dict[str, Outcome]]:
    """The outcomes of the sample's bundles, graded through the sandbox."""
    return grade_all(sample_groups(groups), tmp_path_factory.mktemp("sandboxed"))


def graded_params() -> list:
    """One test per equivalent; a strict xfail where the autograder is known to take its points."""
    return [
        pytest.param(
            equivalent,
            id=equivalent.name,
            marks=[pytest.mark.xfail(strict=True, reason=equivalent.xfail)] if equivalent.xfail else [],
        )
        for equivalent in EQUIVALENTS
    ]


def test_at_least_15_equivalents_most_of_them_in_the_framework():
    assert len(EQUIVALENTS) >= 15
    assert len({equivalent.name for equivalent in EQUIVALENTS}) == len(EQUIVALENTS)
    assert len(FRAMEWORK) > len(PAIRS) > 0


@pytest.mark.parametrize("equivalent", EQUIVALENTS, ids=[equivalent.name for equivalent in EQUIVALENTS])
def test_equivalent_differs_from_the_reference(equivalent, tmp_path):
    for change in equivalent.changes:
        assert unchanged_code(change) is None, f"{equivalent.name}: {change.file}: {unchanged_code(change)}"
    files = changed_files(build(equivalent, tmp_path / "solution"))
    assert files == {change.file for change in equivalent.changes}, equivalent.name


@pytest.mark.grading
@pytest.mark.training
@pytest.mark.parametrize("equivalent", graded_params())
def test_equivalent_keeps_every_point(equivalent, outcomes):
    checks = outcomes[equivalent.name]
    assert checks, f"{equivalent.name} answers for no check: it changes nothing that is graded"
    lost = {name: outcome for name, outcome in checks.items() if outcome is None or not outcome.passed}
    if equivalent.loses:  # one deviation from a docstring: exactly its check, with the variant named
        check = lost.pop(equivalent.loses.check, None)
        assert check is not None, f"{equivalent.name} keeps {equivalent.loses.check}, which must charge its variant"
        assert equivalent.loses.named in check.message, f"{equivalent.name}: the variant is not named:\n{check.message}"
    assert not lost, f"{equivalent.name} ({equivalent.differs}) lost points:\n\n" + "\n\n".join(
        f"{name} ({manifest.CHECKS_BY_NAME[name].points:g} points): "
        + ("not graded" if outcome is None else f"{outcome.status}\n{outcome.message}")
        for name, outcome in lost.items()
    )


@pytest.mark.grading
@pytest.mark.training
@pytest.mark.parametrize("equivalent", SAMPLE, ids=[equivalent.name for equivalent in SAMPLE])
def test_the_sandbox_gives_a_bundle_the_outcomes_of_the_warm_grading(equivalent, groups, outcomes, sandboxed):
    group = next(group for group in sample_groups(groups) if equivalent in [member.equivalent for member in group])
    for name in (member.equivalent.name for member in group):
        differ = disagreements(outcomes[name], sandboxed[name])
        assert not differ, f"{name}: the warm workers and the sandbox disagree:\n" + "\n".join(differ)
