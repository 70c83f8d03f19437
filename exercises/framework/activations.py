"""Element-wise activation functions: ReLU, Tanh, Sigmoid and the identity.

Each maps a tensor of any shape to a tensor of the same shape, :math:`y = \\sigma(s)`,
and its backward multiplies the incoming gradient by the derivative:
:math:`\\partial L / \\partial s = \\partial L / \\partial y \\odot \\sigma'(s)`.
"""

from __future__ import annotations

import torch

from .module import Module


class ReLU(Module):
    r"""Rectified linear unit: :math:`\mathrm{ReLU}(s) = \max(0, s)`.

    Its derivative is 1 where :math:`s > 0` and 0 elsewhere (0 at the kink).

    Shape:
        - Input: any shape.
        - Output: the same shape.
    """

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        """Return max(0, s) element-wise."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        """Return grad_output where the input was positive, 0 elsewhere."""
        # YOUR CODE HERE
        raise NotImplementedError()


class Tanh(Module):
    r"""Hyperbolic tangent: :math:`\tanh(s)`, whose derivative is :math:`1 - \tanh(s)^2`.

    Shape:
        - Input: any shape.
        - Output: the same shape.
    """

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        """Return tanh(s) element-wise."""
        # The derivative is cheapest from the output y = tanh(s): keep y.
        # YOUR CODE HERE
        raise NotImplementedError()

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        """Return grad_output * (1 - y^2)."""
        # YOUR CODE HERE
        raise NotImplementedError()


class Sigmoid(Module):
    r"""Logistic sigmoid: :math:`\sigma(s) = 1 / (1 + e^{-s})`, with :math:`\sigma' = \sigma (1 - \sigma)`.

    Computed without overflow: :math:`e^{-s}` overflows for large negative :math:`s`,
    so with :math:`e = e^{-|s|} \le 1`, :math:`\sigma(s) = 1 / (1 + e)` for
    :math:`s \ge 0` and :math:`e / (1 + e)` for :math:`s < 0`.

    Shape:
        - Input: any shape.
        - Output: the same shape.
    """

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        """Return sigmoid(s) element-wise, with no overflow for any finite s."""
        # Keep the output y = sigmoid(s): the derivative is y (1 - y).
        # YOUR CODE HERE
        raise NotImplementedError()

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        """Return grad_output * y * (1 - y)."""
        # YOUR CODE HERE
        raise NotImplementedError()


class NoActivation(Module):
    """The identity, :math:`y = s`: a network's last layer when its output is linear.

    Shape:
        - Input: any shape.
        - Output: the same shape.
    """

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        """Return s unchanged."""
        # Warm-up: the simplest module of all. Nothing to save.
        # YOUR CODE HERE
        raise NotImplementedError()

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        """Return grad_output unchanged (the derivative is 1)."""
        # YOUR CODE HERE
        raise NotImplementedError()


Identity = NoActivation
