"""Probes of project 1: build the student's models and data, run them on the judge's inputs.

Each probe seeds torch's global generator itself before it builds or trains anything,
so the same request gives the same answer. Each replies with the ``NamedTuple`` its return
annotation names, defined just above it.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import torch

from .errors import describe
from .probes_framework import ProbeError, describe_value
from .trusted import TrustedPairOutput, TrustedPairSets, kit_layout, trusted_pair_model, trusted_parts

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


def with_trusted_parts(probe: Callable[..., Any]) -> Callable[..., Any]:
    """A probe run with the ``trusted`` parts of the student's models file (names of
    ``TRUSTED_PAIR_PARTS``) replaced by the kit's, and put back after. Where the kit's parts do not
    fit the student's architecture (a learned comparator that the kit's heads cannot drive), the
    probe runs again with the student's own parts, whose answer stands if they work together."""

    @functools.wraps(probe)
    def run(namespace: Any, *, trusted: tuple[str, ...] = (), **arguments: Any) -> Any:
        try:
            with trusted_parts(namespace.globals_of("MODELS"), tuple(trusted)):
                answer = probe(namespace, **arguments)
        except Exception:
            if not trusted:
                raise
            return probe(namespace, **arguments)
        if trusted and getattr(answer, "error", None) is not None:
            own = probe(namespace, **arguments)
            return answer if own.error is not None else own
        return answer

    return run


def described_error(namespace: Any, error: Exception) -> dict:
    """The description of what the student's code raised, its frames named from the solution's folder."""
    return describe(error, Path(namespace.globals_of("MODELS")["__file__"]).parents[1])


def attempt(namespace: Any, call: Callable[[], Any]) -> tuple[Any, dict | None]:
    """``(call(), None)``, or ``(None, error)`` describing what the student's code raised, so that a probe
    that several checks share answers each of them."""
    try:
        return call(), None
    except Exception as error:
        return None, described_error(namespace, error)


def counted_layers(network: torch.nn.Module, input: torch.Tensor) -> list[list]:
    """[layer, type, parameters] for each layer holding parameters that the comparison, in evaluation
    mode, is computed from: the auxiliary classifiers and digit heads that only training reads are left out
    (all parameters count where autograd cannot tell)."""
    parameters = list(network.parameters())
    used = {id(parameter) for parameter in parameters}
    network.eval()
    try:
        with torch.enable_grad():
            comparison = network(input.clone()).comparison
            grads = torch.autograd.grad(comparison.sum(), parameters, allow_unused=True)
        used = {id(parameter) for parameter, grad in zip(parameters, grads, strict=True) if grad is not None}
    except (RuntimeError, AttributeError, TypeError):
        pass
    layers, seen = [], set()
    for name, module in network.named_modules():
        own = [p for p in module.parameters(recurse=False) if id(p) in used and id(p) not in seen]
        seen |= {id(p) for p in own}
        if own:
            layers.append([name or "(model)", type(module).__name__, sum(p.numel() for p in own)])
    return layers


class Imported(NamedTuple):
    """The reply of ``imported``: nothing, the files imported."""


def imported(namespace: Any) -> Imported:
    """Nothing but the import of the requested files."""
    return Imported()


class DrawnSets(NamedTuple):
    """The reply of ``pair_sets``.

    Attributes:
        calls: per call, the values it returned (six tensors when right), each described if not a tensor.
    """

    calls: list[list[Any]]


def pair_sets(namespace: Any, calls: list[dict]) -> DrawnSets:
    """``generate_pair_sets(**keywords)`` for each of ``calls``: the six tensors of each."""
    results = []
    for keywords in calls:
        data = namespace.generate_pair_sets(**keywords)
        results.append([describe_value(tensor) for tensor in data])
    return DrawnSets(results)


class ModelOutputs(NamedTuple):
    """The reply of ``outputs``: a model's output fields (see ``output_fields``) in each mode, its features,
    and the layers its prediction is computed from.

    Attributes:
        training: the fields of its output on the batch, in training mode.
        evaluation: the same in evaluation mode.
        evaluation_first_two: the same on the batch's first two pairs alone.
        features: ``features`` of the batch, in evaluation mode.
        counted: ``[layer, type, parameters]`` per layer (see ``counted_layers``).
    """

    training: dict[str, Any]
    evaluation: dict[str, Any]
    evaluation_first_two: dict[str, Any]
    features: Any
    counted: list[list]


