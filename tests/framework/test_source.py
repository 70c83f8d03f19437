"""The graded files pass the grader's source scan, import nothing else of the package, and keep their names."""

import importlib
from pathlib import Path

import pytest

import reference.framework as fw
from autograder.judge.scan import scan_project

FRAMEWORK = Path(fw.__file__).parent
NAMES = {
    "module.py": ("Module",),
    "activations.py": ("ReLU", "Tanh", "Sigmoid", "NoActivation", "Identity", "ACTIVATIONS"),
    "linear.py": ("Linear",),
    "sequential.py": ("Sequential",),
    "loss.py": ("MSELoss",),
    "optim.py": ("SGD",),
    "training.py": ("train_epoch", "train", "accuracy", "History"),
    "serialization.py": ("save", "load", "ModelFileError"),
    "data.py": ("generate_disk_set", "DiskSets", "one_hot"),
}
GRADED = tuple(NAMES)


def test_graded_files_pass_the_graders_source_scan():
    scan = scan_project(FRAMEWORK, "framework")
    graded = scan.closure(GRADED)
    assert sorted(graded) == sorted(GRADED)  # they import nothing else of the package
    assert [str(finding) for name in graded for finding in scan.files[name].findings] == []


@pytest.mark.parametrize(("name", "exported"), NAMES.items())
def test_names_stay_in_their_files(name, exported):
    module = importlib.import_module(f"reference.framework.{name.removesuffix('.py')}")
    for export in exported:
        assert hasattr(module, export), f"{name} lost {export}"
