"""Probes of project 2: call the student's framework on the judge's inputs, return what it computed.

Every probe runs in ``torch.inference_mode()``, where autograd records nothing: the
framework must compute its gradients itself. A probe replies with the named tuple its
return annotation names (defined just above it): tensors and plain facts; what a
student's function returned that is not a tensor comes back described
(``describe_value``), never as an object.
"""

from __future__ import annotations

import functools
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, ParamSpec, TypeVar

import torch

from .trusted import FixedOutputs, TrustedLinear, TrustedMSE, TrustedSGD, TrustedTanh, as_student_module

TRUSTED = {"Linear": TrustedLinear, "Tanh": TrustedTanh}
DTYPES = {"float32": torch.float32, "float64": torch.float64}
Arguments = ParamSpec("Arguments")
Reply = TypeVar("Reply")


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


def probe(function: Callable[Arguments, Reply]) -> Callable[Arguments, Reply]:
    """Run a probe in inference mode, where autograd cannot work."""

    @functools.wraps(function)
    def run(*arguments: Arguments.args, **keywords: Arguments.kwargs) -> Reply:
        with torch.inference_mode():
            return function(*arguments, **keywords)

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


class Imported(NamedTuple):
    """The files were imported; nothing else to say."""


@probe
def imported(namespace: Any) -> Imported:
    """Nothing but the import of the requested files: an error here is the file's own."""
    return Imported()


class ForwardBackward(NamedTuple):
    """A module's output and, after backward, its input's gradient; with parameters set, the gradients
    ``param()`` holds after backward, those of the tensors it returned before, and whether they are the same."""

    output: Any
    grad_input: Any = None
    grads: list | None = None
    grads_of_first_param_call: list | None = None
    same_grad_tensors: list[bool] | None = None


@probe
def forward_backward(
    namespace: Any,
    module: dict,
    inputs: list,
    label: str,
    parameters: list | None = None,
    grad_output: torch.Tensor | None = None,
) -> ForwardBackward:
    """Forward ``inputs``, then, with ``grad_output``, backward: outputs, gradients, and identity facts."""
    layer = build(namespace, module)
    before = set_parameters(layer, parameters, label) if parameters is not None else []
    output = describe_value(layer(*inputs))
    if grad_output is None:
        return ForwardBackward(output)
    grad_input = describe_value(layer.backward(grad_output.clone()))
    if parameters is None:
        return ForwardBackward(output, grad_input)
    after = parameter_pairs(layer, label)
    return ForwardBackward(
        output,
        grad_input,
        grads=[describe_value(grad) for _, grad in after],
        grads_of_first_param_call=[describe_value(grad) for _, grad in before],
        same_grad_tensors=[a is b for (_, a), (_, b) in zip(before, after, strict=False)],
    )


class Parameters(NamedTuple):
    """``param()``'s pairs as built, whether a second call gives the same tensors, their dtypes, and the
    outputs before and after 1 is added to the first parameter in place (None without parameters)."""

    pairs: list[list[torch.Tensor]]
    same_on_second_call: list[bool]
    dtypes: list[str]
    output_before: Any = None
    output_after: Any = None


@probe
def parameters(namespace: Any, module: dict, label: str, input: torch.Tensor) -> Parameters:
    """``param()`` as built: shapes, values; and whether its tensors are those the layer computes with."""
    layer = build(namespace, module)
    pairs = parameter_pairs(layer, label)
    again = parameter_pairs(layer, label)
    result = Parameters(
        pairs=[[parameter.clone(), grad.clone()] for parameter, grad in pairs],
        same_on_second_call=[a is b for (a, _), (b, _) in zip(pairs, again, strict=False)],
        dtypes=[str(parameter.dtype).removeprefix("torch.") for parameter, _ in pairs],
    )
    if not pairs:
        return result
    before = describe_value(layer(input))
    pairs[0][0].add_(1.0)
    return result._replace(output_before=before, output_after=describe_value(layer(input)))


