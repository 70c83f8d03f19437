"""The mean squared error loss."""

from __future__ import annotations

import torch

from .module import Module


class MSELoss(Module):
    r"""Mean squared error over all elements: :math:`L = \frac{1}{M} \sum_i (p_i - t_i)^2`.

    :math:`M` is the number of elements of the prediction (N x D), so
    :math:`\partial L / \partial p = \frac{2}{M} (p - t)`.

    Shape:
        - Prediction: (N, D).
        - Target: the same shape and dtype as the prediction: encode class labels
          first (``one_hot``).
        - Output: a scalar (0-dimensional tensor); ``backward()``, which takes no
          argument, returns :math:`\partial L / \partial p`, of the prediction's shape.

    Example:
        >>> loss = MSELoss()
        >>> loss(torch.zeros(4, 2), torch.ones(4, 2))
        tensor(1.)
        >>> loss.backward()
        tensor([[-0.2500, -0.2500],
                [-0.2500, -0.2500],
                [-0.2500, -0.2500],
                [-0.2500, -0.2500]])
    """

    def forward(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Return the mean of (prediction - target)^2 over all elements."""
        if prediction.shape != target.shape:
            raise ValueError(
                f"MSELoss: prediction and target must have the same shape, got "
                f"{tuple(prediction.shape)} and {tuple(target.shape)}. For class labels of shape "
                f"(N,), encode them with one_hot(labels, classes) for several outputs, or as "
                f"labels.float().unsqueeze(1) for one."
            )
        # Save the difference p - t, which backward needs; return its mean square.
        # YOUR CODE HERE
        raise NotImplementedError("task loss: write MSELoss.forward")

    def backward(self) -> torch.Tensor:
        """Return dL/dprediction = 2 (prediction - target) / M."""
        # Pop the difference this call's forward saved; M is its number of elements.
        # YOUR CODE HERE
        raise NotImplementedError("task loss: write MSELoss.backward")
