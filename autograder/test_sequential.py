"""Task sequential: chaining modules, and a whole network's gradients."""

import pytest

from autograder.checks import framework as checks

pytestmark = pytest.mark.sequential


@pytest.mark.points(2)
def test_sequential_forward_and_param(framework):
    """Sequential runs forward in order and concatenates param()"""
    checks.sequential_forward_and_param(framework)


@pytest.mark.points(4)
def test_network_gradients(framework):
    """a 2-25-25-25-2 network with MSE agrees with central differences"""
    checks.network_gradients(framework)
