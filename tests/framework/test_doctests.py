"""Every ``>>>`` example of reference/framework runs, with torch and the package's names in scope."""

import doctest
import importlib
from pathlib import Path

import pytest
import torch

import reference.framework as fw

MODULES = sorted(path.stem for path in Path(fw.__file__).parent.glob("*.py"))


@pytest.mark.parametrize("name", MODULES)
def test_examples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that save a model write it here
    torch.manual_seed(0)
    module = importlib.import_module(f"reference.framework.{name}" if name != "__init__" else "reference.framework")
    scope = {"torch": torch, **{export: getattr(fw, export) for export in fw.__all__}}
    results = doctest.testmod(module, extraglobs=scope, optionflags=doctest.ELLIPSIS, verbose=False)
    assert results.failed == 0, f"{results.failed} of {results.attempted} examples of {name}.py failed"


def test_the_graded_modules_have_examples():
    """Each file a student writes in documents its use with at least one example."""
    for name in ("activations", "data", "linear", "loss", "module", "optim", "sequential", "serialization",
                 "training"):  # fmt: skip
        module = importlib.import_module(f"reference.framework.{name}")
        assert doctest.DocTestFinder().find(module) and any(
            test.examples for test in doctest.DocTestFinder().find(module)
        ), name
