"""Probes of project 1: build the student's models and data, run them on the judge's inputs.

Each probe seeds torch's global generator itself before it builds or trains anything,
so the same request gives the same answer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import torch

from .probes_framework import ProbeError, describe_value
from .trusted import TrustedPairOutput, TrustedPairSets, trusted_pair_model, trusted_parts

EVALUATION_BATCH = 500


def output_fields(output: Any) -> dict[str, Any]:
    """The three fields of a model's output, each a tensor, None, a list of tensors or a description."""
    fields: dict[str, Any] = {}
    for name in ("comparison", "digits", "auxiliary"):
        if not hasattr(output, name):
            fields[name] = {"missing": True, "type": type(output).__name__}
            continue
        value = getattr(output, name)
        if name == "auxiliary" and isinstance(value, list | tuple):
            fields[name] = [describe_value(item) for item in value]
        else:
            fields[name] = None if value is None else describe_value(value)
    return fields


def model(namespace: Any, name: str, seed: int) -> torch.nn.Module:
    """``MODELS[name]()`` built after ``torch.manual_seed(seed)``."""
    models = namespace.MODELS
    if name not in models:
        raise ProbeError(f"MODELS has no model {name!r}; its keys are {', '.join(map(str, models))}")
    torch.manual_seed(seed)
    return models[name]()


def with_trusted_parts(probe: Callable[..., dict]) -> Callable[..., dict]:
    """A probe run with the ``trusted`` parts of the student's models file (names of
    ``TRUSTED_PAIR_PARTS``) replaced by the kit's, and put back after."""

    @functools.wraps(probe)
    def run(namespace: Any, *, trusted: tuple[str, ...] = (), **arguments: Any) -> dict:
        with trusted_parts(namespace.globals_of("MODELS"), tuple(trusted)):
            return probe(namespace, **arguments)

    return run


def imported(namespace: Any) -> dict:
    """Nothing but the import of the requested files."""
    return {}


def pair_sets(namespace: Any, calls: list[dict]) -> dict:
    """``generate_pair_sets(**keywords)`` for each of ``calls``: the six tensors of each."""
    results = []
    for keywords in calls:
        data = namespace.generate_pair_sets(**keywords)
        results.append([describe_value(tensor) for tensor in data])
    return {"calls": results}


@with_trusted_parts
def outputs(namespace: Any, name: str, seed: int, input: torch.Tensor) -> dict:
    """A model's outputs in training mode, in evaluation mode on the batch and on its first two pairs,
    its features, and its parameter count."""
    network = model(namespace, name, seed)
    result: dict[str, Any] = {"parameters": sum(parameter.numel() for parameter in network.parameters())}
    network.train()
    torch.manual_seed(seed + 1)
    result["training"] = output_fields(network(input.clone()))
    network.eval()
    with torch.no_grad():
        result["evaluation"] = output_fields(network(input.clone()))
        result["evaluation_first_two"] = output_fields(network(input[:2].clone()))
        result["features"] = describe_value(network.features(input.clone()))
    return result


@with_trusted_parts
def features(namespace: Any, name: str, seed: int, input: torch.Tensor) -> dict:
    """``features`` of the pairs and of the pairs with their two images swapped, in evaluation mode."""
    network = model(namespace, name, seed)
    network.eval()
    with torch.no_grad():
        return {
            "straight": describe_value(network.features(input.clone())),
            "swapped": describe_value(network.features(input.flip(1).clone())),
        }


@with_trusted_parts
def loss(
    namespace: Any, name: str, seed: int, input: torch.Tensor, target: torch.Tensor, classes: torch.Tensor
) -> dict:
    """``model.loss`` on a batch in training mode: its value, the outputs, the number of auxiliary
    classifiers, and the loss's gradient with respect to each output.

    The loss is called on copies of the outputs that are leaves of the graph, so each
    gradient is that of the loss's own term (a comparison computed from the digits
    does not add its path to the digits' gradient).
    """
    network = model(namespace, name, seed)
    network.train()
    torch.manual_seed(seed + 1)
    output = network(input.clone())
    fields = output_fields(output)
    leaves = {
        key: value.detach().clone().requires_grad_() for key, value in fields.items() if isinstance(value, torch.Tensor)
    }
    auxiliary = [
        item.detach().clone().requires_grad_()
        for item in fields.get("auxiliary") or []
        if isinstance(item, torch.Tensor)
    ]
    copy = TrustedPairOutput(leaves.get("comparison"), leaves.get("digits"), tuple(auxiliary))
    value = network.loss(copy, target.clone(), classes.clone())
    tensors = {**leaves, **{f"auxiliary{index}": item for index, item in enumerate(auxiliary)}}
    result: dict[str, Any] = {
        "value": describe_value(value),
        "outputs": {key: tensor.detach().clone() for key, tensor in tensors.items()},
    }
    classifiers = getattr(network, "auxiliary", None)
    result["classifiers"] = len(classifiers) if isinstance(classifiers, torch.nn.ModuleDict) else None
    for key in ("aux_weight", "digit_weight"):
        weight = getattr(network, key, None)
        result[key] = float(weight) if isinstance(weight, int | float) else None
    if isinstance(value, torch.Tensor) and value.requires_grad and value.numel() == 1:
        value.backward()
        result["grads"] = {key: tensor.grad.clone() for key, tensor in tensors.items() if tensor.grad is not None}
    return result


def comparison_from_digits(namespace: Any, digits: torch.Tensor) -> dict:
    """``comparison_from_digits(digits)``."""
    with torch.no_grad():
        return {"output": describe_value(namespace.comparison_from_digits(digits.clone()))}


def train_step(
    namespace: Any, seed: int, input: torch.Tensor, target: torch.Tensor, classes: torch.Tensor, steps: int
) -> dict:
    """``train_step`` of a trusted model with an optimiser of learning rate 0 that records, at every
    ``step()``, the gradient of every parameter."""
    network = trusted_pair_model(seed)
    recorded: list[list[torch.Tensor | None]] = []
    parameters = list(network.parameters())

    class Recording(torch.optim.SGD):
        def step(self, closure: Any = None) -> Any:
            recorded.append([None if p.grad is None else p.grad.clone() for p in parameters])
            return super().step(closure)

    optimizer = Recording(parameters, lr=0.0)
    values = []
    for _ in range(steps):
        value = namespace.train_step(network, optimizer, input.clone(), target.clone(), classes.clone())
        values.append(value if isinstance(value, float) else describe_value(value))
    return {"recorded": recorded, "values": values}


def train_and_predict(
    namespace: Any, name: str, seed: int, train: list, monitor: list, test_input: torch.Tensor, epochs: int
) -> dict:
    """Train ``MODELS[name]`` with the student's ``train`` on ``train`` (input, target, classes), with
    ``monitor`` as its test set; return the trained model's predictions on ``test_input``."""
    network = model(namespace, name, seed)
    data = TrustedPairSets(*(tensor.clone() for tensor in (*train, *monitor)))
    namespace.train(network, data, epochs=epochs, seed=seed)
    network.eval()
    with torch.no_grad():
        predictions = [network(chunk).comparison.argmax(1) for chunk in test_input.split(EVALUATION_BATCH)]
    return {"predictions": torch.cat(predictions)}


PROBES = {
    f"pairs.{name}": function
    for name, function in (
        ("imported", imported),
        ("pair_sets", pair_sets),
        ("outputs", outputs),
        ("features", features),
        ("loss", loss),
        ("comparison_from_digits", comparison_from_digits),
        ("train_step", train_step),
        ("train_and_predict", train_and_predict),
    )
}
