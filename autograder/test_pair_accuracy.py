"""Task pair_accuracy: the recommended model, trained by your own code."""

import pytest

from autograder.checks import pairs as checks

pytestmark = pytest.mark.pair_accuracy


@pytest.mark.points(8)
def test_shared_digits_accuracy(pairs):
    """shared_digits trained by your train reaches >= 85% test accuracy"""
    checks.shared_digits_accuracy(pairs)
