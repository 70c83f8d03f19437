"""Task linear: the fully connected layer."""

import pytest

from autograder.checks import framework as checks

pytestmark = pytest.mark.linear


@pytest.mark.points(2)
def test_linear_parameters(framework):
    """Linear's parameters: shapes, initial range and the param() contract"""
    checks.linear_parameters(framework)


@pytest.mark.points(3)
def test_linear_forward(framework):
    """Linear computes x W^T + b with a bias independent of the batch size"""
    checks.linear_forward(framework)


@pytest.mark.points(3)
def test_linear_backward(framework):
    """Linear's backward agrees with central differences for input, weight and bias"""
    checks.linear_backward(framework)


@pytest.mark.points(2)
def test_linear_gradients_accumulate(framework):
    """backward adds to the parameter gradients and zero_grad resets them"""
    checks.linear_accumulates(framework)
