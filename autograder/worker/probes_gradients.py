"""The probe of the numeric gradient checks: a module's outputs at perturbed points, and its backward.

The judge sends a module (or the modules of a ``Sequential``), its parameters, its inputs,
the gradient ``g`` of the output, and directions: of the first input, and of each
parameter. The probe runs the forward at every point moved by ``+- epsilon`` along each
direction, then forward and backward at the unmoved point, and returns what it computed;
the judge compares central differences of ``<g, output>`` with the gradients. Nothing
here differentiates: the modules run in inference mode like every framework probe.

The probe works in float64, where central differences are exact to about 1e-9; a module
that cannot (a ``Linear`` without ``dtype``, a result that comes back in float32) runs
again in float32, with the judge's larger step, and the reply says why.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch

from .probes_framework import DTYPES, build, describe_value, parameter_pairs, probe, write_values


class Perturbed(NamedTuple):
    """What a module computed: ``dtype`` it ran in (``fallback``: why not float64, else ""), its
    ``output`` and input gradient ``grad_input`` at the judge's point, ``grads`` (per module, the
    gradients ``param()`` holds after that one backward), and the outputs at moved points:
    ``input_steps`` per input direction, ``parameter_steps`` per module, parameter and direction,
    each ``[output at +epsilon, output at -epsilon]``."""

    dtype: str
    fallback: str
    output: Any
    grad_input: Any
    grads: list
    input_steps: list
    parameter_steps: list


def convert(value: Any, dtype: torch.dtype) -> Any:
    """``value`` with every tensor in ``dtype`` (nested lists followed)."""
    if isinstance(value, torch.Tensor):
        return value.to(dtype)
    if isinstance(value, list | tuple):
        return [convert(item, dtype) for item in value]
    return value


def with_dtype(spec: dict, name: str) -> dict:
    """A module's spec with its ``dtype`` keyword set to ``name``, or dropped for float32 (the default)."""
    keywords = {key: value for key, value in spec.get("kwargs", {}).items() if key != "dtype"}
    if name != "float32" and "dtype" in spec.get("kwargs", {}):
        keywords["dtype"] = name
    return spec | {"kwargs": keywords}


class Request(NamedTuple):
    """What the judge sends (see ``perturbed``), but the steps."""

    layers: list[dict]
    parameters: list[list[torch.Tensor]]
    inputs: list[torch.Tensor]
    grad_output: torch.Tensor | None
    input_directions: list[torch.Tensor]
    parameter_directions: list[list[list[torch.Tensor]]]


def run(namespace: Any, dtype: str, request: Request, epsilon: float) -> Perturbed:
    """Build the modules in ``dtype``, run the forwards at the moved points, then forward and backward."""
    kind = DTYPES[dtype]
    modules = [build(namespace, with_dtype(layer, dtype)) for layer in request.layers]
    labels = [f"module {number + 1} ({layer.get('class')})" for number, layer in enumerate(request.layers)]
    owned = []
    for module, values, label in zip(modules, convert(request.parameters, kind), labels, strict=True):
        pairs = parameter_pairs(module, label)
        write_values([parameter for parameter, _ in pairs], values, f"{label}.param()")
        for _, grad in pairs:
            grad.zero_()
        owned.append([parameter for parameter, _ in pairs])
    model = namespace.Sequential(*modules) if len(modules) > 1 else modules[0]
    first, *rest = convert(request.inputs, kind)

    def at(point: torch.Tensor) -> Any:
        return describe_value(model(point.clone(), *[value.clone() for value in rest]))

    input_directions = convert(request.input_directions, kind)
    input_steps = [[at(first + sign * epsilon * d) for sign in (1, -1)] for d in input_directions]
    parameter_steps = []
    for tensors, directions in zip(owned, convert(request.parameter_directions, kind), strict=True):
        per_parameter = []
        for tensor, along in zip(tensors, directions, strict=True):
            original = tensor.clone()
            steps = []
            for d in along:
                moved = []
                for sign in (1, -1):
                    tensor.copy_(original + sign * epsilon * d)
                    moved.append(at(first))
                steps.append(moved)
            tensor.copy_(original)
            per_parameter.append(steps)
        parameter_steps.append(per_parameter)
    output = model(first.clone(), *[value.clone() for value in rest])  # last: backward pops this call's tensors
    grad_output = request.grad_output
    grad_input = model.backward() if grad_output is None else model.backward(grad_output.to(kind).clone())
    grads = [
        [describe_value(grad) for _, grad in parameter_pairs(module, label)]
        for module, label in zip(modules, labels, strict=True)
    ]
    return Perturbed(dtype, "", describe_value(output), describe_value(grad_input), grads, input_steps, parameter_steps)


def all_float64(result: Perturbed) -> bool:
    """Whether the output, the input gradient and every parameter gradient that are tensors are float64
    (what is not a tensor is the checks' to describe)."""
    values = [result.output, result.grad_input, *(grad for grads in result.grads for grad in grads)]
    return all(value.dtype == torch.float64 for value in values if isinstance(value, torch.Tensor))


@probe
def perturbed(
    namespace: Any,
    layers: list[dict],
    parameters: list[list[torch.Tensor]],
    inputs: list[torch.Tensor],
    grad_output: torch.Tensor | None,
    input_directions: list[torch.Tensor],
    parameter_directions: list[list[list[torch.Tensor]]],
    epsilon: dict[str, float],
) -> Perturbed:
    """The modules' outputs at points moved along the judge's directions, and their backward, in
    float64 where they support it, else in float32 (the reply says why).

    ``layers`` are specs (several make a ``Sequential``), ``parameters`` the values for each one's
    ``param()``, ``inputs`` the forward's inputs (the first one moves), ``grad_output`` the
    gradient of the output (None: ``backward()`` takes none, the output is a scalar loss), and
    ``epsilon`` the step for each dtype.
    """
    request = Request(layers, parameters, inputs, grad_output, input_directions, parameter_directions)
    try:
        result = run(namespace, "float64", request, epsilon["float64"])
    except Exception as error:
        reason = f"in float64 it raised {type(error).__name__}: {str(error)[:200]}"
    else:
        if all_float64(result):
            return result
        reason = "in float64 it returned results of another dtype"
    return run(namespace, "float32", request, epsilon["float32"])._replace(fallback=reason)


PROBES = {"framework.perturbed": perturbed}