class Accumulated(NamedTuple):
    """The gradients ``param()`` holds after one backward, after a second, and after ``zero_grad()``."""

    once: list[torch.Tensor]
    twice: list[torch.Tensor]
    after_zero_grad: list[torch.Tensor]


@probe
def accumulate(
    namespace: Any, module: dict, label: str, parameters: list, input: torch.Tensor, grad_output: torch.Tensor
) -> Accumulated:
    """Two backward passes without zero_grad, then ``zero_grad()``: the gradients after each."""
    layer = build(namespace, module)
    set_parameters(layer, parameters, label)
    snapshots = []
    for _ in range(2):
        layer(input.clone())
        layer.backward(grad_output.clone())
        snapshots.append([grad.clone() for _, grad in parameter_pairs(layer, label)])
    layer.zero_grad()
    return Accumulated(*snapshots, after_zero_grad=[grad.clone() for _, grad in parameter_pairs(layer, label)])


class Loss(NamedTuple):
    """A loss's value and the gradient its ``backward()`` returns."""

    value: Any
    grad: Any


@probe
def mse(namespace: Any, prediction: torch.Tensor, target: torch.Tensor) -> Loss:
    """``MSELoss()(prediction, target)`` and its ``backward()``."""
    criterion = namespace.MSELoss()
    value = describe_value(criterion(prediction.clone(), target.clone()))
    return Loss(value, describe_value(criterion.backward()))


class Steps(NamedTuple):
    """The parameter after each step, and its gradient after ``zero_grad()``."""

    values: list[torch.Tensor]
    grad_after_zero_grad: torch.Tensor


@probe
def sgd(
    namespace: Any, parameter: torch.Tensor, initial_grad: torch.Tensor, grads: list, lr: float, momentum: float
) -> Steps:
    """Steps of ``SGD([(p, g)], lr, momentum)``, with g set in place before each: p after each step."""
    value, grad = parameter.clone(), initial_grad.clone()
    optimizer = namespace.SGD([(value, grad)], lr=lr, momentum=momentum)
    values = []
    for step_grad in grads:
        grad.copy_(step_grad)
        optimizer.step()
        values.append(value.clone())
    optimizer.zero_grad()
    return Steps(values, grad.clone())


class Chain(NamedTuple):
    """A network's output and input gradient, its layers' gradients after backward, and where each pair
    of its ``param()`` comes from (its index among the layers' pairs, -1 for a tensor of none)."""

    output: Any
    grad_input: Any
    layer_grads: list[torch.Tensor]
    param_order: list[int]


@probe
def sequential(namespace: Any, layers: list, input: torch.Tensor, grad_output: torch.Tensor) -> Chain:
    """A ``Sequential`` of the kit's layers: forward, backward, each layer's gradients, and where each
    pair of ``param()`` comes from."""
    modules = [build(namespace, layer) for layer in layers]
    network = namespace.Sequential(*modules)
    own = [pair for module in modules for pair in module.param()]
    output = describe_value(network(input.clone()))
    grad_input = describe_value(network.backward(grad_output.clone()))
    order = [
        next((index for index, (p, g) in enumerate(own) if p is parameter and g is grad), -1)
        for parameter, grad in parameter_pairs(network, "Sequential(...)")
    ]
    return Chain(output, grad_input, [grad.clone() for _, grad in own], order)


class Accuracies(NamedTuple):
    """What ``accuracy`` returned, case by case: numbers, or descriptions of anything else."""

    values: list[Any]


@probe
def accuracy(namespace: Any, cases: list[dict]) -> Accuracies:
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
    return Accuracies(values)


class Epochs(NamedTuple):
    """The trusted linear model's parameters after the epochs, what each ``train_epoch`` returned, and
    the optimizer's step count."""

    weight: torch.Tensor
    bias: torch.Tensor
    losses: list[Any]
    steps: int


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
) -> Epochs:
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
    return Epochs(model.weight, model.bias, losses, optimizer.steps)


