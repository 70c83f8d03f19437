"""Shared setup of the kit's tests: the helpers' folder on the path, pytester, the cost markers,
no grading server, the fixed secrets of the tests that grade, and the warm lane they may grade in.

A test marked with what it costs (``grading``, ``training``, ``browser``, ``nbgrader``, ``slurm``)
is also ``slow``: ``pytest -m "not slow"`` is the quick run.
"""

import random
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import grading  # the helpers' folder, just put on the path

from autograder import sandbox
from autograder.judge import secret
from autograder.judge.lanes import Lane

pytest_plugins = ["pytester"]
COSTS = ("grading", "training", "browser", "nbgrader", "slurm")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every costly test slow."""
    for item in items:
        if any(item.get_closest_marker(cost) for cost in COSTS):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", autouse=True)
def no_grading_server(tmp_path_factory) -> Iterator[None]:
    """The tests' runs of the grader never reach a grading server that may be running here
    (``python -m autograder serve``): their socket folder is an empty one of the session's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_RUNTIME_DIR", str(tmp_path_factory.mktemp("runtime")))
        yield


SECRET_SEED = 0  # the seed of the numbers every grading of a test draws in place of its secrets


@pytest.fixture(scope="module")
def fixed_secrets() -> Iterator[None]:
    """Every grading of the test module draws its secrets (``secret.draw``) from the same seeded
    sequence, started afresh for each grading: its outcomes are the same on every run, whichever
    thread grades it and in whatever order. A module opts in with
    ``pytestmark = pytest.mark.usefixtures("fixed_secrets")``; module scope, so that the module's
    own module-scoped gradings draw from it too."""
    numbers = threading.local()
    judge = grading.judge

    def draw() -> int:
        return numbers.sequence.getrandbits(secret.BITS)

    def fixed_judge(*arguments, **keywords):
        numbers.sequence = random.Random(SECRET_SEED)
        return judge(*arguments, **keywords)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(secret, "draw", draw)
        patch.setattr(grading, "judge", fixed_judge)
        yield


@pytest.fixture(scope="session")
def lane() -> Iterator[Lane | None]:
    """One warm lane for the session, as ``grade-class`` grades a class: the gradings that take it
    (``grade(..., lane=lane)``) are students graded one after the other, each in sandboxes reset
    after the one before, without booting two sandboxes (torch imported in each) per grading.
    The tests of what a student's own run does (``python -m autograder``, one grading's workers)
    grade cold. None without bubblewrap: each grading then starts its own workers."""
    if not sandbox.isolation().full:
        yield None
        return
    made = Lane()
    yield made
    made.close()
