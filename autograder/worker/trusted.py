"""The kit's own, trusted parts, used by a probe wherever it is not testing the student's.

A check of ``Sequential`` chains trusted layers, a check of the training loop trains a
trusted model with a trusted loss and optimiser: a mistake elsewhere in the student's
framework does not cost these checks too. The parts are the reference's own definitions
(``reference_parts.py``, generated from ``reference/``), adapted here where a probe needs
more than the reference does. The judge imports this module as well, to compute what the
trusted parts do.
"""

from __future__ import annotations

import contextlib
import functools
import types
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import torch
from torch import nn

from . import reference_parts as reference

# Project 2 -------------------------------------------------------------------------------------


class TrustedModule(reference.Module):
    """The reference's ``Module``, whose forward saves what backward needs in either mode.

    A student's loop may switch the trusted modules to evaluation mode and back: that
    changes nothing here, so that the loop is graded on its steps alone.
    """

    def save_for_backward(self, *tensors: torch.Tensor) -> None:
        """Keep ``tensors`` for the backward of this call, in either mode."""
        self.saved.append(tensors)

    def train(self, mode: bool = True) -> TrustedModule:
        """Set the mode, keeping what the forwards saved."""
        self.training = mode
        return self


class TrustedLinear(TrustedModule, reference.Linear):
    """The reference's ``Linear``, starting from the parameters given (weight (out, in), bias (out,))."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor) -> None:
        self.initial = weight, bias
        super().__init__(weight.shape[1], weight.shape[0], dtype=weight.dtype)

    def reset_parameters(self) -> None:
        """Copy the given parameters (where the reference draws random ones)."""
        for (parameter, _), value in zip(self.param(), self.initial, strict=True):
            parameter.copy_(value)


class TrustedTanh(TrustedModule, reference.Tanh):
    """The reference's ``Tanh``."""


class TrustedMSE(TrustedModule, reference.MSELoss):
    """The reference's ``MSELoss``: the mean squared error over all elements."""


class TrustedSGD(reference.SGD):
    """The reference's ``SGD``, with momentum in PyTorch's convention, counting its ``steps``."""

    def __init__(self, parameters: list[tuple[torch.Tensor, torch.Tensor]], lr: float, momentum: float) -> None:
        super().__init__(parameters, lr, momentum)
        self.steps = 0

    def step(self) -> None:
        """The reference's step, counted."""
        self.steps += 1
        super().step()


class FixedOutputs(TrustedModule):
    """A stand-in model: the output for input row ``i`` is ``outputs[i]`` (inputs hold row indices)."""

    def __init__(self, outputs: torch.Tensor) -> None:
        super().__init__()
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


TrustedPairOutput = reference.PairOutput  # the output fields of a pair model: comparison, digits, auxiliary


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


def kit_layout(digits: torch.Tensor) -> torch.Tensor:
    """Digit logits in the kit's layout (N, 2, 10): those of a model that returns (N, 10, 2) transposed.

    The trusted parts read a student's digits in either layout, so that a transposed
    layout costs only the check that defines the layout.
    """
    return digits.transpose(1, 2) if digits.dim() == 3 and tuple(digits.shape[1:]) == (10, 2) else digits


def trusted_comparison_from_digits(digits: torch.Tensor) -> torch.Tensor:
    """The reference's ``comparison_from_digits``, of digits in either layout."""
    return reference.comparison_from_digits(kit_layout(digits))


def trusted_per_image_forward(self: Any, x: torch.Tensor) -> torch.Tensor:
    """The reference's ``PerImage.forward`` on ``self.branches``, whether or not the class defines ``shared``."""
    view = types.SimpleNamespace(branches=self.branches, shared=reference.PerImage.shared.fget(self))
    return reference.PerImage.forward(view, x)


def trusted_loss(self: Any, output: Any, target: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
    """The reference's ``PairModel.loss``, of digits in either layout."""
    digits = None if output.digits is None else kit_layout(output.digits)
    output = reference.PairOutput(output.comparison, digits, output.auxiliary)
    return reference.PairModel.loss(self, output, target, classes)


def rebound(function: types.FunctionType, **names: Any) -> types.FunctionType:
    """``function``, reading ``names`` where it reads the module-level definitions of those names."""
    return types.FunctionType(function.__code__, function.__globals__ | names, function.__name__, function.__defaults__)


# The reference's PairModel.heads, whose comparison from the digits reads them in either layout.
trusted_heads = rebound(reference.PairModel.heads, comparison_from_digits=trusted_comparison_from_digits)


# Each part: the class that holds it in pairs/models.py ("" for a function of the module), and the kit's.
TRUSTED_PAIR_PARTS = {
    "conv_block": ("", reference.conv_block),
    "comparison_from_digits": ("", trusted_comparison_from_digits),
    "PerImage.forward": ("PerImage", trusted_per_image_forward),
    "PairModel.run_stages": ("PairModel", reference.PairModel.run_stages),
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
