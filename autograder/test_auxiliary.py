"""Task auxiliary: the loss combination and the auxiliary heads."""

import pytest

from autograder.checks import pairs as checks

pytestmark = pytest.mark.auxiliary


@pytest.mark.points(6)
def test_loss_combination(pairs):
    """model.loss adds the weighted auxiliary and digit losses to the comparison loss"""
    checks.loss_combination(pairs)


@pytest.mark.points(4)
def test_auxiliary_gradients(pairs):
    """the loss sends gradient to every auxiliary output and to the digit logits"""
    checks.auxiliary_gradients(pairs)
