"""Task sgd: stochastic gradient descent."""

import pytest

from autograder.checks import framework as checks

pytestmark = pytest.mark.sgd


@pytest.mark.points(2)
def test_sgd_step(framework):
    """SGD without momentum updates p <- p - lr g in place"""
    checks.sgd_step(framework)


@pytest.mark.points(3)
def test_sgd_momentum(framework):
    """SGD with momentum keeps a velocity per parameter"""
    checks.sgd_momentum(framework)
