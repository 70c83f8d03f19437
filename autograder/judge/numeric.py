"""Numeric gradients: a module's backward against central differences of its own forward.

For a module f with input x and parameters, and a gradient g of its output, backward
gives the gradients of L = <g, f(x)>. Along a direction d of the input (or of one
parameter), the derivative that backward implies, <dL/dx, d>, must equal the central
difference (L(x + eps d) - L(x - eps d)) / (2 eps), computed here from the outputs the
worker returns at the moved points. The directions are random (seeded by the module's
label: every grading draws the same), ``DIRECTIONS`` per tensor; the modules run in
float64 where they can, where the difference is exact to about 1e-9, else in float32
with a larger step and tolerance, and the message says so.

A failure names the tensor whose direction disagrees (the input, the weight, the bias,
the weight of a network's layer 3), both numbers and their ratio: -1 is a sign error, 0
a gradient never written, the same ratio in every direction a missing factor. Where the
gradient backward gave at the unmoved point is a classic mistake's (the ``Kind`` lists
them), the message names that mistake instead. A right backward of a wrong forward
passes: the forward's own check charges that mistake.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

import torch

from .messages import CheckFailure, close, describe, expect, fail, mistake, tensor
from .probe import Probe

EPSILON = {"float64": 1e-6, "float32": 1e-3}  # the step of the central differences
TOLERANCE = {"float64": 1e-6, "float32": 1e-2}  # relative: a right backward stays 100 times below it
DIRECTIONS = 3  # random directions per tensor: the input, and each parameter
NO_MISTAKES: Mapping[str, Mapping[str, torch.Tensor]] = MappingProxyType({})


class Kind(NamedTuple):
    """A module as a numeric check builds it: how messages name it (``label``, ``input_name``,
    ``parameter_names`` per module), the modules' ``layers`` (specs; several make a
    ``Sequential``), the float64 values of each one's ``param()``, the forward's ``inputs`` (the
    first one moves), the gradient ``grad_output`` of the output (None for a loss: ``backward()``
    takes none), the right output at the inputs, ``expected``, and, per tensor name, the
    ``formulas`` of the right gradient and the ``mistakes``: each classic mistake's gradient at
    the inputs, float64."""

    label: str
    input_name: str
    layers: tuple[dict, ...]
    parameters: tuple[tuple[torch.Tensor, ...], ...]
    parameter_names: tuple[tuple[str, ...], ...]
    inputs: tuple[torch.Tensor, ...]
    grad_output: torch.Tensor | None
    expected: torch.Tensor
    formulas: Mapping[str, str] = MappingProxyType({})
    mistakes: Mapping[str, Mapping[str, torch.Tensor]] = NO_MISTAKES

    @property
    def tensors(self) -> tuple[str, ...]:
        """The names of every tensor the check moves: the input, then each module's parameters."""
        return (self.input_name, *(name for names in self.parameter_names for name in names))


class Directions(NamedTuple):
    """The random directions of a kind: of its first input, and of each module's parameters."""

    input: list[torch.Tensor]
    parameters: list[list[list[torch.Tensor]]]


def vector_jacobian(
    outputs: list[torch.Tensor], inputs: list[torch.Tensor], grads: list[torch.Tensor]
) -> tuple[torch.Tensor | None, ...]:
    """``torch.autograd.grad(outputs, inputs, grads, allow_unused=True)``, differentiated as the one scalar
    sum of ``<output, grad>``: the same gradients, without the import that torch makes on its first
    tensor of output gradients (its symbolic shapes and sympy, 0.4 CPU-s of every grading)."""
    total = sum((output * grad).sum() for output, grad in zip(outputs, grads, strict=True))
    return torch.autograd.grad(total, inputs, allow_unused=True)


