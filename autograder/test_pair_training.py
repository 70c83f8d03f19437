"""Task pair_training: the training step and the training loop."""

import pytest

from autograder.checks import pairs as checks

pytestmark = pytest.mark.pair_training


@pytest.mark.points(4)
def test_train_step(pairs):
    """train_step zeroes the gradients, steps once and returns the loss"""
    checks.train_step_contract(pairs)


@pytest.mark.points(3)
def test_train_history_and_seed(pairs):
    """train records every epoch and the same seed gives the same history"""
    checks.train_history_and_seed(pairs)
