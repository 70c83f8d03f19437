"""The numeric checks, every backward check of a module and the network's: the reference passes them,
wrong backward passes fail them with the classic mistake or the direction that disagrees named,
and no other mistake costs them.

The checks run in this process, beside the graded code, the way ``autograder/kernel.py`` runs
them in a notebook: each probe is called on the solution's names and its reply handed back.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import itertools
import sys
import types
from pathlib import Path
from typing import Any

import pytest
import torch
from grading import ROOT, copy_reference, grade

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "mutants"))
from framework_mutants import FRAMEWORK

import reference.framework as reference
from autograder import manifest
from autograder.judge import checks_framework, checks_gradients, numeric
from autograder.judge.messages import CheckFailure
from autograder.judge.probe import Probe, reply
from autograder.judge.runner import failure_message
from autograder.worker.errors import describe
from autograder.worker.probes import PROBES

CHECKS = [check for check in manifest.CHECKS if "central differences" in check.description]  # the numeric ones
KINDS = [
    *(checks_framework.activation_kind(name) for name in checks_framework.ACTIVATIONS),
    *checks_framework.LINEAR_KINDS,
    checks_framework.mse_kind(),
    checks_gradients.network_kind(),
]
DIRECTION_NAMES = {name for kind in KINDS for name in kind.tensors}
LOADED = itertools.count()
RAISED = "the graded code raised: "


def run(check: manifest.Check, namespace: Any) -> str | None:
    """Run ``check`` on ``namespace`` in this process: its failure message (``RAISED`` first where the
    graded code raised), or None when it passes."""
    steps = check.run()
    answer = None
    while True:
        try:
            probe = next(steps) if answer is None else steps.send(answer)
        except StopIteration:
            return None
        except CheckFailure as failure:
            return str(failure)
        try:
            answer = reply(probe, PROBES[probe.name](namespace, **probe.args))
        except Exception as error:
            return f"{RAISED}{failure_message(describe(error, None), 'framework')}"


def load(folder: Path) -> types.ModuleType:
    """Import ``folder/framework`` as a package of its own name, so that several copies live side by side."""
    name = f"graded_framework_{next(LOADED)}"
    init = folder / "framework" / "__init__.py"
    spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(init.parent)])
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    spec.loader.exec_module(package)
    return package


def with_classes(**classes: type) -> types.SimpleNamespace:
    """The reference's names, with some classes replaced."""
    return types.SimpleNamespace(**(vars(reference) | classes))


def test_every_module_of_the_framework_has_a_numeric_backward_check():
    modules = {
        value
        for value in vars(reference).values()
        if inspect.isclass(value) and issubclass(value, reference.Module) and value is not reference.Module
    }
    probes = [probe for check in CHECKS for probe in probes_of(check, reference) if probe.name == "framework.perturbed"]
    checked = {getattr(reference, layer["class"]) for probe in probes for layer in probe.args["layers"]}
    assert modules - {reference.Sequential} <= checked and reference.NoActivation in checked
    backward = {f"{name.lower()}_backward" for name in checks_framework.ACTIVATIONS}
    ids = {check.id for check in CHECKS if check.task == "activations"}
    assert ids == backward
    asked = {probe.name for check in CHECKS for probe in probes_of(check, reference)}
    assert asked == {"framework.perturbed", "framework.sequential"}  # the network's gate: Sequential's own check


def probes_of(check: manifest.Check, namespace: Any) -> list[Probe]:
    """The probes ``check`` asks for when run on ``namespace`` in this process."""
    asked, steps, answer = [], check.run(), None
    while True:
        try:
            probe = next(steps) if answer is None else steps.send(answer)
        except (StopIteration, CheckFailure):
            return asked
        asked.append(probe)
        answer = reply(probe, PROBES[probe.name](namespace, **probe.args))


def test_the_reference_passes_every_numeric_check_in_float64():
    for kind in KINDS:
        probe = numeric.request(kind)
        result = reply(probe, PROBES[probe.name](reference, **probe.args))
        assert result.dtype == "float64" and not result.fallback
    assert {check.name: run(check, reference) for check in CHECKS} == {check.name: None for check in CHECKS}


