"""Probes of project 2: call the student's framework on the judge's inputs, return what it computed.

Every probe runs in ``torch.inference_mode()``, where autograd records nothing: the
framework must compute its gradients itself. A probe returns tensors and plain facts;
what a student's function returned that is not a tensor comes back described
(``describe_value``), never as an object.
"""

from __future__ import annotations

import functools
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from .trusted import FixedOutputs, TrustedLinear, TrustedMSE, TrustedSGD, TrustedTanh, as_student_module

TRUSTED = {"Linear": TrustedLinear, "Tanh": TrustedTanh}
DTYPES = {"float32": torch.float32, "float64": torch.float64}


class ProbeError(Exception):
    """The student's code broke a rule of the contract that the probe needs; the message says which."""


def describe_value(value: Any) -> Any:
    """A tensor as itself; anything else as ``{"type": ..., "text": ...}``."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    try:
        text = repr(value)[:200]
    except Exception:
        text = "(no repr)"
    return {"type": type(value).__name__, "text": text}


def probe(function: Callable[..., dict]) -> Callable[..., dict]:
    """Run a probe in inference mode, where autograd cannot work."""

    @functools.wraps(function)
    def run(namespace: Any, **arguments: Any) -> dict:
        with torch.inference_mode():
            return function(namespace, **arguments)

    return run


def build(namespace: Any, spec: dict) -> Any:
    """A module from its spec: ``{"class": name, "args": [...], "kwargs": {...}}``, or ``{"trusted": ...}``.

    Arguments that are specs are built first (the modules of a Sequential); a ``dtype``
    keyword names a dtype (``"float64"``).
    """
    arguments = [build(namespace, item) if isinstance(item, dict) else item for item in spec.get("args", [])]
    keywords = {
        key: DTYPES.get(value, value) if key == "dtype" else value for key, value in spec.get("kwargs", {}).items()
    }
    if "trusted" in spec:
        module = TRUSTED[spec["trusted"]](*arguments, **keywords)
        return as_student_module(module, getattr(namespace, "Module", None))
    return getattr(namespace, spec["class"])(*arguments, **keywords)


def parameter_pairs(module: Any, label: str) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``module.param()``, checked to be a list of (tensor, tensor) pairs."""
    pairs = module.param()
    if not isinstance(pairs, list | tuple) or not all(
        isinstance(pair, list | tuple) and len(pair) == 2 and all(isinstance(t, torch.Tensor) for t in pair)
        for pair in pairs
    ):
        raise ProbeError(
            f"{label}.param() returned {describe_value(pairs)}: expected a list of "
            f"(parameter, gradient) pairs of tensors"
        )
    return [tuple(pair) for pair in pairs]


def set_parameters(module: Any, values: list[torch.Tensor], label: str) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Write ``values`` into the parameters ``param()`` returns, in place, and zero their gradients."""
    pairs = parameter_pairs(module, label)
    write_values([parameter for parameter, _ in pairs], values, f"{label}.param()")
    for _, grad in pairs:
        grad.zero_()
    return pairs


def write_values(tensors: list[torch.Tensor], values: list[torch.Tensor], label: str) -> None:
    """Copy ``values`` into ``tensors`` in place, after checking their count and shapes (``label`` holds them)."""
    if len(tensors) != len(values):
        raise ProbeError(f"{label} holds {len(tensors)} parameters, expected {len(values)}")
    for tensor, value in zip(tensors, values, strict=True):
        if tensor.shape != value.shape:
            raise ProbeError(
                f"{label} holds a parameter of shape {tuple(tensor.shape)} where {tuple(value.shape)} is expected"
            )
        tensor.copy_(value)


@probe
def imported(namespace: Any) -> dict:
    """Nothing but the import of the requested files: an error here is the file's own."""
    return {}


@probe
def forward_backward(
    namespace: Any,
    module: dict,
    inputs: list,
    label: str,
    parameters: list | None = None,
    grad_output: torch.Tensor | None = None,
) -> dict:
    """Forward ``inputs``, then, with ``grad_output``, backward: outputs, gradients, and identity facts."""
    layer = build(namespace, module)
    before = set_parameters(layer, parameters, label) if parameters is not None else []
    output = layer(*inputs)
    result: dict[str, Any] = {"output": describe_value(output)}
    if grad_output is None:
        return result
    grad_input = layer.backward(grad_output.clone())
    result["grad_input"] = describe_value(grad_input)
    if parameters is not None:
        after = parameter_pairs(layer, label)
        result["grads"] = [describe_value(grad) for _, grad in after]
        result["grads_of_first_param_call"] = [describe_value(grad) for _, grad in before]
        result["same_grad_tensors"] = [a is b for (_, a), (_, b) in zip(before, after, strict=False)]
    return result