@with_trusted_parts
def outputs(namespace: Any, name: str, seed: int, input: torch.Tensor) -> ModelOutputs:
    """A model's outputs in training mode, in evaluation mode on the batch and on its first two pairs,
    its features, and the layers its prediction is computed from."""
    network = model(namespace, name, seed)
    network.train()
    torch.manual_seed(seed + 1)
    training = output_fields(network(input.clone()))
    network.eval()
    with torch.no_grad():
        evaluation = output_fields(network(input.clone()))
        first_two = output_fields(network(input[:2].clone()))
        features = describe_value(network.features(input.clone()))
    return ModelOutputs(training, evaluation, first_two, features, counted_layers(network, input[:2]))


class DigitLayouts(NamedTuple):
    """The reply of ``digit_layouts``.

    Attributes:
        shapes: model name -> the shape of its digits, or None where there is none or the code raises.
    """

    shapes: dict[str, list[int] | None]


@with_trusted_parts
def digit_layouts(namespace: Any, names: list[str], seed: int, input: torch.Tensor) -> DigitLayouts:
    """The shape of each model's digits in evaluation mode, or None where there is none or the code raises."""

    def digits(name: str) -> list[int] | None:
        network = model(namespace, name, seed)
        network.eval()
        with torch.no_grad():
            value = getattr(network(input.clone()), "digits", None)
        return list(value.shape) if isinstance(value, torch.Tensor) else None

    return DigitLayouts({name: attempt(namespace, functools.partial(digits, name))[0] for name in names})


class SwappedFeatures(NamedTuple):
    """The reply of ``features``: ``features`` of the pairs (``straight``) and of the pairs with their two
    images swapped (``swapped``)."""

    straight: Any
    swapped: Any


@with_trusted_parts
def features(namespace: Any, name: str, seed: int, input: torch.Tensor) -> SwappedFeatures:
    """``features`` of the pairs and of the pairs with their two images swapped, in evaluation mode."""
    network = model(namespace, name, seed)
    network.eval()
    with torch.no_grad():
        return SwappedFeatures(
            describe_value(network.features(input.clone())), describe_value(network.features(input.flip(1).clone()))
        )


class LossTerms(NamedTuple):
    """The reply of ``loss``: every field but ``error`` is None when the student's code raised.

    Attributes:
        error: what the student's code raised, or None.
        value: what ``model.loss`` returned (described if not a tensor).
        outputs: the tensors the loss was given, by key: ``comparison``, ``digits`` (the kit's layout),
            ``auxiliary0``, ``auxiliary1``...
        classifiers: the number of the model's auxiliary classifiers, or None without a ``ModuleDict``.
        aux_weight: the model's ``aux_weight``, or None if it is no number.
        digit_weight: the model's ``digit_weight``, or None if it is no number.
        grads: the loss's gradient with respect to each of ``outputs`` that received one, by key; None when
            the value is no scalar tensor with a graph.
    """

    error: dict | None
    value: Any = None
    outputs: dict[str, torch.Tensor] | None = None
    classifiers: int | None = None
    aux_weight: float | None = None
    digit_weight: float | None = None
    grads: dict[str, torch.Tensor] | None = None


@with_trusted_parts
def loss(
    namespace: Any,
    name: str,
    seed: int,
    input: torch.Tensor,
    target: torch.Tensor,
    classes: torch.Tensor,
    transposed: bool = False,
) -> LossTerms:
    """``model.loss`` on a batch in training mode: its value, the outputs, the number of auxiliary
    classifiers, and the loss's gradient with respect to each output; only the error if the code raises.

    The loss is called on copies of the outputs that are leaves of the graph, so each
    gradient is that of the loss's own term (a comparison computed from the digits
    does not add its path to the digits' gradient). The digits come back in the kit's
    layout (N, 2, 10); with ``transposed`` the loss reads them as (N, 10, 2), the layout
    of the student's own models.
    """
    try:
        return loss_terms(namespace, name, seed, input, target, classes, transposed)
    except Exception as error:
        return LossTerms(described_error(namespace, error))


