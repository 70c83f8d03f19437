"""The interface every layer, activation, loss and network of the framework follows."""

from __future__ import annotations

import torch


class Module:
    """Base class of the framework's modules.

    A module maps inputs to outputs in ``forward`` and, given the gradient of the loss
    with respect to its outputs, returns the gradient with respect to its inputs in
    ``backward``. ``backward`` also ADDS the gradients of the module's parameters to
    their gradient tensors, so that several backward passes accumulate until
    ``zero_grad`` resets them.

    ``forward`` keeps what ``backward`` will need with ``save_for_backward``;
    ``backward`` reads it back from ``saved_tensors``.

    Example:
        >>> layer = Linear(2, 3)
        >>> y = layer(torch.ones(4, 2))          # forward
        >>> dx = layer.backward(torch.ones(4, 3))  # backward: fills layer.weight_grad
        >>> [tuple(p.shape) for p, g in layer.param()]
        [(3, 2), (3,)]
    """

    def __init__(self) -> None:
        self._saved: tuple[torch.Tensor, ...] | None = None

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        """Compute the module's output from its inputs."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def backward(self, *grad_outputs: torch.Tensor) -> torch.Tensor:
        """Return dLoss/dinput from dLoss/doutput and accumulate the parameters' gradients."""
        raise NotImplementedError(f"{type(self).__name__} does not define backward()")

    def param(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Return the ``(parameter, gradient)`` pairs of the module, empty when it has none."""
        return []

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero."""
        for _, grad in self.param():
            grad.zero_()

    def save_for_backward(self, *tensors: torch.Tensor) -> None:
        """Keep tensors computed in ``forward`` for use in ``backward``."""
        self._saved = tensors

    @property
    def saved_tensors(self) -> tuple[torch.Tensor, ...]:
        """The tensors given to ``save_for_backward`` by the last ``forward``."""
        if self._saved is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward() was called before forward(): run forward "
                f"first, it saves what backward needs."
            )
        return self._saved

    def __call__(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.forward(*inputs)

    def extra_repr(self) -> str:
        """The constructor arguments shown by ``repr``, as ``key=value``."""
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"
