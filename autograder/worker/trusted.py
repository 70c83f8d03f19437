"""The kit's own, trusted parts, used by a probe wherever it is not testing the student's.

A check of ``Sequential`` chains trusted layers, a check of the training loop trains a
trusted model with a trusted loss and optimiser: a mistake elsewhere in the student's
framework does not cost these checks too. The judge imports this module as well, to
compute what the trusted parts do.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

# Project 2 -------------------------------------------------------------------------------------


class TrustedModule:
    """Framework modules written by the kit, with the API the student's code calls.

    They have the training and evaluation modes of the kit's own ``Module`` (a student's
    loop may switch them), which change nothing here.
    """

    training = True

    def train(self, mode: bool = True) -> TrustedModule:
        self.training = mode
        return self

    def eval(self) -> TrustedModule:
        return self.train(False)

    def __call__(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.forward(*inputs)

    def param(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        return []

    def zero_grad(self) -> None:
        for _, grad in self.param():
            grad.zero_()


class TrustedLinear(TrustedModule):
    """y = x W^T + b, with the parameters given (weight (out, in), bias (out,))."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor) -> None:
        self.weight, self.bias = weight.clone(), bias.clone()
        self.weight_grad, self.bias_grad = torch.zeros_like(weight), torch.zeros_like(bias)
        self.inputs: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.inputs.append(x)
        return x @ self.weight.T + self.bias

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        x = self.inputs.pop()
        self.weight_grad += grad_output.T @ x
        self.bias_grad += grad_output.sum(0)
        return grad_output @ self.weight

    def param(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        return [(self.weight, self.weight_grad), (self.bias, self.bias_grad)]


class TrustedTanh(TrustedModule):
    """tanh, element-wise."""

    def __init__(self) -> None:
        self.outputs: list[torch.Tensor] = []

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        self.outputs.append(torch.tanh(s))
        return self.outputs[-1]

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        y = self.outputs.pop()
        return grad_output * (1 - y * y)


class TrustedMSE(TrustedModule):
    """The mean squared error over all elements."""

    def __init__(self) -> None:
        self.difference = torch.zeros(0)

    def forward(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        self.difference = prediction - target
        return self.difference.pow(2).mean()

    def backward(self) -> torch.Tensor:
        return 2 * self.difference / self.difference.numel()


class TrustedSGD:
    """SGD with momentum in PyTorch's convention: v <- mu v + g, p <- p - lr v."""

    def __init__(self, parameters: list[tuple[torch.Tensor, torch.Tensor]], lr: float, momentum: float) -> None:
        self.parameters, self.lr, self.momentum = list(parameters), lr, momentum
        self.velocities = [torch.zeros_like(parameter) for parameter, _ in self.parameters]
        self.steps = 0

    def step(self) -> None:
        self.steps += 1
        for (parameter, grad), velocity in zip(self.parameters, self.velocities, strict=True):
            velocity.mul_(self.momentum).add_(grad)
            parameter.sub_(self.lr * velocity)

    def zero_grad(self) -> None:
        for _, grad in self.parameters:
            grad.zero_()


class FixedOutputs(TrustedModule):
    """A stand-in model: the output for input row ``i`` is ``outputs[i]`` (inputs hold row indices)."""

    def __init__(self, outputs: torch.Tensor) -> None:
        self.outputs = outputs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.outputs[x[:, 0].long()]


def as_student_module(module: TrustedModule, base: type | None) -> TrustedModule:
    """``module``, with the student's ``Module`` as a base class when there is one.

    A student's ``Sequential`` may refuse what is not an instance of its ``Module``;
    the trusted methods still come first in the method order.
    """
    if not isinstance(base, type) or base is object:
        return module
    kind = type(type(module).__name__, (type(module), base), {})
    instance = kind.__new__(kind)
    with contextlib.suppress(Exception):  # a base whose constructor needs arguments: its attributes stay unset
        base.__init__(instance)
    vars(instance).update(vars(module))
    return instance


# Project 1 -------------------------------------------------------------------------------------


class TrustedPairOutput(NamedTuple):
    """The output fields of a pair model."""

    comparison: torch.Tensor
    digits: torch.Tensor | None = None
    auxiliary: tuple[torch.Tensor, ...] = ()


class TrustedPairModel(nn.Module):
    """A small pair model with every kind of output, and a loss that uses all of them.

    The loss weights its auxiliary term by 0.3 and its digit term by 0.5: a training step
    that minimises anything but ``model.loss`` gets other gradients. Every output computed
    with autograd on keeps its gradient (``retain_grad``) in ``outputs``, so that a check
    can tell which loss of the outputs a training step differentiated.

    Args:
        transposed: return the digits as (N, 10, 2) instead of the kit's (N, 2, 10).
    """

    aux_weight = 0.3
    digit_weight = 0.5

    def __init__(self, transposed: bool = False) -> None:
        super().__init__()
        self.transposed = transposed
        self.digit_head = nn.Linear(14 * 14, 10)
        self.comparison_head = nn.Linear(20, 2)
        self.auxiliary_head = nn.Linear(2 * 14 * 14, 2)
        self.outputs: list[TrustedPairOutput] = []

    def forward(self, x: torch.Tensor) -> TrustedPairOutput:
        images = x.flatten(2) / 255
        digits = self.digit_head(images)
        if self.transposed:
            digits = digits.transpose(1, 2)
        comparison = self.comparison_head(kit_layout(digits).flatten(1))
        output = TrustedPairOutput(comparison, digits, (self.auxiliary_head(images.flatten(1)),))
        if torch.is_grad_enabled():
            for tensor in (output.comparison, output.digits, *output.auxiliary):
                tensor.retain_grad()
            self.outputs.append(output)
        return output

    def loss(self, output: Any, target: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
        return trusted_loss(self, output, target, classes)


class TrustedPairSets(NamedTuple):
    """The six tensors of a pair data set, as ``generate_pair_sets`` returns them."""

    train_input: torch.Tensor
    train_target: torch.Tensor
    train_classes: torch.Tensor
    test_input: torch.Tensor
    test_target: torch.Tensor
    test_classes: torch.Tensor


def trusted_pair_model(seed: int, transposed: bool = False) -> TrustedPairModel:
    """The trusted pair model, initialised from ``seed`` (the same weights in judge and worker),
    its digits in the kit's layout or ``transposed``.

    The weights come from a generator of their own, never torch's global one: the judge
    grades several students at once in threads, which would otherwise draw from it in turn.
    """
    model, generator = TrustedPairModel(transposed), torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in (model.digit_head, model.comparison_head, model.auxiliary_head):
            bound = layer.in_features**-0.5  # PyTorch's default scale for a Linear layer
            layer.weight.uniform_(-bound, bound, generator=generator)
            layer.bias.uniform_(-bound, bound, generator=generator)
    return model


# The parts of the student's pairs/models.py that a check may replace by the kit's own, so
# that it grades one task: the check of the layers (conv_block, heads) runs them with the
# kit's PerImage.forward and run_stages, the check of weight sharing builds the layers with
# the kit's conv_block, and so on. Each works on the attributes the given code defines.


def trusted_conv_block(in_channels: int, out_channels: int, pool: bool = True) -> nn.Sequential:
    """3x3 convolution (padding 1), batch norm, ReLU, then 2x2 max pooling if ``pool``."""
    layers = [nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.BatchNorm2d(out_channels), nn.ReLU()]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


def trusted_per_image_forward(self: Any, x: torch.Tensor) -> torch.Tensor:
    """``PerImage.forward``: one call on all 2N images when shared, else image k through branch k."""
    if len(self.branches) == 1:
        return self.branches[0](x.flatten(0, 1)).unflatten(0, (-1, 2))
    return torch.stack([branch(x[:, k]) for k, branch in enumerate(self.branches)], 1)


def trusted_run_stages(self: Any, stages: nn.Sequential, x: torch.Tensor, auxiliary: list) -> torch.Tensor:
    """``PairModel.run_stages``: the stages in order, each auxiliary classifier's logits appended."""
    for name, stage in stages.named_children():
        x = stage(x)
        if name in self.auxiliary:
            auxiliary.append(self.auxiliary[name](x.flatten(1)))
    return x


def kit_layout(digits: torch.Tensor) -> torch.Tensor:
    """Digit logits in the kit's layout (N, 2, 10): those of a model that returns (N, 10, 2) transposed.

    The trusted parts read a student's digits in either layout, so that a transposed
    layout costs only the check that defines the layout.
    """
    return digits.transpose(1, 2) if digits.dim() == 3 and tuple(digits.shape[1:]) == (10, 2) else digits


def trusted_comparison_from_digits(digits: torch.Tensor) -> torch.Tensor:
    """``comparison_from_digits``: [log P(a > b), log P(a <= b)] of two independent digit softmaxes."""
    log_p = kit_layout(digits).log_softmax(-1)
    joint = log_p[:, 0, :, None] + log_p[:, 1, None, :]
    less_or_equal = torch.ones(10, 10, dtype=torch.bool, device=digits.device).triu()
    log_le = joint.masked_fill(~less_or_equal, -torch.inf).logsumexp((1, 2))
    log_gt = joint.masked_fill(less_or_equal, -torch.inf).logsumexp((1, 2))
    return torch.stack([log_gt, log_le], 1)


def trusted_heads(self: Any, features: torch.Tensor, auxiliary: list) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``PairModel.heads``: the digit head if any; the comparison from the head, or from the digits."""
    digits = None if self.digit_head is None else self.digit_head(features)
    if self.head is None:
        return trusted_comparison_from_digits(digits), digits
    return self.run_stages(self.head, features.flatten(1), auxiliary), digits


def trusted_loss(self: Any, output: Any, target: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
    """``PairModel.loss``: the comparison loss, each weighted auxiliary loss and the weighted digit loss."""
    loss = F.cross_entropy(output.comparison, target)
    for logits in output.auxiliary:
        loss = loss + self.aux_weight * F.cross_entropy(logits, target)
    if output.digits is not None:
        digits = kit_layout(output.digits)
        loss = loss + self.digit_weight * F.cross_entropy(digits.flatten(0, 1), classes.flatten())
    return loss


# Each part: the class that holds it in pairs/models.py ("" for a function of the module), and the kit's.
TRUSTED_PAIR_PARTS = {
    "conv_block": ("", trusted_conv_block),
    "comparison_from_digits": ("", trusted_comparison_from_digits),
    "PerImage.forward": ("PerImage", trusted_per_image_forward),
    "PairModel.run_stages": ("PairModel", trusted_run_stages),
    "PairModel.heads": ("PairModel", trusted_heads),
    "PairModel.loss": ("PairModel", trusted_loss),
}


@contextlib.contextmanager
def trusted_parts(names: dict[str, Any], parts: tuple[str, ...]) -> Iterator[None]:
    """While inside, ``parts`` of the student's models file, whose names are ``names`` (its globals),
    are the kit's; everything is put back on the way out.

    A function part is replaced in ``names``, a method on its class, wherever the file
    defines them: a file without a ``PerImage`` keeps its own way of doing it.
    """
    restore: list[Callable[[], None]] = []
    for part in parts:
        holder, function = TRUSTED_PAIR_PARTS[part]
        attribute = part.rpartition(".")[2]
        if not holder and attribute in names:
            restore.append(functools.partial(names.__setitem__, attribute, names[attribute]))
            names[attribute] = function
        elif isinstance(owner := names.get(holder), type):
            if attribute in vars(owner):
                restore.append(functools.partial(setattr, owner, attribute, vars(owner)[attribute]))
            else:
                restore.append(functools.partial(delattr, owner, attribute))
            setattr(owner, attribute, function)
    try:
        yield
    finally:
        for undo in reversed(restore):
            undo()