def loss_terms(
    namespace: Any,
    name: str,
    seed: int,
    input: torch.Tensor,
    target: torch.Tensor,
    classes: torch.Tensor,
    transposed: bool,
) -> LossTerms:
    """What ``loss`` returns when the student's code raises nothing."""
    network = model(namespace, name, seed)
    network.train()
    torch.manual_seed(seed + 1)
    output = network(input.clone())
    fields = output_fields(output)
    leaves = {
        key: (kit_layout(value) if key == "digits" else value).detach().clone().requires_grad_()
        for key, value in fields.items()
        if isinstance(value, torch.Tensor)
    }
    auxiliary = [
        item.detach().clone().requires_grad_()
        for item in fields.get("auxiliary") or []
        if isinstance(item, torch.Tensor)
    ]
    digits = leaves.get("digits")
    if digits is not None and transposed:
        digits = digits.transpose(1, 2)
    copy = TrustedPairOutput(leaves.get("comparison"), digits, tuple(auxiliary))
    value = network.loss(copy, target.clone(), classes.clone())
    tensors = {**leaves, **{f"auxiliary{index}": item for index, item in enumerate(auxiliary)}}
    classifiers = getattr(network, "auxiliary", None)
    aux_weight, digit_weight = (getattr(network, key, None) for key in ("aux_weight", "digit_weight"))
    grads = None
    if isinstance(value, torch.Tensor) and value.requires_grad and value.numel() == 1:
        value.backward()
        grads = {key: tensor.grad.clone() for key, tensor in tensors.items() if tensor.grad is not None}
    return LossTerms(
        None,
        describe_value(value),
        {key: tensor.detach().clone() for key, tensor in tensors.items()},
        len(classifiers) if isinstance(classifiers, torch.nn.ModuleDict) else None,
        float(aux_weight) if isinstance(aux_weight, int | float) else None,
        float(digit_weight) if isinstance(digit_weight, int | float) else None,
        grads,
    )


class Comparisons(NamedTuple):
    """The reply of ``comparison_from_digits``.

    Attributes:
        output: its output for the digits (N, 2, 10), described if not a tensor; None if it raised.
        error: what it raised for them, or None.
        transposed: its output for the same digits given as (N, 10, 2), when asked; else None (also when
            it raised for them).
    """

    output: Any
    error: dict | None
    transposed: Any = None


def comparison_from_digits(namespace: Any, digits: torch.Tensor, transposed: bool = False) -> Comparisons:
    """``comparison_from_digits(digits)``; with ``transposed``, also of the same digits given as (N, 10, 2),
    the layout of the student's own models."""

    def run(given: torch.Tensor) -> Any:
        with torch.no_grad():
            return describe_value(namespace.comparison_from_digits(given.clone()))

    output, error = attempt(namespace, functools.partial(run, digits))
    if not transposed:
        return Comparisons(output, error)
    return Comparisons(output, error, attempt(namespace, functools.partial(run, digits.transpose(1, 2)))[0])


class RecordedSteps(NamedTuple):
    """The reply of ``train_step``.

    Attributes:
        recorded: per ``optimizer.step()``, each parameter's gradient then (None where it had none).
        output_grads: per ``optimizer.step()``, the gradient each output field received since the last step,
            by key: ``comparison``, ``digits`` (the kit's layout), ``auxiliary0``.
        values: what each ``train_step`` call returned (described if not a float).
    """

    recorded: list[list[torch.Tensor | None]]
    output_grads: list[dict[str, torch.Tensor]]
    values: list[Any]


def train_step(
    namespace: Any, seed: int, input: torch.Tensor, target: torch.Tensor, classes: torch.Tensor, steps: int
) -> RecordedSteps:
    """``train_step`` of a trusted model with an optimiser of learning rate 0 that records, at every
    ``step()``, the gradient of every parameter and of every output of the model since the last step.

    A step that raises with the kit's digits (N, 2, 10) is run again with digits (N, 10, 2):
    a loss written for that layout is graded on its mechanics.
    """
    try:
        return recorded_steps(namespace, seed, input, target, classes, steps, transposed=False)
    except Exception as error:
        try:
            return recorded_steps(namespace, seed, input, target, classes, steps, transposed=True)
        except Exception:
            raise error from None


