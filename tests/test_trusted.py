"""The trusted parts: the reference's own definitions, generated and kept up to date; and the judge's
trusted models are the same in judge and worker, whatever else draws random numbers."""

import functools
import shutil
import threading
from pathlib import Path

import pytest
import torch

from autograder import trusted_source
from autograder.__main__ import main
from autograder.exercises import BEGIN, END, REFERENCE
from autograder.worker import reference_parts, trusted
from autograder.worker.trusted import trusted_pair_model
from reference.framework import Linear, Tanh
from reference.pairs import models


def weights(seed: int) -> list[torch.Tensor]:
    """The trusted pair model's parameters for ``seed``."""
    return [parameter.detach().clone() for parameter in trusted_pair_model(seed).parameters()]


def test_the_trusted_pair_model_does_not_depend_on_the_global_generator():
    torch.manual_seed(1)
    first = weights(0)
    torch.manual_seed(2)
    torch.rand(100)
    assert all(torch.equal(a, b) for a, b in zip(first, weights(0), strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(first, weights(1), strict=True))


def test_threads_that_draw_meanwhile_do_not_change_the_trusted_pair_model():
    expected, stop = weights(0), threading.Event()

    def draw() -> None:
        while not stop.is_set():
            torch.manual_seed(5)
            torch.rand(1000)

    thread = threading.Thread(target=draw)
    thread.start()
    try:
        built = [weights(0) for _ in range(50)]
    finally:
        stop.set()
        thread.join()
    assert all(torch.equal(a, b) for model in built for a, b in zip(expected, model, strict=True))


def test_the_reference_parts_are_up_to_date_with_the_reference():
    assert not trusted_source.stale(), "run: python -m autograder build-exercises"


def test_the_reference_parts_are_the_named_definitions_without_markers_or_docstrings():
    text = trusted_source.GENERATED.read_text()
    assert BEGIN not in text and END not in text and "Example:" not in text
    for names in trusted_source.PARTS.values():
        for name in names:
            owner, _, definition = name.rpartition(".")
            assert definition in vars(getattr(reference_parts, owner) if owner else reference_parts), name
    assert "Sigmoid" not in vars(reference_parts) and "forward" not in vars(reference_parts.PairModel)


def copy_of_the_reference(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the reference, and reference parts generated from it, in ``tmp_path``."""
    reference, generated = tmp_path / "reference", tmp_path / "reference_parts.py"
    shutil.copytree(REFERENCE, reference, ignore=shutil.ignore_patterns("__pycache__"))
    assert trusted_source.build(generated, reference)
    assert not trusted_source.stale(generated, reference)
    return reference, generated


def edit(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of ``old`` in the file ``path`` by ``new``."""
    source = path.read_text()
    assert source.count(old) == 1
    path.write_text(source.replace(old, new))


@pytest.mark.parametrize(
    ("file", "old", "new"),
    [
        ("framework/linear.py", "self.weight_grad += grad_output.T @ x", "self.weight_grad -= grad_output.T @ x"),
        ("pairs/models.py", "joint = log_p[:, 0, :, None] + log_p[:, 1, None, :]", "joint = log_p[:, 0, :, None]"),
        ("framework/optim.py", 'raise ValueError(f"SGD: lr must', 'raise TypeError(f"SGD: lr must'),
    ],
    ids=["a solution region", "a region of project 1", "the scaffold of a part"],
)
def test_editing_a_trusted_part_of_the_reference_makes_them_stale(tmp_path, file, old, new):
    reference, generated = copy_of_the_reference(tmp_path)
    edit(reference / file, old, new)
    assert trusted_source.stale(generated, reference)
    assert trusted_source.build(generated, reference) and new in generated.read_text()
    assert not trusted_source.stale(generated, reference)


def test_the_build_command_s_check_reports_stale_reference_parts(tmp_path, monkeypatch, capsys):
    reference, generated = copy_of_the_reference(tmp_path)
    edit(reference / "framework/loss.py", "return difference * (2 / count)", "return difference / count")
    monkeypatch.setattr(trusted_source, "stale", functools.partial(trusted_source.stale, generated, reference))
    assert main(["build-exercises", "--check"]) == 1
    assert f"stale: {trusted_source.GENERATED_NAME}" in capsys.readouterr().out


def test_editing_what_no_trusted_part_uses_leaves_them_up_to_date(tmp_path):
    reference, generated = copy_of_the_reference(tmp_path)
    edit(reference / "framework/activations.py", "derivative = y * (1 - y)", "derivative = y - y * y")
    assert not trusted_source.stale(generated, reference)


def test_a_part_that_needs_a_definition_not_copied_is_named(monkeypatch):
    monkeypatch.setitem(trusted_source.PARTS, "framework/module.py", ("Module",))
    with pytest.raises(trusted_source.PartsError, match="check_positive_integer: add it to PARTS"):
        trusted_source.reference_parts()


def backpropagated(linear: Linear, tanh: Tanh, x: torch.Tensor, grad_output: torch.Tensor) -> list[torch.Tensor]:
    """tanh(linear(x)), the input's gradient and the parameters' gradients of ``grad_output``."""
    output = tanh(linear(x))
    return [output, linear.backward(tanh.backward(grad_output)), linear.weight_grad, linear.bias_grad]


def test_the_trusted_parts_compute_what_the_reference_computes():
    generator = torch.Generator().manual_seed(0)
    weight, bias = torch.randn(3, 4, generator=generator), torch.randn(3, generator=generator)
    x, grad_output = torch.randn(5, 4, generator=generator), torch.randn(5, 3, generator=generator)
    kit = Linear(4, 3)
    kit.load_state_dict({"weight": weight, "bias": bias})
    expected = backpropagated(kit, Tanh(), x, grad_output)
    obtained = backpropagated(trusted.TrustedLinear(weight, bias), trusted.TrustedTanh(), x, grad_output)
    assert all(torch.equal(a, b) for a, b in zip(obtained, expected, strict=True))
    digits = torch.randn(6, 2, 10, generator=generator)
    for given in (digits, digits.transpose(1, 2)):
        assert torch.equal(trusted.trusted_comparison_from_digits(given), models.comparison_from_digits(digits))
