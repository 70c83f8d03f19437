"""Task loss: the mean squared error."""

import pytest

from autograder.checks import framework as checks

pytestmark = pytest.mark.loss


@pytest.mark.points(2)
def test_mse_forward(framework):
    """MSELoss is the mean of squared differences over all elements"""
    checks.mse_forward(framework)


@pytest.mark.points(3)
def test_mse_backward(framework):
    """MSELoss.backward returns 2 (prediction - target) / M"""
    checks.mse_backward(framework)
