"""Task activations: ReLU, Tanh, Sigmoid and NoActivation."""

import pytest

from autograder.checks import framework as checks

pytestmark = pytest.mark.activations


@pytest.mark.points(3)
def test_activation_forward(framework):
    """each activation's forward matches its closed form, keeping shape and dtype"""
    checks.activation_forward(framework)


@pytest.mark.points(3)
def test_activation_backward(framework):
    """each activation's backward agrees with central differences"""
    checks.activation_backward(framework)


@pytest.mark.points(2)
def test_sigmoid_is_stable(framework):
    """Sigmoid stays finite and exact for |s| up to 1e4"""
    checks.sigmoid_stability(framework)
