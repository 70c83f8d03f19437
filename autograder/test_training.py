"""Task training: the training loop and accuracy."""

import pytest

from autograder.checks import framework as checks

pytestmark = pytest.mark.training


@pytest.mark.points(3)
def test_accuracy_values(framework):
    """accuracy thresholds one output, takes the argmax of several, for any batch size"""
    checks.accuracy_values(framework)


@pytest.mark.points(4)
def test_train_is_sgd(framework):
    """train performs exact SGD steps with momentum and gradient accumulation"""
    checks.train_matches_sgd(framework)


@pytest.mark.points(3)
def test_disk_accuracy(framework):
    """the EPFL network trained by your train reaches >= 80% on the disk"""
    checks.disk_accuracy(framework)