class LinearWithoutDtype(reference.Linear):
    """A right Linear that knows no ``dtype``: the checks fall back to float32."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__(in_features, out_features, bias)


def test_a_module_without_float64_is_checked_in_float32_and_says_so():
    kind = checks_framework.LINEAR_KINDS[0]
    probe = numeric.request(kind)
    result = reply(probe, PROBES[probe.name](with_classes(Linear=LinearWithoutDtype), **probe.args))
    assert result.dtype == "float32" and "TypeError" in result.fallback
    numeric.verify(kind, result)
    halved = type(
        "Halved", (LinearWithoutDtype,), {"backward": lambda self, g: 0.5 * LinearWithoutDtype.backward(self, g)}
    )
    message = run(manifest.CHECKS_BY_NAME["linear.backward_input"], with_classes(Linear=halved))
    assert "float32 (in float64 it raised TypeError" in message and "the input x" in message


def negated(base: type) -> type:
    """``base`` whose backward returns the opposite gradient."""
    return type(base.__name__, (base,), {"backward": lambda self, *g: -base.backward(self, *g)})


def zeroed(base: type) -> type:
    """``base`` whose backward returns zeros."""
    return type(base.__name__, (base,), {"backward": lambda self, *g: torch.zeros_like(base.backward(self, *g))})


def halved(base: type) -> type:
    """``base`` whose backward returns half the gradient."""
    return type(base.__name__, (base,), {"backward": lambda self, *g: 0.5 * base.backward(self, *g)})


class BiasNeverWritten(reference.Linear):
    """A Linear whose backward leaves the bias's gradient at zero."""

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        grad_input = super().backward(grad_output)
        self.bias_grad.zero_()
        return grad_input


class WeightAtTheWrongPoint(reference.Linear):
    """A Linear whose weight gradient uses the input squared: not a constant factor."""

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        (x,) = self.pop_saved()
        self.weight_grad += grad_output.T @ (x * x)
        self.bias_grad += grad_output.sum(0)
        return grad_output @ self.weight


@pytest.mark.parametrize(
    ("check", "replaced", "words"),
    [
        ("activations.tanh_backward", {"Tanh": negated(reference.Tanh)}, ("the input s", "sign error")),
        ("activations.relu_backward", {"ReLU": halved(reference.ReLU)}, ("the input s", "0.5", "factor")),
        (
            "activations.noactivation_backward",
            {"NoActivation": zeroed(reference.NoActivation)},
            ("the input s", "a ratio of 0", "this is zeros instead of the incoming gradient"),
        ),
        ("linear.backward_bias", {"Linear": BiasNeverWritten}, ("the bias", "a ratio of 0", "param()")),
        ("linear.backward_weight", {"Linear": WeightAtTheWrongPoint}, ("the weight", "not one factor")),
        (
            "loss.backward",
            {"MSELoss": halved(reference.MSELoss)},
            ("the prediction", "a ratio of 0.5", "this is the MSE gradient without the factor 2"),
        ),
    ],
)
def test_a_wrong_backward_fails_with_the_direction_or_the_mistake_named(check, replaced, words):
    message = run(manifest.CHECKS_BY_NAME[check], with_classes(**replaced))
    assert message is not None and all(word in message for word in words), message
    others = [other.name for other in CHECKS if other.name != check]
    assert all(run(manifest.CHECKS_BY_NAME[name], with_classes(**replaced)) is None for name in others)


class SkipsTheFirstModule(reference.Sequential):
    """A Sequential whose backward loop stops before the first module (an off-by-one)."""

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        for number in range(len(self.modules) - 1, 0, -1):
            grad_output = self.modules[number].backward(grad_output)
        return grad_output


class OnlyTheLastThree(reference.Sequential):
    """A Sequential whose backward goes through its last three modules only: right for Linear, Tanh, Linear."""

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        for module in reversed(self.modules[-3:]):
            grad_output = module.backward(grad_output)
        return grad_output


