"""Every ``>>>`` example of the reference's two packages runs, with torch and the package's names in scope."""

import doctest
import importlib
from pathlib import Path

import pytest
import torch

import reference.framework
import reference.pairs

PACKAGES = (reference.framework, reference.pairs)
MODULES = [
    (package.__name__, path.stem) for package in PACKAGES for path in sorted(Path(package.__file__).parent.glob("*.py"))
]


@pytest.mark.parametrize(("package", "name"), MODULES, ids=[f"{package}.{name}" for package, name in MODULES])
def test_examples(package, name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that save a model write it here
    torch.manual_seed(0)
    module = importlib.import_module(package if name == "__init__" else f"{package}.{name}")
    exports = importlib.import_module(package)
    scope = {"torch": torch, **{export: getattr(exports, export) for export in exports.__all__}}
    results = doctest.testmod(module, extraglobs=scope, optionflags=doctest.ELLIPSIS, verbose=False)
    assert results.failed == 0, f"{results.failed} of {results.attempted} examples of {package}/{name}.py failed"


def test_the_graded_modules_have_examples():
    """Each file a student writes in project 2 documents its use with at least one example."""
    graded = ("activations", "data", "linear", "loss", "module", "optim", "sequential", "serialization", "training")
    for name in graded:
        module = importlib.import_module(f"reference.framework.{name}")
        assert any(test.examples for test in doctest.DocTestFinder().find(module)), name


def test_the_autograder_has_no_example_left_out():
    """The autograder's docstrings hold no ``>>>`` example: none that this test file would not run."""
    autograder = Path(__file__).resolve().parent.parent / "autograder"
    assert not [path for path in autograder.rglob("*.py") if ">>> " in path.read_text()]
