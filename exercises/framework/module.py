"""The interface every layer, activation, loss and network of the framework follows."""

from __future__ import annotations

from typing import Any

import torch


class Module:
    """Base class of the framework's modules.

    A module maps inputs to outputs in ``forward`` and, given the gradient of the loss
    with respect to its outputs, returns the gradient with respect to its inputs in
    ``backward``. ``backward`` also ADDS the gradients of the module's parameters into
    the gradient tensors that ``param()`` returns, in place, so that several backward
    passes accumulate until ``zero_grad`` resets them. Modules work in float32 and
    float64: outputs and gradients keep the dtype of the inputs and parameters.

    What backward needs is kept per call, as autograd keeps one context per call: each
    ``forward`` pushes its tensors with ``save_for_backward``, each ``backward`` pops
    the latest with ``pop_saved``. A module used twice in a network is forwarded twice,
    then backpropagated twice in reverse order, and each backward finds its own call's
    tensors.

    In evaluation mode (``eval()``) forward saves nothing, for predictions that no
    backward follows; ``train()`` switches back. Modules start in training mode.

    For saving, ``architecture()`` describes the module as plain data (its class name
    and constructor ``arguments()``) and ``state_dict()`` names its parameters;
    ``load_state_dict`` copies saved parameters back into them.

    Attributes:
        training: whether ``forward`` saves what ``backward`` needs. Default: ``True``.
        saved: the tensors saved by the forwards not yet backpropagated, one tuple per
            call, the latest last.

    Example:
        >>> layer = Linear(2, 3)
        >>> y = layer(torch.ones(4, 2))            # forward: saves its input
        >>> dx = layer.backward(torch.ones(4, 3))  # backward: adds into layer.weight_grad
        >>> [tuple(p.shape) for p, g in layer.param()]
        [(3, 2), (3,)]
    """

    def __init__(self) -> None:
        self.training = True
        self.saved: list[tuple[torch.Tensor, ...]] = []

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        """Compute the module's output from its inputs."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def backward(self, *grad_outputs: torch.Tensor) -> torch.Tensor:
        """Return dLoss/dinput from dLoss/doutput and accumulate the parameters' gradients."""
        raise NotImplementedError(f"{type(self).__name__} does not define backward()")

    def __call__(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.forward(*inputs)

    def param(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Return the ``(parameter, gradient)`` pairs of the module, empty when it has none."""
        return []

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero, in place."""
        for _, grad in self.param():
            grad.zero_()

    def save_for_backward(self, *tensors: torch.Tensor) -> None:
        """Keep tensors computed in this ``forward`` for the ``backward`` of the same call."""
        if self.training:
            self.saved.append(tensors)

    def pop_saved(self) -> tuple[torch.Tensor, ...]:
        """Return, and forget, the tensors saved by the latest ``forward`` not yet backpropagated."""
        if not self.saved:
            raise RuntimeError(
                f"{type(self).__name__}.backward() was called before forward(): each backward needs "
                f"a forward of its own, run in training mode (in eval mode forward saves nothing)."
            )
        return self.saved.pop()

    def train(self, mode: bool = True) -> Module:
        """Set training mode (``mode=True``) or evaluation mode; return the module."""
        self.training = mode
        if not mode:
            self.saved.clear()
        return self

    def eval(self) -> Module:
        """Set evaluation mode, where forward saves nothing; return the module."""
        return self.train(False)

    def arguments(self) -> dict[str, Any]:
        """The constructor's keyword arguments that rebuild this module: none by default."""
        return {}

    def architecture(self) -> dict[str, Any]:
        """The module as plain data: ``{"module": class name, "arguments": arguments()}``."""
        return {"module": type(self).__name__, "arguments": self.arguments()}

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The module's parameters by name (the tensors themselves, not copies): none by default."""
        return {}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """Copy ``state``'s tensors into this module's parameters, in place.

        Raises:
            ValueError: ``state`` lacks a parameter, has one too many, or one of
                another shape or dtype.
        """
        own = self.state_dict()
        if set(state) != set(own):
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: expected the parameters {sorted(own)}, got {sorted(state)}"
            )
        for name, parameter in own.items():
            given = state[name]
            if given.shape != parameter.shape or given.dtype != parameter.dtype:
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: {name} must be {tuple(parameter.shape)} "
                    f"{parameter.dtype}, got {tuple(given.shape)} {given.dtype}"
                )
            parameter.copy_(given)

    def extra_repr(self) -> str:
        """The constructor arguments shown by ``repr``, as ``key=value``."""
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


def check_positive_integer(name: str, value: object) -> None:
    """Raise a ``ValueError`` saying that ``name`` must be a positive integer, unless it is one.

    ``True`` and ``2.0`` are refused: a count is an ``int``.

    Example:
        >>> check_positive_integer("batch_size", 0)
        Traceback (most recent call last):
            ...
        ValueError: batch_size must be a positive integer, got 0
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