@probe
def parameters(namespace: Any, module: dict, label: str, input: torch.Tensor) -> dict:
    """``param()`` as built: shapes, values; and whether its tensors are those the layer computes with."""
    layer = build(namespace, module)
    pairs = parameter_pairs(layer, label)
    again = parameter_pairs(layer, label)
    result: dict[str, Any] = {
        "pairs": [[parameter.clone(), grad.clone()] for parameter, grad in pairs],
        "same_on_second_call": [a is b for (a, _), (b, _) in zip(pairs, again, strict=False)],
        "dtypes": [str(parameter.dtype).removeprefix("torch.") for parameter, _ in pairs],
    }
    if pairs:
        result["output_before"] = describe_value(layer(input))
        pairs[0][0].add_(1.0)
        result["output_after"] = describe_value(layer(input))
    return result


@probe
def accumulate(
    namespace: Any, module: dict, label: str, parameters: list, input: torch.Tensor, grad_output: torch.Tensor
) -> dict:
    """Two backward passes without zero_grad, then ``zero_grad()``: the gradients after each."""
    layer = build(namespace, module)
    set_parameters(layer, parameters, label)
    snapshots = []
    for _ in range(2):
        layer(input.clone())
        layer.backward(grad_output.clone())
        snapshots.append([grad.clone() for _, grad in parameter_pairs(layer, label)])
    layer.zero_grad()
    return {
        "once": snapshots[0],
        "twice": snapshots[1],
        "after_zero_grad": [grad.clone() for _, grad in parameter_pairs(layer, label)],
    }


@probe
def mse(namespace: Any, prediction: torch.Tensor, target: torch.Tensor) -> dict:
    """``MSELoss()(prediction, target)`` and its ``backward()``."""
    criterion = namespace.MSELoss()
    value = criterion(prediction.clone(), target.clone())
    return {"value": describe_value(value), "grad": describe_value(criterion.backward())}


@probe
def sgd(
    namespace: Any, parameter: torch.Tensor, initial_grad: torch.Tensor, grads: list, lr: float, momentum: float
) -> dict:
    """Steps of ``SGD([(p, g)], lr, momentum)``, with g set in place before each: p after each step."""
    value, grad = parameter.clone(), initial_grad.clone()
    optimizer = namespace.SGD([(value, grad)], lr=lr, momentum=momentum)
    values = []
    for step_grad in grads:
        grad.copy_(step_grad)
        optimizer.step()
        values.append(value.clone())
    optimizer.zero_grad()
    return {"values": values, "grad_after_zero_grad": grad.clone()}


@probe
def sequential(namespace: Any, layers: list, input: torch.Tensor, grad_output: torch.Tensor) -> dict:
    """A ``Sequential`` of the kit's layers: forward, backward, each layer's gradients, and where each
    pair of ``param()`` comes from (its index among the layers' pairs, -1 for a tensor of none)."""
    modules = [build(namespace, layer) for layer in layers]
    network = namespace.Sequential(*modules)
    own = [pair for module in modules for pair in module.param()]
    output = network(input.clone())
    result: dict[str, Any] = {"output": describe_value(output)}
    result["grad_input"] = describe_value(network.backward(grad_output.clone()))
    result["layer_grads"] = [grad.clone() for _, grad in own]
    order = []
    for parameter, grad in parameter_pairs(network, "Sequential(...)"):
        order.append(next((index for index, (p, g) in enumerate(own) if p is parameter and g is grad), -1))
    result["param_order"] = order
    return result


@probe
def accuracy(namespace: Any, cases: list[dict]) -> dict:
    """``accuracy`` of stand-in models whose outputs are fixed, on row indices as inputs, case by case."""
    values = []
    for case in cases:
        outputs, labels, batch_size = case["outputs"], case["labels"], case["batch_size"]
        inputs = torch.arange(len(outputs), dtype=torch.float32).unsqueeze(1)
        keywords = {} if batch_size is None else {"batch_size": batch_size}
        value = namespace.accuracy(FixedOutputs(outputs), inputs, labels.clone(), **keywords)
        values.append(
            value if isinstance(value, float | int) and not isinstance(value, bool) else describe_value(value)
        )
    return {"values": values}


@probe
def train_epochs(
    namespace: Any,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor,
    epochs: int,
    batch_size: int,
    accumulate: int,
    lr: float,
    momentum: float,
    seed: int,
) -> dict:
    """``train_epoch`` of a trusted linear model, MSE and SGD, ``epochs`` times: the final parameters."""
    model = TrustedLinear(weight, bias)
    criterion, optimizer = TrustedMSE(), TrustedSGD(model.param(), lr=lr, momentum=momentum)
    losses = []
    for epoch in range(epochs):
        generator = torch.Generator().manual_seed(seed + epoch)
        loss = namespace.train_epoch(
            model,
            criterion,
            optimizer,
            inputs,
            targets,
            batch_size=batch_size,
            accumulate=accumulate,
            generator=generator,
        )
        losses.append(loss if isinstance(loss, float | int) else describe_value(loss))
    return {"weight": model.weight, "bias": model.bias, "losses": losses, "steps": optimizer.steps}


@probe
def disk(
    namespace: Any,
    network: dict,
    parameters: list,
    train_input: torch.Tensor,
    train_target: torch.Tensor,
    test_input: torch.Tensor,
    settings: dict,
) -> dict:
    """Train the student's network with the student's ``train``; return its outputs on ``test_input``."""
    model = build(namespace, network)
    set_parameters(model, parameters, "the network")
    namespace.train(model, train_input.clone(), train_target.clone(), **settings)
    return {"output": describe_value(model(test_input.clone()))}