class Trained(NamedTuple):
    """A trained network's outputs on the test points."""

    output: Any


@probe
def disk(
    namespace: Any,
    network: dict,
    parameters: list,
    train_input: torch.Tensor,
    train_target: torch.Tensor,
    test_input: torch.Tensor,
    settings: dict,
) -> Trained:
    """Train the student's network with the student's ``train``; return its outputs on ``test_input``."""
    model = build(namespace, network)
    set_parameters(model, parameters, "the network")
    namespace.train(model, train_input.clone(), train_target.clone(), **settings)
    return Trained(describe_value(model(test_input.clone())))


class RoundTrip(NamedTuple):
    """The class of what ``load`` returned and the saved model's architecture; for a loaded
    ``Sequential``, its ``Linear`` layers' parameters and its architecture (None otherwise)."""

    loaded_class: str
    architecture: Any
    parameters: list[torch.Tensor] | None = None
    loaded_architecture: Any = None


@probe
def save_load(namespace: Any, module: dict, parameters: list) -> RoundTrip:
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
    result = RoundTrip(type(loaded).__name__, plain(model.architecture()))
    if not isinstance(loaded, namespace.Sequential):
        return result
    restored = [tensor.clone() for tensor in linear_parameters(namespace, loaded)]
    return result._replace(parameters=restored, loaded_architecture=plain(loaded.architecture()))


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


class Crafted(NamedTuple):
    """The class ``load`` gave for a file ``save`` wrote; for a crafted file, whether ``load`` raised, its
    error, and whether the file's code ran."""

    genuine: str
    raised: bool
    error: str
    code_ran: bool


@probe
def load_crafted(namespace: Any, container: str) -> Crafted:
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
    raised, message = False, ""
    try:
        namespace.load(path)
    except Exception as error:
        raised, message = True, f"{type(error).__name__}: {str(error)[:300]}"
    return Crafted(type(loaded).__name__, raised, message, marker.exists())


def dtype_run(
    namespace: Any,
    dtype: torch.dtype,
    input: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor,
    activations: dict[str, dict],
) -> dict[str, Any]:
    """Linear(3, 4, dtype), the ``activations`` (specs by label) and MSELoss on ``input`` in ``dtype``:
    outputs and gradients, by label."""
    x = input.to(dtype)
    layer = namespace.Linear(3, 4, dtype=dtype) if dtype == torch.float64 else namespace.Linear(3, 4)
    set_parameters(layer, [weight.to(dtype), bias.to(dtype)], f"Linear(3, 4, dtype={dtype})")
    output = layer(x.clone())
    result = {
        "Linear: forward": describe_value(output),
        "Linear: backward": describe_value(layer.backward(torch.ones(len(x), 4, dtype=dtype))),
    }
    for label, module in activations.items():
        activation = build(namespace, module)
        result[f"{label}: forward"] = describe_value(activation(x.clone()))
        result[f"{label}: backward"] = describe_value(activation.backward(torch.ones_like(x)))
    criterion = namespace.MSELoss()
    result["MSELoss: forward"] = describe_value(criterion(x.clone(), torch.zeros_like(x)))
    result["MSELoss: backward"] = describe_value(criterion.backward())
    return result


class Precisions(NamedTuple):
    """The modules' outputs and gradients by label, in float64, and in float32 beside (None where the
    float32 run raised)."""

    float64: dict[str, Any]
    float32: dict[str, Any] | None


@probe
def float64(
    namespace: Any, input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, activations: dict[str, dict]
) -> Precisions:
    """The modules in float64, and in float32 beside (None where the float32 run raises: that is
    the other checks' business, not float64's)."""
    doubles = dtype_run(namespace, torch.float64, input, weight, bias, activations)
    try:
        singles = dtype_run(namespace, torch.float32, input, weight, bias, activations)
    except Exception:
        singles = None
    return Precisions(doubles, singles)


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