def directions(kind: Kind) -> Directions:
    """``DIRECTIONS`` standard normal directions per tensor, drawn from a generator seeded by the kind's label."""
    random = torch.Generator().manual_seed(sum(map(ord, kind.label)))

    def draw(like: torch.Tensor) -> list[torch.Tensor]:
        return [torch.randn(like.shape, generator=random, dtype=torch.float64) for _ in range(DIRECTIONS)]

    return Directions(draw(kind.inputs[0]), [[draw(value) for value in values] for values in kind.parameters])


def request(kind: Kind) -> Probe:
    """The worker's request: the modules, parameters, inputs, gradient, directions and steps."""
    along = directions(kind)
    return Probe(
        "framework.perturbed",
        {
            "layers": list(kind.layers),
            "parameters": [list(values) for values in kind.parameters],
            "inputs": list(kind.inputs),
            "grad_output": kind.grad_output,
            "input_directions": along.input,
            "parameter_directions": along.parameters,
            "epsilon": EPSILON,
        },
    )


def forward_right(kind: Kind, result: Any) -> bool:
    """Whether the module's output at the judge's point is the right one (else its forward check charges it)."""
    output = result.output
    return (
        isinstance(output, torch.Tensor)
        and output.numel() == kind.expected.numel()
        and close(output.reshape(kind.expected.shape), kind.expected)
    )


class Comparison(NamedTuple):
    """One direction of one tensor: the derivative from central differences and the one backward gives."""

    numeric: float
    analytic: float

    @property
    def ratio(self) -> float:
        """The derivative backward gives over the central differences' (infinite over a zero)."""
        return self.analytic / self.numeric if self.numeric else math.copysign(math.inf, self.analytic)


def loss_at(kind: Kind, output: Any, checked: str) -> float:
    """L = <g, output> (the output itself for a loss) from the output at a moved point."""
    expect(
        isinstance(output, torch.Tensor) and output.numel() == kind.expected.numel(),
        f"{checked}: forward at a moved point",
        f"a tensor of {kind.expected.numel()} values, as at the unmoved point",
        describe(output),
        "forward returns a tensor of the same shape wherever the point is",
    )
    value = output.reshape(kind.expected.shape).double()
    return value.sum().item() if kind.grad_output is None else (kind.grad_output * value).sum().item()


class Moved(NamedTuple):
    """One tensor of a kind as the probe moved it: its value, the gradient backward gave for it, its
    directions and the outputs at the moved points."""

    value: torch.Tensor
    gradient: Any
    directions: list[torch.Tensor]
    steps: list


def moved(kind: Kind, result: Any, name: str) -> Moved:
    """The tensor ``name`` of ``kind`` (its input or one parameter) in the probe's ``result``."""
    along = directions(kind)
    if name == kind.input_name:
        return Moved(kind.inputs[0], result.grad_input, along.input, result.input_steps)
    for module, names in enumerate(kind.parameter_names):
        if name in names:
            index = names.index(name)
            return Moved(
                kind.parameters[module][index],
                result.grads[module][index],
                along.parameters[module][index],
                result.parameter_steps[module][index],
            )
    raise KeyError(name)


def gradient(kind: Kind, result: Any, name: str, checked: str) -> torch.Tensor:
    """The gradient backward gave for tensor ``name``; a failure unless it is a tensor of that tensor's
    shape and of the output's dtype."""
    value = moved(kind, result, name)
    if name == kind.input_name:
        returned = "backward() returns dL/dprediction" if kind.grad_output is None else "backward returns dL/dx"
        where, hint = "that backward returns", f"{returned}, of the same shape and dtype"
    else:
        where, hint = "that param() holds", "each gradient has its parameter's shape and dtype"
    return tensor(
        value.gradient,
        f"{checked}: the gradient of {name} {where}",
        tuple(value.value.shape),
        result.output.dtype,
        hint,
    )