def recorded_steps(
    namespace: Any,
    seed: int,
    input: torch.Tensor,
    target: torch.Tensor,
    classes: torch.Tensor,
    steps: int,
    transposed: bool,
) -> RecordedSteps:
    """What ``train_step`` returns, for the trusted model with its digits in the given layout."""
    network = trusted_pair_model(seed, transposed)
    recorded: list[list[torch.Tensor | None]] = []
    output_grads: list[dict[str, torch.Tensor]] = []
    parameters = list(network.parameters())

    def received() -> dict[str, torch.Tensor]:
        """The gradient each output field received, summed over the forward passes since the last step."""
        total: dict[str, torch.Tensor] = {}
        for output in network.outputs:
            fields = {"comparison": output.comparison, "digits": output.digits, "auxiliary0": output.auxiliary[0]}
            for key, tensor in fields.items():
                if tensor.grad is not None:
                    grad = kit_layout(tensor.grad) if key == "digits" else tensor.grad
                    total[key] = total.get(key, 0) + grad.detach().clone()
        network.outputs.clear()
        return total

    class Recording(torch.optim.SGD):
        def step(self, closure: Any = None) -> Any:
            recorded.append([None if p.grad is None else p.grad.clone() for p in parameters])
            output_grads.append(received())
            return super().step(closure)

    optimizer = Recording(parameters, lr=0.0)
    values = []
    for _ in range(steps):
        value = namespace.train_step(network, optimizer, input.clone(), target.clone(), classes.clone())
        values.append(value if isinstance(value, float) else describe_value(value))
    return RecordedSteps(recorded, output_grads, values)


class Stop(BaseException):
    """Raised into the student's ``train`` by ``train_and_predict`` once it has every epoch it needs; a
    ``BaseException``, so that an ``except Exception`` of the student's loop lets it through."""


class Run:
    """One training of ``train_and_predict``: the model, its pairs, and what the model predicted after
    each epoch (test predictions, accuracy on the monitor pairs)."""

    def __init__(self, network: torch.nn.Module, seed: int, train: list, monitor: list, test_input: torch.Tensor):
        self.network = network
        self.seed = seed
        self.data = TrustedPairSets(*(tensor.clone() for tensor in (*train, *monitor)))
        self.size = len(train[0])
        self.monitor_input, self.monitor_target = monitor[0].clone(), monitor[1].clone()
        self.test_input = test_input.clone()
        self.seen = 0  # pairs given to the model in training mode, with gradients
        self.predictions: list[torch.Tensor] = []
        self.monitored: list[float] = []
        self.error: BaseException | None = None
        self.finished = False

    def predict(self) -> tuple[torch.Tensor, float]:
        """The model's test predictions and monitor accuracy now, in evaluation mode and without gradients
        (no random draw: dropout and shifts are off), its mode restored after."""
        was_training = self.network.training
        self.network.eval()
        try:
            with torch.no_grad():
                test, monitor = (
                    torch.cat([self.network(chunk).comparison.argmax(1) for chunk in pairs.split(EVALUATION_BATCH)])
                    for pairs in (self.test_input, self.monitor_input)
                )
        finally:
            self.network.train(was_training)
        return test, (monitor == self.monitor_target).double().mean().item()


