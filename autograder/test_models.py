"""Task models: every model's layers and forward."""

import pytest

from autograder.checks import pairs as checks

pytestmark = pytest.mark.models


@pytest.mark.points(10)
def test_model_outputs(pairs):
    """every model returns comparison, digits and auxiliary of the right shapes"""
    checks.model_outputs(pairs)


@pytest.mark.points(3)
def test_parameter_budget(pairs):
    """the shallow models keep within 70,000 parameters"""
    checks.parameter_budget(pairs)
