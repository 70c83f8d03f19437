"""Stochastic gradient descent."""

from __future__ import annotations

from collections.abc import Iterable

import torch


class SGD:
    r"""Stochastic gradient descent with momentum, PyTorch's convention.

    For each parameter :math:`p` with gradient :math:`g` and velocity :math:`v`
    (zero at first): :math:`v \leftarrow \mu v + g`, then
    :math:`p \leftarrow p - \eta v`. With :math:`\mu = 0` this is :math:`p \leftarrow p - \eta g`.

    The parameters are updated in place: the modules hold the same tensor objects, so
    they see the new values.

    Args:
        parameters: the ``(parameter, gradient)`` pairs, as ``Module.param()`` returns them;
            a parameter listed twice (a layer used twice in a network) is updated once.
        lr: learning rate :math:`\eta > 0`.
        momentum: momentum factor :math:`\mu` in [0, 1). Default: 0.

    Attributes:
        parameters: the distinct ``(parameter, gradient)`` pairs, in order.
        velocities: one velocity per parameter, of its shape.

    Example:
        >>> model = Sequential(Linear(2, 25), ReLU(), Linear(25, 2))
        >>> optimizer = SGD(model.param(), lr=0.1, momentum=0.9)
        >>> optimizer.zero_grad()
        >>> loss = MSELoss()
        >>> _ = loss(model(torch.rand(10, 2)), torch.zeros(10, 2))
        >>> _ = model.backward(loss.backward())
        >>> optimizer.step()
    """

    def __init__(
        self, parameters: Iterable[tuple[torch.Tensor, torch.Tensor]], lr: float, momentum: float = 0.0
    ) -> None:
        self.parameters = list({id(parameter): (parameter, grad) for parameter, grad in parameters}.values())
        if not lr > 0:
            raise ValueError(f"SGD: lr must be positive, got {lr!r}")
        if not 0 <= momentum < 1:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum!r}")
        for parameter, grad in self.parameters:
            if parameter.shape != grad.shape:
                raise ValueError(
                    f"SGD: a parameter of shape {tuple(parameter.shape)} came with a gradient of "
                    f"shape {tuple(grad.shape)}: param() must return (parameter, gradient) pairs"
                )
        self.lr = lr
        self.momentum = momentum
        self.velocities = [torch.zeros_like(parameter) for parameter, _ in self.parameters]

    def step(self) -> None:
        """Update every parameter in place from its gradient."""
        # For each parameter, its gradient and its velocity: v = mu v + g, then p = p - lr v,
        # both in place, so that the modules see the new values. torch.add(g, v, alpha=mu,
        # out=v) and parameter.sub_(v, alpha=lr) each make one pass, with no temporary tensor
        # (benchmarks/framework_vs_torch.py measures the step inside train).
        ### BEGIN SOLUTION
        for (parameter, grad), velocity in zip(self.parameters, self.velocities, strict=True):
            torch.add(grad, velocity, alpha=self.momentum, out=velocity)
            parameter.sub_(velocity, alpha=self.lr)
        ### END SOLUTION

    def zero_grad(self) -> None:
        """Set every gradient to zero, in place."""
        for _, grad in self.parameters:
            grad.zero_()