def test_the_network_check_grades_how_the_modules_are_put_together():
    network = manifest.CHECKS_BY_NAME["disk_accuracy.numeric_gradient"]
    message = run(network, with_classes(Sequential=OnlyTheLastThree))
    assert message is not None and "the gradient of the input x that backward returns" in message, message
    assert run(manifest.CHECKS_BY_NAME["sequential.backward"], with_classes(Sequential=OnlyTheLastThree)) is None


def test_the_network_check_leaves_a_part_s_mistake_to_the_part_s_own_check():
    network = manifest.CHECKS_BY_NAME["disk_accuracy.numeric_gradient"]
    for own, replaced in (
        ("activations.tanh_backward", {"Tanh": negated(reference.Tanh)}),
        ("sequential.backward", {"Sequential": SkipsTheFirstModule}),
    ):
        assert run(manifest.CHECKS_BY_NAME[own], with_classes(**replaced)) is not None
        assert run(network, with_classes(**replaced)) is None


def test_a_wrong_forward_costs_only_its_forward_check():
    zeros = type("NoActivation", (reference.NoActivation,), {"forward": lambda self, s: torch.zeros_like(s)})
    namespace = with_classes(NoActivation=zeros)
    assert {check.name: run(check, namespace) for check in CHECKS} == {check.name: None for check in CHECKS}


def inside_backward(file: str, old: str) -> bool:
    """Whether the text ``old`` of the reference's ``file`` lies in a method named ``backward``."""
    source = (ROOT / "reference" / file).read_text()
    line = source[: source.index(old)].count("\n") + 1
    return any(
        isinstance(node, ast.FunctionDef) and node.name == "backward" and node.lineno <= line <= node.end_lineno
        for node in ast.walk(ast.parse(source))
    )


NUMERIC_TASKS = {check.task for check in CHECKS}
BACKWARD_MUTANTS = [  # Sequential's are its own check's (test_mutants): the network's defers to it
    mutant
    for mutant in FRAMEWORK
    if NUMERIC_TASKS & set(mutant.tasks) and all(inside_backward(mutant.file, old) for old, _ in mutant.edits)
]
ACCUMULATION = ("accumulated", "rebound")  # the gradients of one pass are right: accumulates and in_place's


@pytest.mark.parametrize("mutant", BACKWARD_MUTANTS, ids=[mutant.name for mutant in BACKWARD_MUTANTS])
def test_every_mutant_of_a_backward_pass_fails_its_backward_check_with_its_direction_or_mistake_named(mutant, tmp_path):
    solution = copy_reference(tmp_path / "solution")
    path = solution / mutant.file
    source = path.read_text()
    for old, new in mutant.edits:
        source = source.replace(old, new)
    path.write_text(source)
    namespace = load(solution)
    messages = {check.name: run(check, namespace) for check in CHECKS if check.task in mutant.tasks}
    failed = {name: message for name, message in messages.items() if message is not None}
    if any(word in mutant.name for word in ACCUMULATION):
        assert not failed, failed
        return
    assert failed, f"{mutant.name}: no numeric backward check failed"
    assert all(
        any(name in message for name in DIRECTION_NAMES) or message.startswith(RAISED) for message in failed.values()
    ), failed


@pytest.mark.grading
def test_a_grading_through_the_sandbox_runs_the_numeric_checks_and_names_the_mistake(tmp_path, lane):
    solution = copy_reference(tmp_path / "solution")
    path = solution / "framework" / "activations.py"
    path.write_text(path.read_text().replace("derivative = 1 - y * y", "derivative = y * y - 1"))
    report = grade(solution, "activations or disk_accuracy", lane=lane)
    names = ("activations.tanh_backward", "disk_accuracy.numeric_gradient")
    tanh, network = (manifest.CHECKS_BY_NAME[name] for name in names)
    assert not report.outcome(tanh).passed and "sign error" in report.outcome(tanh).message
    assert report.outcome(network).passed
