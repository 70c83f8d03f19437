"""Task pair_data: the pair loader keeps its contract."""

import pytest

from autograder.checks import pairs as checks

pytestmark = pytest.mark.pair_data


@pytest.mark.points(4)
def test_pair_sets_contract(pairs):
    """generate_pair_sets keeps its shapes, dtypes, targets, seeds and distinct option"""
    checks.pair_sets_contract(pairs)
