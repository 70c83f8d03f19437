"""A network as a chain of modules."""

from __future__ import annotations

from collections.abc import Iterator

import torch

from .module import Module


class Sequential(Module):
    """Chain modules: forward runs them in order, backward in reverse order.

    Args:
        *modules: the modules, first to last.

    Example:
        >>> net = Sequential(Linear(2, 25), ReLU(), Linear(25, 2))
        >>> net(torch.rand(10, 2)).shape
        torch.Size([10, 2])
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for position, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(
                    f"Sequential: argument {position} is a {type(module).__name__}, not a Module: "
                    f"pass module instances such as Linear(2, 25) or ReLU()"
                )
        self.modules = list(modules)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Feed x through every module in order and return the last output."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        """Feed the gradient through every module's backward in reverse order."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def param(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Return the ``(parameter, gradient)`` pairs of all modules, in order."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def __len__(self) -> int:
        return len(self.modules)

    def __getitem__(self, index: int) -> Module:
        return self.modules[index]

    def __iter__(self) -> Iterator[Module]:
        return iter(self.modules)

    def __repr__(self) -> str:
        lines = [f"  ({index}): {module!r}" for index, module in enumerate(self.modules)]
        return "Sequential(\n" + "\n".join(lines) + "\n)"
