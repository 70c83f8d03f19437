"""Task weight_sharing: one branch for both images, where and only where it is meant."""

import pytest

from autograder.checks import pairs as checks

pytestmark = pytest.mark.weight_sharing


@pytest.mark.points(8)
def test_weight_sharing(pairs):
    """swapping the images swaps the features of shared and shared_digits, and of no other model"""
    checks.weight_sharing(pairs)
