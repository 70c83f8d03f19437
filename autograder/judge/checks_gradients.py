"""The numeric gradient check of a network of the student's own modules: ``disk_accuracy.numeric_gradient``.

Each module's backward has its own numeric check beside its forward's (``checks_framework``:
an activation's ``_backward``, ``linear.backward_*``, ``loss.backward``). This one grades
what none of them sees, the modules put together by the student's ``Sequential``: a Linear
layer before every activation of ``ACTIVATIONS`` in turn, whose backward must agree with
central differences of its forward (``numeric.py``). Where a part's numbers are wrong, or
``Sequential.backward``'s, their own check charges the mistake and this one passes; but it
runs the student's modules end to end, like the disk's training beside it in the same task,
so a part that raises (a stub not written yet) costs it too: the end-to-end task has no stub
of its own.
"""

from __future__ import annotations

from ..manifest import declare
from . import numeric
from .checks_framework import (
    ACTIVATIONS,
    F64,
    LINEAR_KINDS,
    activation_kind,
    construction,
    default_init,
    randn,
    sequential_backward,
    spec,
)
from .messages import CheckFailure
from .probe import CheckRun

LINEAR_PARAMETERS = ("the weight", "the bias")
NETWORK_FILES = ("sequential.py", "linear.py", "activations.py")


def network_kind() -> numeric.Kind:
    """A Sequential of Linear layers, each followed by one activation of ``ACTIVATIONS`` in turn, in float64."""
    names = list(ACTIVATIONS)
    widths = [3, *(5 - number % 2 for number in range(len(names) - 1)), 2]
    x = randn(4, 3, seed=37, dtype=F64)
    layers, parameters, parameter_names, parts = [], [], [], []
    output = x
    for number, name in enumerate(names):
        width_in, width_out = widths[number], widths[number + 1]
        weight, bias = default_init(width_out, width_in, seed=40 + number, dtype=F64)
        linear = f"Linear({width_in}, {width_out})"
        activation = spec(name, **ACTIVATIONS[name].kwargs)
        layers += [spec("Linear", width_in, width_out, dtype="float64"), activation]
        parts += [linear, construction(activation)]
        parameters += [(weight, bias), ()]
        parameter_names += [tuple(f"{part} of module {2 * number + 1}, {linear}" for part in LINEAR_PARAMETERS), ()]
        output = ACTIVATIONS[name].forward(output @ weight.T + bias)
    return numeric.Kind(
        label=f"Sequential({', '.join(parts)}) of your modules",
        input_name="the input x",
        layers=tuple(layers),
        parameters=tuple(parameters),
        parameter_names=tuple(parameter_names),
        inputs=(x,),
        grad_output=randn(4, widths[-1], seed=38, dtype=F64),
        expected=output,
    )


def network_parts() -> list[numeric.Kind]:
    """The kinds whose own checks come first: every activation's and Linear's."""
    return [activation_kind(name) for name in ACTIVATIONS] + list(LINEAR_KINDS)


def network_check() -> CheckRun:
    """The network's backward against central differences, when each of its modules passes its own
    numeric check and Sequential its backward check (else that check charges the mistake, or the
    exception it raised): what is left is how they are put together."""
    for part in network_parts():
        own = yield numeric.request(part)
        if not numeric.passes(part, own):
            return
    try:
        yield from sequential_backward()
    except CheckFailure:
        return
    kind = network_kind()
    result = yield numeric.request(kind)
    numeric.judged(kind, result)


declare(
    "disk_accuracy",
    "numeric_gradient",
    1,
    "a network of your Linear and of every activation, in your Sequential: backward's gradients agree with "
    "central differences of forward along random directions, wherever each module's and Sequential's own checks pass",
    network_check,
    files=NETWORK_FILES,
)
