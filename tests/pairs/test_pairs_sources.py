"""The files that grading imports: each loads on its own and keeps to plain Python and public torch."""

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

from autograder.judge.scan import scan_project
from reference.pairs import MODELS

PAIRS = Path(__file__).resolve().parents[2] / "reference" / "pairs"
# What grading imports, directly or through them; the other modules of the package may import more.
PROBED = ("data.py", "mnist.py", "layers.py", "models.py", "training.py")


def load_alone(name: str, monkeypatch: pytest.MonkeyPatch):
    """Import one file of the package as a module of its own, without the package and its __init__.py."""
    spec = importlib.util.spec_from_file_location(f"alone_{name}", PAIRS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


def test_training_imports_neither_the_models_nor_the_data_when_it_runs(monkeypatch):
    training = load_alone("training", monkeypatch)
    generator = torch.Generator().manual_seed(0)
    classes = torch.randint(0, 10, (40, 2), generator=generator)
    split = (255 * torch.rand(40, 2, 14, 14, generator=generator), (classes[:, 0] <= classes[:, 1]).long(), classes)
    torch.manual_seed(0)
    history = training.train(MODELS["shared"](), split + split, epochs=1, batch_size=20, seed=0)  # a plain tuple
    assert len(history.train_loss) == 1 and 0 <= history.test_accuracy[0] <= 1


def test_probed_files_pass_the_graders_scan_and_import_nothing_unscanned():
    scan = scan_project(PAIRS, "pairs")
    graded = scan.closure(PROBED)
    assert sorted(graded) == sorted(PROBED)
    assert [str(finding) for name in graded for finding in scan.files[name].findings] == []
