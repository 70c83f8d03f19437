"""Every mutant of tests/mutants/mutants.py loses points in the tasks it breaks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from grading import ROOT, Grade, copy_reference, grade
from mutants import MUTANTS, Mutant

pytestmark = pytest.mark.slow


def apply(mutant: Mutant, destination) -> None:
    """Copy the reference to ``destination`` and make the mutant's edit there."""
    copy_reference(destination)
    path = destination / mutant.file
    source = path.read_text()
    for old, new in mutant.edits:
        assert source.count(old) == 1, f"{mutant.name}: the text to replace must occur once in {mutant.file}"
        source = source.replace(old, new)
    path.write_text(source)


@pytest.fixture(scope="module")
def grades(tmp_path_factory) -> dict[str, Grade]:
    """Grade every mutant on its tasks, two at a time."""
    folder = tmp_path_factory.mktemp("mutants")

    def run(numbered: tuple[int, Mutant]) -> tuple[str, Grade]:
        number, mutant = numbered
        apply(mutant, folder / f"mutant{number}")
        return mutant.name, grade(folder / f"mutant{number}", "-m", " or ".join(mutant.tasks))

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(run, enumerate(MUTANTS)))


def test_there_are_at_least_25_mutants_with_distinct_names():
    assert len(MUTANTS) >= 25
    assert len({mutant.name for mutant in MUTANTS}) == len(MUTANTS)
    assert all((ROOT / "reference" / mutant.file).is_file() for mutant in MUTANTS)


@pytest.mark.parametrize("mutant", MUTANTS, ids=[mutant.name for mutant in MUTANTS])
def test_mutant_loses_points(mutant, grades):
    result = grades[mutant.name]
    for task in mutant.tasks:
        earned, possible = result.task_score(task)
        assert possible > 0 and earned < possible, f"{mutant.name}: task {task} kept {earned}/{possible}"
