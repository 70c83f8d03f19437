"""Task io: saving and loading models."""

import pytest

from autograder.checks import framework as checks

pytestmark = pytest.mark.io


@pytest.mark.points(4)
def test_save_load_round_trip(framework, tmp_path):
    """load(save(model)) restores the architecture and bitwise-equal parameters"""
    checks.save_load_round_trip(framework, tmp_path)


@pytest.mark.points(2)
def test_load_refuses_code(framework, tmp_path):
    """load refuses a file whose pickle would run code, and nothing runs"""
    checks.load_refuses_code(framework, tmp_path)
