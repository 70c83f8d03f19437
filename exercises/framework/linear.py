"""The fully connected layer."""

from __future__ import annotations

import math
from typing import Any

import torch

from .module import Module, check_positive_integer


class Linear(Module):
    r"""Fully connected layer: :math:`y = x W^T + b`.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: if ``False``, the layer has no additive bias. Default: ``True``.
        dtype: dtype of the parameters, ``torch.float32`` or ``torch.float64``.
            Default: ``torch.float32``.

    Shape:
        - Input: :math:`(N, \text{in\_features})`, of the parameters' dtype.
        - Output: :math:`(N, \text{out\_features})`.

    Attributes:
        weight: :math:`(\text{out\_features}, \text{in\_features})`, initialised from
            :math:`\mathcal{U}(-k, k)` with :math:`k = 1 / \sqrt{\text{in\_features}}`
            (PyTorch's default).
        bias: :math:`(\text{out\_features},)`, from the same distribution, or ``None``.
        weight_grad, bias_grad: the gradients, of the same shapes (``bias_grad`` is
            ``None`` without bias), zero at first. ``backward`` adds into them in place.

    Example:
        >>> layer = Linear(2, 25)
        >>> layer(torch.rand(1000, 2)).shape
        torch.Size([1000, 25])
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, *, dtype: torch.dtype = torch.float32
    ) -> None:
        super().__init__()
        check_positive_integer("Linear: in_features", in_features)
        check_positive_integer("Linear: out_features", out_features)
        if dtype not in (torch.float32, torch.float64):
            raise ValueError(f"Linear: dtype must be torch.float32 or torch.float64, got {dtype!r}")
        self.in_features = in_features
        self.out_features = out_features
        self.weight = torch.empty(out_features, in_features, dtype=dtype)
        self.weight_grad = torch.zeros_like(self.weight)
        self.bias = torch.empty(out_features, dtype=dtype) if bias else None
        self.bias_grad = torch.zeros_like(self.bias) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw the weight and bias from U(-1/sqrt(in_features), 1/sqrt(in_features))."""
        bound = 1 / math.sqrt(self.in_features)
        for parameter, _ in self.param():
            parameter.uniform_(-bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r"""Return :math:`x W^T + b` for ``x`` of shape (N, in_features)."""
        if x.dim() != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"Linear({self.in_features}, {self.out_features}) expects input of shape "
                f"(N, {self.in_features}), got {tuple(x.shape)}"
            )
        # Save x: backward needs it for the weight's gradient. Return x W^T (+ b with a
        # bias): b of shape (out_features,) broadcasts over the batch, it never depends on N.
        # YOUR CODE HERE
        raise NotImplementedError("task linear: write Linear.forward")

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        r"""Accumulate the parameters' gradients and return the input's.

        With :math:`g = \partial L / \partial y` of shape (N, out_features):
        :math:`\partial L / \partial W \mathrel{+}= g^T x`,
        :math:`\partial L / \partial b \mathrel{+}= \sum_n g_n`, and the return value is
        :math:`\partial L / \partial x = g W`, of shape (N, in_features).
        """
        # Pop the x this call's forward saved; add g^T x into weight_grad and the sum of
        # g over the batch into bias_grad (in place, +=); return g W.
        # YOUR CODE HERE
        raise NotImplementedError("task linear: write Linear.backward")

    def param(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Return ``[(weight, weight_grad), (bias, bias_grad)]`` (no bias pair without bias).

        These are the layer's own tensors: ``backward`` adds into the gradients in
        place, and an optimiser updates the parameters in place.
        """
        pairs = [(self.weight, self.weight_grad), (self.bias, self.bias_grad)]
        return [(parameter, grad) for parameter, grad in pairs if parameter is not None]

    def arguments(self) -> dict[str, Any]:
        """The constructor's arguments: sizes, bias and dtype."""
        return {
            "in_features": self.in_features,
            "out_features": self.out_features,
            "bias": self.bias is not None,
            "dtype": self.weight.dtype,
        }

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Return ``{"weight": weight, "bias": bias}`` (no bias entry without bias).

        The values are the parameter tensors themselves, not copies: ``load_state_dict``
        copies a saved state into them.
        """
        # A dict of the parameter tensors by name: "weight", and "bias" when there is one.
        # YOUR CODE HERE
        raise NotImplementedError("task io: write Linear.state_dict")

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
