"""The run-time ban on autograd in project 2: every route to a gradient is caught, the framework's
own tensor algebra never is.

The sentinel is the worker's (``autograder.worker.no_autograd``), run here in-process on code
written in a file below a fake submission root, so that the place it reports is checked too.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import pytest
import torch

from autograder.worker import no_autograd
from reference.framework import Linear, ReLU, Sequential, Tanh, generate_disk_set, one_hot, train

# Each route computes d(sum(x W^T))/dx for the module-level x and W, as a hostile Linear.backward would.
ROUTES = {
    "inference_mode_off": """
def gradient(x, w):
    mode = torch.inference_mode()
    mode.mode = False
    with mode:
        leaf = torch.empty_like(x, **{"requires" + "_grad": True})
        with torch.no_grad():
            leaf.copy_(x)
        (leaf @ w.T).sum().backward()
    return leaf.grad
""",
    "enable_grad": """
def gradient(x, w):
    with torch.enable_grad():
        leaf = x.clone().requires_grad_()
        return torch.autograd.grad((leaf @ w.T).sum(), leaf)[0]
""",
    "func_grad": """
def gradient(x, w):
    return torch.func.grad(lambda leaf: (leaf @ w.T).sum())(x)
""",
    "forward_mode": """
import torch.autograd.forward_ad as forward_ad

def gradient(x, w):
    with forward_ad.dual_level():
        dual = forward_ad.make_dual(x, torch.ones_like(x))
        return forward_ad.unpack_dual((dual @ w.T).sum()).tangent
""",
}


def load(tmp_path: Path, name: str, source: str):
    """Import ``source`` as the submission file ``framework/<name>.py`` below ``tmp_path``."""
    path = tmp_path / "framework" / f"{name}.py"
    path.parent.mkdir(exist_ok=True)
    path.write_text("import torch\n" + source)
    spec = importlib.util.spec_from_file_location(f"route_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("route", ROUTES)
def test_every_route_to_autograd_is_caught_with_its_place(tmp_path, route):
    gradient = load(tmp_path, route, ROUTES[route]).gradient
    x, w = torch.randn(4, 3), torch.randn(2, 3)
    sentinel = no_autograd.AutogradSentinel(tmp_path)
    with pytest.raises(no_autograd.AutogradUsed), sentinel:
        gradient(x, w)
    assert sentinel.found is not None, f"{route} computed a gradient unseen"
    assert sentinel.found["file"] == f"framework/{route}.py"
    assert sentinel.found["function"] == "gradient", sentinel.found
    described = no_autograd.describe_use(sentinel.found)
    assert described["forbidden"] == sentinel.found and f"framework/{route}.py" in described["message"]


def test_catching_the_exception_does_not_hide_the_use(tmp_path):
    source = ROUTES["enable_grad"].replace("def gradient(x, w):", "def inner(x, w):")
    source += "\n\ndef gradient(x, w):\n    try:\n        return inner(x, w)\n"
    source += "    except BaseException:\n        return x\n"
    gradient = load(tmp_path, "swallowed", source).gradient
    sentinel = no_autograd.AutogradSentinel(tmp_path)
    with sentinel:
        gradient(torch.randn(4, 3), torch.randn(2, 3))
    assert sentinel.found is not None and sentinel.found["function"] == "inner"


def test_the_framework_itself_trains_under_the_sentinel(tmp_path):
    torch.manual_seed(0)
    x, labels, _, _ = generate_disk_set(200, seed=0)
    model = Sequential(Linear(2, 8), ReLU(), Linear(8, 8), Tanh(), Linear(8, 2))
    sentinel = no_autograd.AutogradSentinel(tmp_path)
    with sentinel:
        history = train(model, x, one_hot(labels, 2), epochs=3, batch_size=50, lr=0.1, seed=0)
    assert sentinel.found is None and len(history.loss) == 3


def test_a_thread_cannot_be_started_after_the_guard(tmp_path, monkeypatch):
    import _thread

    for module in (_thread, threading):
        for name in no_autograd.THREAD_STARTERS:
            for attribute in (name, f"_{name}"):
                if hasattr(module, attribute):
                    monkeypatch.setattr(module, attribute, getattr(module, attribute))  # restored after the test
    no_autograd.guard(tmp_path)
    with pytest.raises(RuntimeError, match="start no thread"):
        threading.Thread(target=print).start()
    with pytest.raises(RuntimeError, match="start no thread"):
        _thread.start_new_thread(print, ())


@pytest.mark.grading
def test_a_use_the_scan_misses_is_charged_as_a_finding_of_its_file(tmp_path, monkeypatch, lane):
    """End to end, through the sandbox, with the scan blinded: the run-time ban alone charges every check
    that imports the file, and names its line."""
    from grading import copy_reference, edit, grade

    from autograder.judge import grading

    def blind_scan(folder, project):
        scanned = scan_project(folder, project)
        for file in scanned.files.values():
            file.findings.clear()
        return scanned

    scan_project = grading.scan_project
    monkeypatch.setattr(grading, "scan_project", blind_scan)
    solution = copy_reference(tmp_path / "solution")
    edit(
        solution,
        "framework/activations.py",
        "        derivative = 1 - y * y\n",
        "        with torch.enable_grad():\n"
        "            leaf = torch.zeros_like(y, requires_grad=True)\n"
        "            derivative = (1 - (leaf + y) ** 2) + 0 * leaf\n",
    )
    report = grade(solution, "activations or sgd", lane=lane)
    charged = {check.name for check, _ in report.failures()}
    assert "activations.tanh_backward" in charged and "activations.any_shape" in charged, report.feedback()
    assert not any(name.startswith("sgd.") for name in charged), report.feedback()
    message = next(outcome.message for check, outcome in report.failures() if check.name == "activations.tanh_backward")
    assert "framework/activations.py:" in message and "autograd used at run time" in message, message
