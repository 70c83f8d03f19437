"""Shared setup of the kit's tests: the helpers' folder on the path, pytester, and the cost markers.

A test marked with what it costs (``grading``, ``training``, ``browser``, ``nbgrader``)
is also ``slow``: ``pytest -m "not slow"`` is the quick run.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

pytest_plugins = ["pytester"]
COSTS = ("grading", "training", "browser", "nbgrader")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every costly test slow."""
    for item in items:
        if any(item.get_closest_marker(cost) for cost in COSTS):
            item.add_marker(pytest.mark.slow)
