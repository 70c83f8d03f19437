"""Numeric gradients by central differences, to check analytic backward passes."""

from __future__ import annotations

from collections.abc import Callable

import torch

STEP = 1e-6


def numeric_gradient(function: Callable[[], torch.Tensor], tensor: torch.Tensor, step: float = STEP) -> torch.Tensor:
    """Return d function() / d tensor by central differences, perturbing ``tensor`` in place.

    ``function`` returns a scalar; ``tensor`` must be float64 for the estimate to be
    accurate to about ``step**2``. The tensor is restored exactly afterwards.
    """
    gradient = torch.zeros_like(tensor)
    flat, flat_gradient = tensor.view(-1), gradient.view(-1)
    for index in range(flat.numel()):
        original = flat[index].item()
        flat[index] = original + step
        above = float(function())
        flat[index] = original - step
        below = float(function())
        flat[index] = original
        flat_gradient[index] = (above - below) / (2 * step)
    return gradient


def relative_error(analytic: torch.Tensor, numeric: torch.Tensor) -> float:
    """Return ||a - n|| / (||a|| + ||n||), 0 when both are zero."""
    denominator = (analytic.norm() + numeric.norm()).item()
    return 0.0 if denominator == 0 else ((analytic - numeric).norm().item() / denominator)
