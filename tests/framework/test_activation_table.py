"""The framework's checks read one table of activations, which the framework's exports decide: every
exported activation has its row, a row's constructor keywords reach every probe that builds it, every
probe's reply is typed, and the descriptions read the thresholds instead of repeating them."""

import re
from types import MappingProxyType, SimpleNamespace

import pytest
import torch

import reference.framework as fw
from autograder import manifest
from autograder.judge import checks_framework
from autograder.judge.checks_framework import ACTIVATIONS, Activation
from autograder.judge.messages import CheckFailure
from autograder.worker.probes import PROBES, reply_type
from reference.framework import activations, serialization

ACTIVATION_TASKS = ("activations", "float64", "io")  # the tasks whose checks build every activation


def exported_activations() -> dict[str, type]:
    """The activation classes the framework exports, by exported name (aliases included)."""
    return {
        name: value
        for name in fw.__all__
        if isinstance(value := getattr(fw, name), type) and value.__module__ == activations.__name__
    }


def test_every_exported_activation_has_a_row_and_its_aliases_are_the_same_class():
    exported = exported_activations()
    declared = {alias: name for name, row in ACTIVATIONS.items() for alias in (name, *row.aliases)}
    assert sorted(declared) == sorted(exported)
    assert all(exported[alias] is exported[name] for alias, name in declared.items())
    assert [cls.__name__ for cls in activations.ACTIVATIONS] == list(ACTIVATIONS)


def test_a_model_file_may_name_every_activation_and_layer_and_nothing_else():
    loadable = {fw.Linear, fw.Sequential, *exported_activations().values()}
    assert set(serialization.MODULES.values()) == loadable
    assert all(serialization.MODULES[cls.__name__] is cls for cls in loadable)


def test_every_framework_probe_replies_with_a_named_tuple():
    untyped = [name for name in PROBES if name.startswith("framework.") and reply_type(name) is None]
    assert untyped == []


def test_descriptions_read_the_thresholds_and_the_tasks_repeat_none():
    disk = manifest.CHECKS_BY_NAME["disk_accuracy.network"].description
    assert f"{checks_framework.DISK_THRESHOLD:.0%}" in disk and f"{checks_framework.CONTROL_CEILING:.0%}" in disk
    framework = [task for task in manifest.TASKS if task.project == "framework"]
    assert [task.name for task in framework if re.search(r"\d+ ?%", task.description)] == []


def test_descriptions_of_the_activations_name_every_row():
    for check in ("activations.any_shape", "float64.support"):
        description = manifest.CHECKS_BY_NAME[check].description
        assert all(name in description for name in ACTIVATIONS), description
    ids = {check.id for check in manifest.checks_of(("activations",))}
    assert all({f"{name.lower()}_forward", f"{name.lower()}_backward"} <= ids for name in ACTIVATIONS)


class LeakyReLU(fw.Module):
    """max(0, s) + slope min(0, s); its slope has no default, so that a probe that forgets the row's
    keywords cannot build it."""

    def __init__(self, negative_slope: float) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        self.save_for_backward(s > 0)
        return torch.where(s > 0, s, self.negative_slope * s)

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        (positive,) = self.pop_saved()
        return torch.where(positive, grad_output, self.negative_slope * grad_output)

    def arguments(self) -> dict:
        return {"negative_slope": self.negative_slope}


LEAKY = Activation(
    formula="max(0, s) + negative_slope min(0, s)",
    backward="multiplies the gradient by 1 where s > 0, negative_slope elsewhere",
    forward=lambda s: torch.where(s > 0, s, 0.1 * s),
    derivative=lambda s, y: torch.where(s > 0, 1.0, 0.1).to(s.dtype),
    forward_mistakes=lambda s: {},
    backward_mistakes=lambda s, y, g: {"the negative slope left out: ReLU's backward": g * (s > 0)},
    kwargs=MappingProxyType({"negative_slope": 0.1}),
)


def run_here(check, namespace) -> list:
    """Run a check's generator on ``namespace`` in this process, as a notebook's kernel does; return
    its probes (a failure raises ``CheckFailure``, with the check's message)."""
    probes, answer = [], None
    while True:
        try:
            probe = check.send(answer) if probes else next(check)
        except StopIteration:
            return probes
        probes.append(probe)
        answer = PROBES[probe.name](namespace, **probe.args)


def test_a_rows_keywords_reach_every_probe_that_builds_the_activation(monkeypatch):
    monkeypatch.setitem(ACTIVATIONS, "LeakyReLU", LEAKY)
    monkeypatch.setitem(serialization.MODULES, "LeakyReLU", LeakyReLU)
    namespace = SimpleNamespace(**{name: getattr(fw, name) for name in fw.__all__}, LeakyReLU=LeakyReLU)
    runs = [check.run() for check in manifest.checks_of(ACTIVATION_TASKS)]
    runs += [checks_framework.activation_forward("LeakyReLU"), checks_framework.activation_backward("LeakyReLU")]
    probes = [probe for run in runs for probe in run_here(run, namespace)]
    built = [str(probe.args) for probe in probes if "LeakyReLU" in str(probe.args)]
    assert len(built) >= 5  # forward, backward, any_shape, float64 and the two round trips build it
    assert all("'negative_slope': 0.1" in args for args in built)


def failure(run, namespace) -> str | None:
    """The message of a check's run on ``namespace`` in this process, or None when it passes."""
    try:
        run_here(run, namespace)
    except CheckFailure as failed:
        return str(failed)
    return None


def relu_backward(self: LeakyReLU, grad_output: torch.Tensor) -> torch.Tensor:
    """ReLU's backward: the gradient of the negative side left out."""
    (positive,) = self.pop_saved()
    return grad_output * positive


ForgetsTheSlope = type("LeakyReLU", (LeakyReLU,), {"backward": relu_backward})  # saved under its row's name


def test_a_leaky_relu_whose_backward_is_relu_s_loses_exactly_one_check_with_its_mistake_named(monkeypatch):
    monkeypatch.setitem(ACTIVATIONS, "LeakyReLU", LEAKY)
    monkeypatch.setitem(serialization.MODULES, "LeakyReLU", ForgetsTheSlope)
    namespace = SimpleNamespace(**{name: getattr(fw, name) for name in fw.__all__}, LeakyReLU=ForgetsTheSlope)
    runs = {check.name: check.run() for check in manifest.checks_of((*ACTIVATION_TASKS, "sequential"))}
    runs |= {
        "activations.leakyrelu_forward": checks_framework.activation_forward("LeakyReLU"),
        "activations.leakyrelu_backward": checks_framework.activation_backward("LeakyReLU"),
    }
    failed = {name: message for name, run in runs.items() if (message := failure(run, namespace)) is not None}
    assert list(failed) == ["activations.leakyrelu_backward"], failed
    assert "this is the negative slope left out: ReLU's backward" in failed["activations.leakyrelu_backward"]


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_the_reference_passes_every_activations_checks_here(name):
    namespace = SimpleNamespace(**{exported: getattr(fw, exported) for exported in fw.__all__})
    for run in (checks_framework.activation_forward(name), checks_framework.activation_backward(name)):
        assert len(run_here(run, namespace)) == 1 + len(ACTIVATIONS[name].aliases)