class Lockstep:
    """The student's ``train`` run on several models at once, one thread each, that wait for each other
    at the end of every epoch, so that every run stops after the same epoch: the first after which one
    of them gets ``stop_accuracy`` of its monitor pairs right, or the ``epochs``-th.

    An epoch ends when the model, in training mode with gradients, has been given as many pairs as
    there are training pairs: whatever the loop (batches of any size, a DataLoader, its own
    indexing), the next such call of the model starts a new epoch.
    """

    def __init__(self, runs: list[Run], epochs: int, stop_accuracy: float):
        self.runs = runs
        self.epochs = epochs
        self.stop_accuracy = stop_accuracy
        self.stopped = False
        self.condition = threading.Condition()

    def train(self, namespace: Any, run: Run) -> None:
        """One thread: train ``run``'s model, recording each epoch."""
        with self.condition:  # torch sets up a new thread's pools on its first call: one thread at a time
            torch.get_num_threads()
        handle = run.network.register_forward_pre_hook(lambda module, args: self.on_forward(run, args))
        try:
            namespace.train(run.network, run.data, epochs=self.epochs, seed=run.seed)
            if not self.stopped and (not run.predictions or run.seen > run.size * len(run.predictions)):
                self.record(run)  # the last epoch: no call of the model followed it
        except Stop:
            pass
        except BaseException as error:  # the student's: the probe's answer; the other runs stop
            run.error, self.stopped = error, True
        finally:
            handle.remove()
            with self.condition:
                run.finished = True
                self.condition.notify_all()

    def on_forward(self, run: Run, args: tuple) -> None:
        """The hook before each call of ``run``'s model: at an epoch's end, record, wait for the other runs
        to end the same epoch, and stop every run when the rule says so."""
        if not (run.network.training and torch.is_grad_enabled()):
            return
        if self.stopped:
            raise Stop
        if run.seen >= run.size * (len(run.predictions) + 1):
            epoch = self.record(run)
            with self.condition:
                self.condition.wait_for(lambda: all(other.finished or len(other.monitored) >= epoch for other in self))
            self.stopped = self.stopped or epoch >= self.epochs or any(self.reached(other, epoch) for other in self)
            if self.stopped:
                raise Stop
        run.seen += len(args[0]) if args and isinstance(args[0], torch.Tensor) else 0

    def __iter__(self) -> Iterator[Run]:
        """The runs."""
        return iter(self.runs)

    def reached(self, run: Run, epoch: int) -> bool:
        """Whether ``run`` got ``stop_accuracy`` of its monitor pairs right after ``epoch``."""
        return len(run.monitored) >= epoch and run.monitored[epoch - 1] >= self.stop_accuracy

    def record(self, run: Run) -> int:
        """Record ``run``'s predictions now; return how many epochs it has recorded."""
        predictions, monitored = run.predict()
        with self.condition:
            run.predictions.append(predictions)
            run.monitored.append(monitored)
            self.condition.notify_all()
            return len(run.monitored)


class TrainedRuns(NamedTuple):
    """The reply of ``train_and_predict``, run by run.

    Attributes:
        predictions: per run, its predictions on its test pairs after each epoch, (epochs, test pairs).
        monitored: per run, its accuracy on its monitor pairs after each epoch.
        pairs_seen: per run, the pairs its model was given in training mode, with gradients, in all.
    """

    predictions: list[torch.Tensor]
    monitored: list[list[float]]
    pairs_seen: list[int]


def train_and_predict(namespace: Any, name: str, runs: list[dict], epochs: int, stop_accuracy: float) -> TrainedRuns:
    """Train one ``MODELS[name]`` per run with the student's ``train(model, data, epochs=epochs, seed=seed)``,
    on the run's ``train`` pairs (input, target, classes) with its ``monitor`` pairs as the test set, the runs
    side by side, epoch by epoch (``Lockstep``); return, per run, the predictions on its ``test_input`` and
    the accuracy on its monitor pairs after each epoch, and how many pairs the model was trained on.

    Unlike the other probes, the same request may give a slightly different answer: the runs' threads
    share torch's generator, so their draws (batch orders, random shifts) interleave as they run.
    """
    built = [
        Run(model(namespace, name, run["seed"]), run["seed"], run["train"], run["monitor"], run["test_input"])
        for run in runs
    ]
    lockstep = Lockstep(built, epochs, stop_accuracy)
    threads = [threading.Thread(target=lockstep.train, args=(namespace, run)) for run in built]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for run in built:
        if run.error is not None:
            raise run.error
    return TrainedRuns(
        [torch.stack(run.predictions) for run in built], [run.monitored for run in built], [run.seen for run in built]
    )


PROBES = {
    f"pairs.{name}": function
    for name, function in (
        ("imported", imported),
        ("pair_sets", pair_sets),
        ("outputs", outputs),
        ("features", features),
        ("digit_layouts", digit_layouts),
        ("loss", loss),
        ("comparison_from_digits", comparison_from_digits),
        ("train_step", train_step),
        ("train_and_predict", train_and_predict),
    )
}
