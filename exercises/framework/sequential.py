"""A network as a chain of modules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch

from .module import Module


class Sequential(Module):
    """Chain modules: forward runs them in order, backward in reverse order.

    A module may appear more than once (a layer used twice shares its weights): it
    keeps what each call's backward needs, and its gradient sums both uses.

    Args:
        *modules: the modules, first to last.

    Shape:
        - Input: what the first module takes, e.g. :math:`(N, D)` for a ``Linear``.
        - Output: what the last module returns.

    Example:
        >>> net = Sequential(Linear(2, 25), ReLU(), Linear(25, 2))
        >>> net(torch.rand(10, 2)).shape
        torch.Size([10, 2])
        >>> net.backward(torch.ones(10, 2)).shape  # dLoss/dinput
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
        raise NotImplementedError("task sequential: write Sequential.forward")

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        """Feed the gradient through every module's backward in reverse order; return dLoss/dinput."""
        # YOUR CODE HERE
        raise NotImplementedError("task sequential: write Sequential.backward")

    def param(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Return the ``(parameter, gradient)`` pairs of all modules, first module first."""
        # One list: the pairs of the first module, then those of the second, and so on.
        # YOUR CODE HERE
        raise NotImplementedError("task sequential: write Sequential.param")

    def train(self, mode: bool = True) -> Sequential:
        """Set every module's mode, and this one's; return the network."""
        for module in self.modules:
            module.train(mode)
        super().train(mode)
        return self

    def architecture(self) -> dict[str, Any]:
        """``{"module": "Sequential", "modules": [each module's architecture, in order]}``."""
        return {"module": "Sequential", "modules": [module.architecture() for module in self.modules]}

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Every module's parameters, named ``"<position>.<name>"`` as in PyTorch: ``"0.weight"``.

        The values are the modules' own tensors (from their ``state_dict()``), not copies.
        """
        # One dict: each module's state_dict() entries, each name prefixed by the module's
        # position in the chain and a dot.
        # YOUR CODE HERE
        raise NotImplementedError("task io: write Sequential.state_dict")

    def __len__(self) -> int:
        return len(self.modules)

    def __getitem__(self, index: int) -> Module:
        return self.modules[index]

    def __iter__(self) -> Iterator[Module]:
        return iter(self.modules)

    def __repr__(self) -> str:
        lines = [f"  ({index}): {module!r}" for index, module in enumerate(self.modules)]
        return "Sequential(\n" + "\n".join(lines) + "\n)"