@probe
def save_load(namespace: Any, module: dict, parameters: list) -> dict:
    """``load(save(model))``: the loaded model's class, architecture and parameters next to the original's.

    Only what the io task writes runs: the parameters are read and written through each
    ``Linear``'s ``weight`` and ``bias`` (the contract's attributes), not ``param()``, and the
    two models are compared by ``architecture()``, not by their forward passes.
    """
    model = build(namespace, module)
    write_values(linear_parameters(namespace, model), parameters, "the model's Linear layers (weight, bias)")
    path = Path(tempfile.mkdtemp()) / "model.pt"
    namespace.save(model, path)
    loaded = namespace.load(path)
    result = {"type": type(loaded).__name__, "architecture": plain(model.architecture())}
    if isinstance(loaded, namespace.Sequential):
        restored = linear_parameters(namespace, loaded)
        result |= {
            "parameters": [tensor.clone() for tensor in restored],
            "loaded_architecture": plain(loaded.architecture()),
        }
    return result


def linear_parameters(namespace: Any, model: Any) -> list[torch.Tensor]:
    """The weight and bias of every ``Linear`` of a ``Sequential``, in order (no bias without one)."""
    tensors = []
    for layer in model:
        if isinstance(layer, namespace.Linear):
            tensors += [tensor for tensor in (layer.weight, layer.bias) if isinstance(tensor, torch.Tensor)]
    return tensors


def plain(value: Any) -> Any:
    """``value`` with every dtype written as its name, for the codec: dicts, lists, numbers and strings."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


class CodeRunner:
    """Pickles as a call to ``exec``: reading it with a plain unpickler would run ``source``."""

    def __init__(self, source: str) -> None:
        self.source = source

    def __reduce__(self) -> tuple:
        return (exec, (self.source,))


@probe
def load_crafted(namespace: Any, container: str) -> dict:
    """``load`` of a file ``save`` wrote, then of a file whose pickle runs code (a plain pickle, or
    torch's zip format)."""
    folder = Path(tempfile.mkdtemp())
    genuine = folder / "genuine.pt"
    namespace.save(namespace.Linear(2, 2), genuine)
    loaded = namespace.load(genuine)
    marker = folder / "code-ran"
    payload = {"model": CodeRunner(f"open({str(marker)!r}, 'w').write('ran')")}
    path = folder / "crafted.pt"
    if container == "pickle":
        path.write_bytes(pickle.dumps(payload, protocol=2))  # torch.load's own protocol: no warning
    else:
        torch.save(payload, path)
    result = {"genuine": type(loaded).__name__, "raised": False, "error": ""}
    try:
        namespace.load(path)
    except Exception as error:
        result |= {"raised": True, "error": f"{type(error).__name__}: {str(error)[:300]}"}
    return result | {"code_ran": marker.exists()}


def dtype_run(
    namespace: Any, dtype: torch.dtype, input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor
) -> dict[str, Any]:
    """Linear(3, 4, dtype), the activations and MSELoss on ``input`` in ``dtype``: outputs and gradients."""
    x = input.to(dtype)
    layer = namespace.Linear(3, 4, dtype=dtype) if dtype == torch.float64 else namespace.Linear(3, 4)
    set_parameters(layer, [weight.to(dtype), bias.to(dtype)], f"Linear(3, 4, dtype={dtype})")
    output = layer(x.clone())
    result = {
        "Linear: forward": describe_value(output),
        "Linear: backward": describe_value(layer.backward(torch.ones(len(x), 4, dtype=dtype))),
    }
    for name in ("ReLU", "Tanh", "Sigmoid"):
        activation = getattr(namespace, name)()
        result[f"{name}: forward"] = describe_value(activation(x.clone()))
        result[f"{name}: backward"] = describe_value(activation.backward(torch.ones_like(x)))
    criterion = namespace.MSELoss()
    result["MSELoss: forward"] = describe_value(criterion(x.clone(), torch.zeros_like(x)))
    result["MSELoss: backward"] = describe_value(criterion.backward())
    return result


@probe
def float64(namespace: Any, input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> dict:
    """The modules in float64, and in float32 beside (None where the float32 run raises: that is
    the other checks' business, not float64's)."""
    result = {"float64": dtype_run(namespace, torch.float64, input, weight, bias)}
    try:
        result["float32"] = dtype_run(namespace, torch.float32, input, weight, bias)
    except Exception:
        result["float32"] = None
    return result


PROBES = {
    f"framework.{name}": function
    for name, function in (
        ("imported", imported),
        ("forward_backward", forward_backward),
        ("parameters", parameters),
        ("sequential", sequential),
        ("accumulate", accumulate),
        ("mse", mse),
        ("sgd", sgd),
        ("accuracy", accuracy),
        ("train_epochs", train_epochs),
        ("disk", disk),
        ("save_load", save_load),
        ("load_crafted", load_crafted),
        ("float64", float64),
    )
}
