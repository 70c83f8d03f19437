# Generated from reference/ by python -m autograder build-exercises: do not edit.
"""The reference's own definitions that the trusted parts (``trusted.py``) are built on.

Each is the reference's, its docstring left out and its solution markers removed: the
sandbox cannot see ``reference/``, and a trusted part must not drift from it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

# reference/framework/module.py


class Module:
    def __init__(self) -> None:
        self.training = True
        self.saved: list[tuple[torch.Tensor, ...]] = []

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def backward(self, *grad_outputs: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not define backward()")

    def __call__(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.forward(*inputs)

    def param(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        return []

    def zero_grad(self) -> None:
        for _, grad in self.param():
            grad.zero_()

    def save_for_backward(self, *tensors: torch.Tensor) -> None:
        if self.training:
            self.saved.append(tensors)

    def pop_saved(self) -> tuple[torch.Tensor, ...]:
        if not self.saved:
            raise RuntimeError(
                f"{type(self).__name__}.backward() was called before forward(): each backward needs "
                f"a forward of its own, run in training mode (in eval mode forward saves nothing)."
            )
        return self.saved.pop()

    def train(self, mode: bool = True) -> Module:
        self.training = mode
        if not mode:
            self.saved.clear()
        return self

    def eval(self) -> Module:
        return self.train(False)

    def arguments(self) -> dict[str, Any]:
        return {}

    def architecture(self) -> dict[str, Any]:
        return {"module": type(self).__name__, "arguments": self.arguments()}

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
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
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


def check_positive_integer(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


# reference/framework/linear.py


class Linear(Module):
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
        bound = 1 / math.sqrt(self.in_features)
        for parameter, _ in self.param():
            parameter.uniform_(-bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"Linear({self.in_features}, {self.out_features}) expects input of shape "
                f"(N, {self.in_features}), got {tuple(x.shape)}"
            )
        # Save x: backward needs it for the weight's gradient. Return x W^T (+ b with a
        # bias): b of shape (out_features,) broadcasts over the batch, it never depends on N.
        self.save_for_backward(x)
        if self.bias is None:
            return x @ self.weight.T
        return x @ self.weight.T + self.bias

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        # Pop the x this call's forward saved; add g^T x into weight_grad and the sum of
        # g over the batch into bias_grad (in place, +=); return g W.
        (x,) = self.pop_saved()
        self.weight_grad += grad_output.T @ x
        if self.bias is not None:
            self.bias_grad += grad_output.sum(dim=0)
        return grad_output @ self.weight

    def param(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        pairs = [(self.weight, self.weight_grad), (self.bias, self.bias_grad)]
        return [(parameter, grad) for parameter, grad in pairs if parameter is not None]

    def arguments(self) -> dict[str, Any]:
        return {
            "in_features": self.in_features,
            "out_features": self.out_features,
            "bias": self.bias is not None,
            "dtype": self.weight.dtype,
        }

    def state_dict(self) -> dict[str, torch.Tensor]:
        # A dict of the parameter tensors by name: "weight", and "bias" when there is one.
        state = {"weight": self.weight}
        if self.bias is not None:
            state["bias"] = self.bias
        return state

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


# reference/framework/activations.py


class Tanh(Module):
    def forward(self, s: torch.Tensor) -> torch.Tensor:
        # The derivative is cheapest from the output y = tanh(s): save y, return it.
        y = torch.tanh(s)
        self.save_for_backward(y)
        return y

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        # Pop the y that this call's forward saved; return grad_output times 1 - y^2.
        (y,) = self.pop_saved()
        derivative = 1 - y * y
        return grad_output * derivative


# reference/framework/loss.py


class MSELoss(Module):
    def forward(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if prediction.shape != target.shape:
            raise ValueError(
                f"MSELoss: prediction and target must have the same shape, got "
                f"{tuple(prediction.shape)} and {tuple(target.shape)}. For class labels of shape "
                f"(N,), encode them with one_hot(labels, classes) for several outputs, or as "
                f"labels.float().unsqueeze(1) for one."
            )
        # Save the difference p - t, which backward needs; return its mean square.
        difference = prediction - target
        self.save_for_backward(difference)
        return difference.pow(2).mean()

    def backward(self) -> torch.Tensor:
        # Pop the difference this call's forward saved; M is its number of elements.
        (difference,) = self.pop_saved()
        count = difference.numel()
        return difference * (2 / count)


# reference/framework/optim.py


class SGD:
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
        # For each parameter, its gradient and its velocity: v = mu v + g, then p = p - lr v,
        # both in place, so that the modules see the new values. torch.add(g, v, alpha=mu,
        # out=v) and parameter.sub_(v, alpha=lr) each make one pass, with no temporary tensor
        # (benchmarks/framework_vs_torch.py measures the step inside train).
        for (parameter, grad), velocity in zip(self.parameters, self.velocities, strict=True):
            torch.add(grad, velocity, alpha=self.momentum, out=velocity)
            parameter.sub_(velocity, alpha=self.lr)

    def zero_grad(self) -> None:
        for _, grad in self.parameters:
            grad.zero_()


# reference/pairs/models.py


class PairOutput(NamedTuple):
    comparison: torch.Tensor
    digits: torch.Tensor | None = None
    auxiliary: tuple[torch.Tensor, ...] = ()


def conv_block(in_channels: int, out_channels: int, pool: bool = True) -> nn.Sequential:
    # Return the layers as one nn.Sequential, in the order above: padding 1 keeps H and W, the pooling
    # halves them (rounding down).
    layers = [nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.BatchNorm2d(out_channels), nn.ReLU()]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


def comparison_from_digits(digits: torch.Tensor) -> torch.Tensor:
    # Return (N, 2). Work in log space for stability: log p_a(i) + log p_b(j) is the log of the joint
    # probability of (i, j), and logsumexp over a set of cells is the log of their sum.
    log_p = digits.log_softmax(-1)
    joint = log_p[:, 0, :, None] + log_p[:, 1, None, :]  # (N, 10, 10), entry (i, j)
    less_or_equal = torch.ones(10, 10, dtype=torch.bool, device=digits.device).triu()
    log_le = joint.masked_fill(~less_or_equal, -torch.inf).logsumexp((1, 2))
    log_gt = joint.masked_fill(less_or_equal, -torch.inf).logsumexp((1, 2))
    return torch.stack([log_gt, log_le], 1)


class PerImage(nn.Module):
    @property
    def shared(self) -> bool:
        return len(self.branches) == 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Return (N, 2, *). Shared: ONE call of the module on all 2N images at once (flatten(0, 1)), so that
        # batch norm sees both images, reshaped back to pairs (unflatten). Otherwise image k, x[:, k], goes
        # through self.branches[k].
        if self.shared:
            return self.branches[0](x.flatten(0, 1)).unflatten(0, (-1, 2))
        return torch.stack([branch(x[:, k]) for k, branch in enumerate(self.branches)], 1)


class PairModel(nn.Module):
    def run_stages(self, stages: nn.Sequential, x: torch.Tensor, auxiliary: list[torch.Tensor]) -> torch.Tensor:
        # Return the last stage's output. When self.auxiliary has a classifier under a stage's name, append
        # classifier(output.flatten(1)): (N, 2) logits; flatten(1) puts a branch stage's two images side by side.
        for name, stage in stages.named_children():
            x = stage(x)
            if name in self.auxiliary:
                auxiliary.append(self.auxiliary[name](x.flatten(1)))
        return x

    def heads(self, features: torch.Tensor, auxiliary: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor | None]:
        # Return (comparison, digits). digits: self.digit_head(features), or None when the model has no
        # digit head. comparison: from the digits when self.head is None; else self.head on the joined
        # features (N, 2F), run by self.run_stages so that the auxiliary classifiers of its stages read them.
        digits = None if self.digit_head is None else self.digit_head(features)
        if self.head is None:
            return comparison_from_digits(digits), digits
        return self.run_stages(self.head, features.flatten(1), auxiliary), digits

    def loss(self, output: PairOutput, target: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
        # Return a scalar tensor. F.cross_entropy takes (M, C) logits and (M,) classes: flatten the
        # digit logits to (2N, 10) and the classes to (2N,).
        loss = F.cross_entropy(output.comparison, target)
        for logits in output.auxiliary:
            loss = loss + self.aux_weight * F.cross_entropy(logits, target)
        if output.digits is not None:
            loss = loss + self.digit_weight * F.cross_entropy(output.digits.flatten(0, 1), classes.flatten())
        return loss
