"""The files that grading imports: each loads on its own and keeps to plain Python and public torch."""

import ast
import importlib.util
import sys
from pathlib import Path

import pytest
import torch

from reference.pairs import MODELS

PAIRS = Path(__file__).resolve().parents[2] / "reference" / "pairs"
# What grading imports, directly or through them; the other modules of the package may import more.
PROBED = ("data.py", "mnist.py", "layers.py", "models.py", "training.py")
NOT_PROBED = ("__main__", "plots", "experiment", "vectorised")
FORBIDDEN_MODULES = {
    "sys", "inspect", "importlib", "gc", "builtins", "ctypes", "types", "traceback", "pickle", "subprocess",
}  # fmt: skip
FORBIDDEN_CALLS = {"eval", "exec", "compile", "vars", "globals", "locals", "__import__"}
ALLOWED_DUNDERS = {
    "__init__", "__class__", "__name__", "__qualname__", "__doc__", "__module__",
    "__len__", "__getitem__", "__setitem__", "__delitem__", "__iter__", "__contains__", "__reversed__",
}  # fmt: skip
FRAMES = {"f_back", "f_locals", "f_globals", "f_code", "gi_frame", "cr_frame", "tb_frame", "tb_next"}


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


def problems(path: Path) -> list[str]:
    """What in one file a probe's scan would refuse, as 'line: reason'."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [f"{'.' * node.level}{node.module or ''}"]
            found += [f"{line}: imports private {alias.name}" for alias in node.names if alias.name.startswith("_")]
        else:
            names = []
        for name in names:
            if name.lstrip(".").split(".")[0] in FORBIDDEN_MODULES:
                found.append(f"{line}: imports {name}")
            if name.startswith(".") and name.lstrip(".") in NOT_PROBED:
                found.append(f"{line}: imports {name}, which grading does not scan")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in FORBIDDEN_CALLS:
                found.append(f"{line}: calls {node.func.id}")
            computed = len(node.args) < 2 or not isinstance(node.args[1], ast.Constant)
            if node.func.id in ("getattr", "setattr", "delattr") and computed:
                found.append(f"{line}: {node.func.id} with a computed name")
        if isinstance(node, ast.Attribute):
            dunder = node.attr.startswith("__") and node.attr.endswith("__")
            if (dunder and node.attr not in ALLOWED_DUNDERS) or node.attr in FRAMES:
                found.append(f"{line}: uses {node.attr}")
            on_self = isinstance(node.value, ast.Name) and node.value.id == "self"
            if node.attr.startswith("_") and not dunder and not on_self:
                found.append(f"{line}: uses the private {node.attr} of another object")
    return found


@pytest.mark.parametrize("file", PROBED)
def test_probed_files_use_plain_python_and_public_torch(file):
    assert problems(PAIRS / file) == []


def test_the_scan_finds_what_it_looks_for(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import sys\nfrom .plots import show_pairs\nimport torch\n"
        "x = getattr(torch, name)\ny = torch._C\nz = torch.__dict__\neval('1')\n"
    )
    assert sorted({int(problem.split(":")[0]) for problem in problems(bad)}) == [1, 2, 4, 5, 6, 7]