def comparisons(kind: Kind, result: Any, name: str, checked: str) -> list[Comparison]:
    """Each direction's two derivatives for tensor ``name``."""
    epsilon, value = EPSILON[result.dtype], moved(kind, result, name)
    grad = gradient(kind, result, name, checked).double()
    return [
        Comparison(
            (loss_at(kind, plus, checked) - loss_at(kind, minus, checked)) / (2 * epsilon), (grad * d).sum().item()
        )
        for (plus, minus), d in zip(value.steps, value.directions, strict=True)
    ]


def agrees(one: Comparison, typical: float, tolerance: float) -> bool:
    """Whether the two derivatives agree, relative to the larger one and the tensor's ``typical`` derivative."""
    return abs(one.analytic - one.numeric) <= tolerance * (max(abs(one.numeric), abs(one.analytic)) + typical)


def formula(kind: Kind, name: str) -> str:
    """The right gradient of tensor ``name`` in words, for the hint."""
    return kind.formulas.get(name, f"compare backward's formula for {name} with the derivative of forward")


def ratio_hint(kind: Kind, name: str, ratios: list[float]) -> str:
    """What the ratios of backward's derivative to the central differences along ``name``'s directions say."""
    if all(abs(ratio) < 1e-3 for ratio in ratios):
        written = "return it" if name == kind.input_name else "add it into the gradient tensor that param() returns"
        return f"a ratio of 0: backward leaves the gradient of {name} at zero; it must {written}"
    if all(abs(ratio + 1) < 1e-3 for ratio in ratios):
        return "a ratio of -1 in every direction: a sign error"
    if all(abs(ratio - ratios[0]) < 1e-3 * abs(ratios[0]) for ratio in ratios):
        return (
            f"the same ratio, {ratios[0]:.4g}, in every direction: a factor missing or extra (a 2, a 1/N, a mean "
            f"instead of a sum...)"
        )
    return (
        f"ratios {', '.join(f'{ratio:.3g}' for ratio in ratios)} in its {len(ratios)} directions, not one factor: "
        f"the formula itself is wrong (a derivative at the wrong point, a transposed or reordered gradient, a term "
        f"left out)"
    )


def verify(kind: Kind, result: Any, names: Iterable[str] | None = None) -> None:
    """Fail unless backward's derivative agrees with the central differences along every direction of the
    tensors ``names`` (all of them by default); where the gradient is a classic mistake's, name it."""
    dtype = result.dtype
    ran = f"float32 ({result.fallback})" if result.fallback else dtype
    checked = (
        f"{kind.label}: {'backward()' if kind.grad_output is None else 'backward(g)'} after forward, against "
        f"central differences of {'the loss' if kind.grad_output is None else 'L = <g, output>'} "
        f"(step {EPSILON[dtype]:g}), {ran}"
    )
    for name in kind.tensors if names is None else names:
        found = comparisons(kind, result, name, checked)
        typical = sum(abs(one.numeric) for one in found) / len(found)
        for one in found:
            if not agrees(one, typical, TOLERANCE[dtype]):
                named = mistake(gradient(kind, result, name, checked), dict(kind.mistakes.get(name, {})))
                why = f"this is {named}" if named else ratio_hint(kind, name, [other.ratio for other in found])
                fail(
                    f"{checked}: the derivative along a random direction d of {name}",
                    f"{one.numeric:.6g} (central differences)",
                    f"{one.analytic:.6g} (<your gradient, d>): a ratio of {one.ratio or 0.0:.4g}",
                    f"{why}. {formula(kind, name)}",
                )


def judged(kind: Kind, result: Any, names: Iterable[str] | None = None) -> None:
    """``verify`` where the module's forward is right; nothing where it is wrong (its forward check charges it)."""
    if forward_right(kind, result):
        verify(kind, result, names)


def passes(kind: Kind, result: Any) -> bool:
    """Whether a kind's forward is right and its backward agrees with the central differences everywhere."""
    if not forward_right(kind, result):
        return False
    try:
        verify(kind, result)
    except CheckFailure:
        return False
    return True
