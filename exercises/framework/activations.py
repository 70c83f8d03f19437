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

    Example:
        >>> ReLU()(torch.tensor([-1.0, 0.0, 2.0]))
        tensor([0., 0., 2.])
    """

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        """Return max(0, s) element-wise."""
        # Save where s > 0 (the derivative is 1 there, 0 elsewhere); return max(0, s).
        # YOUR CODE HERE
        raise NotImplementedError("task activations: write ReLU.forward")

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        """Return grad_output * ReLU'(s): grad_output where s > 0, 0 elsewhere."""
        # Pop what this call's forward saved; return grad_output times the derivative.
        # YOUR CODE HERE
        raise NotImplementedError("task activations: write ReLU.backward")


class Tanh(Module):
    r"""Hyperbolic tangent: :math:`\tanh(s)`, whose derivative is :math:`1 - \tanh(s)^2`.

    Shape:
        - Input: any shape.
        - Output: the same shape.

    Example:
        >>> Tanh()(torch.zeros(2))
        tensor([0., 0.])
    """

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        """Return tanh(s) element-wise."""
        # The derivative is cheapest from the output y = tanh(s): save y, return it.
        # YOUR CODE HERE
        raise NotImplementedError("task activations: write Tanh.forward")

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        """Return grad_output * (1 - y^2)."""
        # Pop the y that this call's forward saved; return grad_output times 1 - y^2.
        # YOUR CODE HERE
        raise NotImplementedError("task activations: write Tanh.backward")


class Sigmoid(Module):
    r"""Logistic sigmoid: :math:`\sigma(s) = 1 / (1 + e^{-s})`, with :math:`\sigma' = \sigma (1 - \sigma)`.

    Computed without overflow: :math:`e^{-s}` overflows for large negative :math:`s`,
    so with :math:`e = e^{-|s|} \le 1`, :math:`\sigma(s) = 1 / (1 + e)` for
    :math:`s \ge 0` and :math:`e / (1 + e)` for :math:`s < 0`.

    Shape:
        - Input: any shape.
        - Output: the same shape.

    Example:
        >>> Sigmoid()(torch.tensor([-1000.0, 0.0, 1000.0]))
        tensor([0.0000, 0.5000, 1.0000])
    """

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        """Return sigmoid(s) element-wise, with no overflow for any finite s."""
        # Compute y = sigmoid(s) as above, with e = exp(-|s|) and torch.where; save y,
        # from which the derivative is y (1 - y); return y.
        # YOUR CODE HERE
        raise NotImplementedError("task activations: write Sigmoid.forward")

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        """Return grad_output * y * (1 - y)."""
        # Pop the y that this call's forward saved; return grad_output times y (1 - y).
        # YOUR CODE HERE
        raise NotImplementedError("task activations: write Sigmoid.backward")


class NoActivation(Module):
    """The identity, :math:`y = s`: a network's last layer when its output is linear.

    Its derivative is 1, so backward returns the incoming gradient unchanged; it has
    nothing to save. ``Identity`` is another name for it.

    Shape:
        - Input: any shape.
        - Output: the same shape.

    Example:
        >>> NoActivation()(torch.tensor([-1.0, 2.0]))
        tensor([-1.,  2.])
    """

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        """Return s unchanged."""
        # Nothing to compute and nothing to save: return s.
        # YOUR CODE HERE
        raise NotImplementedError("task activations: write NoActivation.forward")

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        """Return grad_output unchanged (the derivative is 1)."""
        # The derivative is 1 everywhere: return the incoming gradient as it is.
        # YOUR CODE HERE
        raise NotImplementedError("task activations: write NoActivation.backward")


Identity = NoActivation
# Every activation module: the classes a model file may name beside the layers (serialization.py).
ACTIVATIONS = (ReLU, Tanh, Sigmoid, NoActivation)
