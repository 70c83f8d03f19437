"""The source scan: what graded code may import, name and reach, in each project."""

import ast
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from grading import ROOT

from autograder.judge import scan
from autograder.judge.scan import (
    FRAMEWORK,
    KIT_MODULES,
    MAX_FILE_DATA_BYTES,
    MAX_LITERAL_BYTES,
    MAX_PROJECT_DATA_BYTES,
    PAIRS,
    ProjectScan,
    scan_project,
    scan_source,
)
from autograder.judge.submission import Submission, copy_sources, strip

sys.path.insert(0, str(ROOT / "tests" / "equivalents"))
from equivalent import build
from framework_equivalents import FRAMEWORK as FRAMEWORK_EQUIVALENTS
from pairs_equivalents import PAIRS as PAIRS_EQUIVALENTS

ALLOWED_IN_FRAMEWORK = [
    "import torch",
    "from .module import Module",
    "from . import linear",
    "import math\nfrom typing import Any\nfrom collections.abc import Iterator",
    "torch.set_grad_enabled(False)",
    "torch.set_grad_enabled(mode=False)",
    "from torch import set_grad_enabled\nset_grad_enabled(False)",
    "with torch.no_grad():\n    pass",
    "with torch.inference_mode():\n    pass",
    "torch.load(path, weights_only=True)",
    "torch.load(path)",
    "getattr(self, 'weight')",
    "name = self.__class__.__name__ + type(self).__qualname__",
    "super().__init__()",
    "y = x.t() @ torch.linalg.norm(x)",
    "from tqdm.auto import tqdm",
    "import os\ndef save(path: os.PathLike): pass",
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .linear import Linear",
    "import torch\nx = torch.ones(2, dtype=torch.float64).uniform_(-1, 1)",
    "if __name__ == '__main__':\n    pass",
]

REFUSED_IN_FRAMEWORK = [
    ("import torch.nn", "torch.nn"),
    ("from torch import nn", "torch.nn"),
    ("import torch\ntorch.nn.functional.relu(x)", "torch.nn"),
    ("import torch as t\nt.autograd.grad(y, x)", "torch.autograd"),
    ("import torch\ngetattr(torch, 'auto' + 'grad')", "computed attribute name"),
    ("import torch\ngetattr(torch, 'autograd')", "torch.autograd"),
    ("import importlib", "importlib"),
    ("__import__('torch.autograd')", "__import__"),
    ("import torch\ntorch.func.grad(f)", "torch.func"),
    ("import functorch", "functorch"),
    ("import torch\nvars(torch)", "vars"),
    ("import torch\ntorch.__dict__", "__dict__"),
    ("import torch\ntorch.sys.modules", "torch.sys"),
    ("import os\nos.sys.modules", "os.sys"),
    ("import os\nos.system('ls')", "os.system"),
    ("x.requires_grad_()", "requires_grad_"),
    ("import torch\ntorch.ones(2, requires_grad=True)", "requires_grad="),
    ("import torch\nwith torch.enable_grad():\n    pass", "enable_grad"),
    ("import torch\ntorch.set_grad_enabled(True)", "set_grad_enabled(False)"),
    ("import torch\ntorch.set_grad_enabled(mode)", "set_grad_enabled(False)"),
    ("import torch\nwith torch.inference_mode(False):\n    pass", "inference_mode"),
    ("import torch\nwith torch.inference_mode(mode=False):\n    pass", "inference_mode"),
    ("import torch\ntorch.load(path, weights_only=False)", "weights_only=True"),
    ("eval('1')", "eval"),
    ("exec('x = 1')", "exec"),
    ("compile('1', 'f', 'eval')", "compile"),
    ("import sys\nsys._getframe()", "sys"),
    ("error.__traceback__.tb_frame.f_back", "f_back"),
    ("from .. import pairs", "leaves framework/"),
    ("from .module import *", "star import"),
    ("import torch\nalias = torch", "used as a value"),
    ("import torch\nf(torch)", "used as a value"),
    ("import torch\ntorch._C", "private"),
    ("import torch\ntorch.Tensor._make_subclass(cls, x, True)", "private"),
    ("x.__class__.__mro__", "__mro__"),
    ("import pickle", "pickle"),
    ("import inspect", "inspect"),
    ("import gc", "gc"),
    ("f = getattr", "passed as a value"),
    ("import numpy", "numpy"),
    ("import torch\nwith torch.inference_mode(**{'mode': False}):\n    pass", "no * or ** unpacking"),
    ("import torch\noptions = {'requires_grad': True}", "'requires_grad'"),
    ("from typing import TYPE_CHECKING\nif not TYPE_CHECKING:\n    import torch.func", "torch.func"),
    ("# -*- coding: utf-7 -*-\nx = 1", "encoding utf-7"),
]


@pytest.mark.parametrize("source", ALLOWED_IN_FRAMEWORK)
def test_harmless_framework_code_has_no_finding(source):
    assert scan_source(source, "framework/module.py", FRAMEWORK).findings == []


@pytest.mark.parametrize(("source", "rule"), REFUSED_IN_FRAMEWORK)
def test_each_forbidden_use_in_the_framework_is_found_with_file_line_and_rule(source, rule):
    findings = scan_source(source.encode(), "framework/linear.py", FRAMEWORK).findings
    assert findings, source
    assert any(rule in finding.message for finding in findings), [str(finding) for finding in findings]
    assert all(str(finding).startswith("framework/linear.py:") for finding in findings)


@pytest.mark.parametrize(
    "source",
    [
        "import torch.nn as nn",
        "import torch.nn.functional as F\nF.relu(x)",
        "from torch import nn\nnn.Linear(2, 3)",
        "import torch\ntorch.optim.Adam(params)",
        "import os\nos.environ.get('X')",
        "import gzip\nimport hashlib",
        "getattr(module, 'weight')",
    ],
)
def test_pairs_may_use_torch_nn(source):
    assert scan_source(source, "pairs/models.py", PAIRS).findings == []


@pytest.mark.parametrize(
    ("source", "rule"),
    [
        ("import sys", "sys"),
        ("import inspect", "inspect"),
        ("getattr(self, name)", "computed attribute name"),
        ("import torch\ntorch.sys.modules", "torch.sys"),
        ("import importlib", "importlib"),
        ("eval('x')", "eval"),
        ("x.__dict__", "__dict__"),
        ("import torch\ntorch.load(path, weights_only=False)", "weights_only=True"),
        ("import numpy as np\nnp.load(path, allow_pickle=True)", "allow_pickle"),
    ],
)
def test_pairs_may_not_use_reflection(source, rule):
    findings = scan_source(source, "pairs/models.py", PAIRS).findings
    assert any(rule in finding.message for finding in findings), [str(finding) for finding in findings]


def test_a_syntax_error_is_reported_with_its_line():
    assert scan_source("x = 1\ndef f(:\n", "framework/optim.py", FRAMEWORK).syntax_error.startswith("line 2")


def test_the_closure_follows_relative_imports_and_the_package_init(tmp_path):
    folder = tmp_path / "framework"
    (folder / "sub").mkdir(parents=True)
    files = {
        "__init__.py": "from .linear import Linear\n",
        "module.py": "",
        "linear.py": "from .module import Module\nfrom .sub.helpers import helper\n",
        "sub/__init__.py": "",
        "sub/helpers.py": "from ..module import Module\n",
        "training.py": "from . import Linear\n",
        "plots.py": "import sys\n",
        "typed.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .plots import x\n",
    }
    for name, text in files.items():
        (folder / name).write_text(text)
    scan: ProjectScan = scan_project(folder, "framework")
    assert sorted(scan.closure(("linear.py",))) == ["linear.py", "module.py", "sub/__init__.py", "sub/helpers.py"]
    assert "__init__.py" in scan.closure(("training.py",))
    assert scan.closure(("typed.py",)) == ["typed.py"]
    assert scan.files["plots.py"].findings and not scan.files["linear.py"].findings


def test_a_package_shadows_the_module_of_the_same_name_as_it_does_for_python(tmp_path):
    folder = tmp_path / "framework"
    (folder / "activations").mkdir(parents=True)
    (folder / "activations.py").write_text("")
    (folder / "activations" / "__init__.py").write_text("import torch.func\n")
    (folder / "linear.py").mkdir()  # a folder named like a file is no module
    scan = scan_project(folder, "framework")
    assert scan.closure(("activations.py",)) == ["activations/__init__.py"]
    assert "linear.py" not in scan.files


def test_the_judge_never_imports_a_module_of_the_working_folder(tmp_path, monkeypatch):
    (tmp_path / "cheat.py").write_text("raise SystemExit('the judge ran this')\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert scan_source("import cheat\ncheat.x", "pairs/models.py", PAIRS).findings == []


LAYOUTS = ["the environment elsewhere", "the environment inside the kit"]


def place_kit(layout, tmp_path, monkeypatch):
    """Make the scan see the kit beside the Python environment, or around it (the kit's own .venv)."""
    inside = layout == "the environment inside the kit"
    monkeypatch.setattr(scan, "KIT", Path(sys.prefix).resolve().parent if inside else tmp_path)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_installation_is_installed_wherever_the_environment_is(layout, tmp_path, monkeypatch):
    place_kit(layout, tmp_path, monkeypatch)
    assert all(map(scan.installed, ["json", "os.path", "torch", "torch.nn", "numpy", "tqdm.auto", "matplotlib"]))
    assert not scan.installed("antigravity")
    assert scan_source("import shutil\nshutil.os.system('ls')", "pairs/data.py", PAIRS).findings


# Reached through a package the judge imports only when a rule needs it (``scan.Deferred``).
THROUGH_OTHER_PACKAGES = [
    ("import matplotlib\nmatplotlib.sys.modules", "sys"),
    ("import PIL.Image\nPIL.Image.sys.modules", "sys"),
    ("from matplotlib import os as o\no.system('id')", "os offers graded code only"),
    ("import torchvision.datasets.mnist as m\nm.os.system('x')", "os offers graded code only"),
    ("import torchvision\ntorchvision.io.image._load", "a private name"),
    ("from torchvision.io import _load", "a private name"),
    ("from PIL.Image import core\ncore.new", "PIL.Image.core"),  # a private module under a public name
    ("from PIL import Image\nImage.core.new", "PIL.Image.core"),
    ("import matplotlib\nx: (y := matplotlib) = 0", "used as a value"),  # an annotation that runs
    ("import matplotlib\nmatplotlib()", "used as a value"),
]


@pytest.mark.slow
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(("source", "rule"), THROUGH_OTHER_PACKAGES)
def test_a_module_reached_through_another_package_is_found(source, rule, layout, tmp_path, monkeypatch):
    pytest.importorskip("torchvision")
    place_kit(layout, tmp_path, monkeypatch)
    findings = scan_source(source, "pairs/models.py", PAIRS).findings
    assert any(rule in finding.message for finding in findings), [str(finding) for finding in findings]


SCANNED_WITH_OTHER_PACKAGES = """
import sys
from autograder.judge.scan import PAIRS, scan_source

source = (
    "from torchvision.datasets import MNIST\\nfrom matplotlib.figure import Figure\\n"
    "data = MNIST(root, train=True, download=True)\\ndef show() -> Figure:\\n    return Figure(figsize=(4, 3))\\n"
    "import matplotlib\\nx = matplotlib.sys"
)
before = scan_source(source, "pairs/data.py", PAIRS).findings
print(sorted(name for name in ("torchvision", "matplotlib.figure") if name in sys.modules))
import matplotlib.figure, torchvision.datasets
print(scan_source(source, "pairs/data.py", PAIRS).findings == before != [])
"""


@pytest.mark.slow
def test_calls_alone_import_no_other_package_and_what_the_judge_imported_changes_no_finding():
    pytest.importorskip("torchvision")
    process = subprocess.run(
        [sys.executable, "-c", SCANNED_WITH_OTHER_PACKAGES], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert process.stdout.split() == ["[]", "True"], process.stdout + process.stderr


# Autograd behind the scan: doors of autograd that need neither an import nor a forbidden name.
AUTOGRAD_BEHIND_THE_SCAN = [
    ("import torch\nm = torch.inference_mode()\nm.mode = False", "m.mode assigned"),
    ("import torch\nwith torch.inference_mode() as m:\n    m.mode = False", "m.mode assigned"),
    ("from torch import inference_mode\nm, n = inference_mode(), 1\nm.mode = False", "m.mode assigned"),
    ("import torch\ntorch.is_grad_enabled = lambda: True", "torch.is_grad_enabled assigned"),
    ("import torch\nsetattr(torch.Tensor, 'add', f)", "torch.Tensor.add assigned"),
    ("import torch\ndel torch.Tensor.add", "torch.Tensor.add assigned"),
    ("import torch\nx = torch.empty_like(t, **{'requires' + '_grad': True})", "** passed to torch.empty_like"),
    ("import torch\nx = torch.ones(2, **options)", "** passed to torch.ones"),
    ("x = t.new_empty(3, **{'requires' + '_grad': True})", "computed keys"),
    ("x = t.new_empty(3, **{key: True for key in keys})", "computed keys"),
    ("x = t.new_empty(3, **dict([(key, True)]))", "computed keys"),
    ("y.backward(g)\nreturn_value = x.grad", ".grad"),
    ("x.is_leaf", ".is_leaf"),
    ("getattr(x, 'grad')", ".grad"),
    ("y.backward(gradient=g)", ".backward(gradient="),
    ("y.backward(g, retain_graph=True)", "retain_graph"),
    ("y.backward(g, create_graph=True, inputs=[x])", "create_graph"),
    ("y.backward(**options)", ".backward(**"),
]

# What the framework's own code looks like: its backward, its gradients, its keyword forwarding.
FRAMEWORK_IDIOMS = [
    "dx = module.backward(grad_output)\nloss.backward()\nmodel.backward(loss.backward())",
    "m.backward(grad_output=g)",
    "self.weight_grad += grad_output.t() @ x\nself.bias_grad.add_(grad_output.sum(0))",
    "for (parameter, grad), velocity in zip(parameters, velocities, strict=True):\n    parameter.sub_(grad)",
    "def copy(self, **kwargs):\n    return Linear(**kwargs)",
    "layer = MODULES[name](**architecture['arguments'])\nclone = type(self)(**self.arguments())",
    "layer = Linear(**{'in_features': 2, 'out_features': 3})",
    "import torch\nweight = torch.empty(3, 2)\nself.weight = weight\nself.weight.uniform_(-1, 1)",
    "import torch\nx = torch.zeros(3)\nx += 1\nx[0] = 2",
    "import torch\nstate = {f'{index}.weight': w for index, w in enumerate(weights)}\ntorch.save(state, path)",
]


@pytest.mark.parametrize(("source", "rule"), AUTOGRAD_BEHIND_THE_SCAN)
def test_autograd_behind_the_scan_is_found(source, rule):
    findings = scan_source(source, "framework/linear.py", FRAMEWORK).findings
    assert any(rule in finding.message for finding in findings), [str(finding) for finding in findings]


@pytest.mark.parametrize("source", FRAMEWORK_IDIOMS)
def test_the_frameworks_own_backward_gradients_and_keywords_are_no_finding(source):
    assert scan_source(source, "framework/linear.py", FRAMEWORK).findings == []


def test_pairs_may_set_attributes_of_torch_objects_and_read_gradients():
    source = "import torch\nlayer = torch.nn.Linear(2, 3)\nlayer.weight = torch.nn.Parameter(w)\nlayer.weight.grad"
    assert scan_source(source, "pairs/models.py", PAIRS).findings == []


@pytest.mark.parametrize(
    "source",
    [
        "from worker.trusted import trusted_comparison_from_digits",
        "import worker.trusted as trusted",
        "import worker",
        "from reference.pairs.models import comparison_from_digits",
        "import exercises.framework.linear",
        "from autograder.judge import checks_pairs",
        "import importlib\nimportlib.import_module('worker.trusted')",
        "__import__('reference.framework')",
    ],
)
@pytest.mark.parametrize(("path", "policy"), [("pairs/models.py", PAIRS), ("framework/linear.py", FRAMEWORK)])
def test_an_import_of_the_kit_is_found_in_both_projects(source, path, policy):
    findings = scan_source(source, path, policy).findings
    assert any("a module of the grading kit" in finding.message for finding in findings), findings


def test_every_top_level_file_and_folder_of_the_kit_is_the_kits():
    assert {"worker", "autograder", "reference", "exercises", "tests"} <= KIT_MODULES
    assert not {"torch", "numpy", "framework", "pairs"} & KIT_MODULES


def write_project(folder: Path, files: dict[str, str]) -> Path:
    """A project folder holding ``files``."""
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def test_a_long_literal_is_found_with_its_line_and_the_cap():
    source = f"x = 1\nWEIGHTS = {'A' * (MAX_LITERAL_BYTES + 1)!r}\n"
    (finding,) = scan_source(source, "pairs/models.py", PAIRS).findings
    assert finding.line == 2 and f"{MAX_LITERAL_BYTES} bytes per literal" in finding.message
    assert "compute the values in code" in finding.message


@pytest.mark.parametrize(
    "data",
    [
        "WEIGHTS = [" + ", ".join(["-0.125"] * 400) + "]",
        "WEIGHTS = (" + " ".join(repr("AB" * 100) for _ in range(9)) + ")",
        "WEIGHTS = [" + ", ".join([repr(b"\x01\x02" * 100)] * 9) + "]",
        "WEIGHTS = [" + ", ".join(f"f'{{x}}{'Q' * 200}'" for _ in range(9)) + "]",
    ],
)
def test_a_file_whose_literals_exceed_the_cap_is_found(data):
    findings = scan_source(f"x = 1\n{data}\n", "framework/linear.py", FRAMEWORK).findings
    assert any(f"{MAX_FILE_DATA_BYTES:,} per file" in finding.message for finding in findings), findings


def test_docstrings_do_not_count_as_data_since_the_copy_empties_them():
    docstring = "A" * (MAX_FILE_DATA_BYTES * 2)
    source = f'"""{docstring}"""\n\ndef f():\n    """{docstring}"""\n    "{docstring}"\n'
    assert scan_source(source, "pairs/models.py", PAIRS).findings == []


def test_data_spread_over_helper_files_costs_every_file_of_the_project(tmp_path):
    part = "W = [" + ", ".join(["0.123"] * 200) + "]\n"  # about 1,000 bytes: under the file cap
    count = MAX_PROJECT_DATA_BYTES // 1000 + 1
    folder = write_project(tmp_path / "pairs", {**{f"w{i}.py": part for i in range(count)}, "models.py": "x = 1\n"})
    scan = scan_project(folder, "pairs")
    for scanned in scan.files.values():
        assert any("the literals of pairs/ hold" in finding.message for finding in scanned.findings)
    big = write_project(tmp_path / "framework", {"linear.py": "x = 1\n", "blob.py": f"B = {'A' * 600!r}\n"})
    (finding,) = scan_project(big, "framework").files["linear.py"].findings  # blob.py is never imported
    assert str(finding).startswith("framework/blob.py:1: a literal of 600 bytes")


def kit_solutions() -> dict[str, Path]:
    """The reference, the exercises and every equivalent, built in a temporary folder."""
    folders = {"reference": ROOT / "reference", "exercises": ROOT / "exercises"}
    for equivalent in FRAMEWORK_EQUIVALENTS + PAIRS_EQUIVALENTS:
        folders[equivalent.name] = build(equivalent, Path(tempfile.mkdtemp()) / equivalent.name)
    return folders


def test_the_caps_leave_margin_over_the_kits_solutions_and_their_measure_is_printed():
    longest = file_most = project_most = 0
    for name, folder in kit_solutions().items():
        for project in ("framework", "pairs"):
            scan = scan_project(folder / project, project)
            assert not [f for s in scan.files.values() for f in s.data_findings], (name, project)
            longest = max([longest, *(size for s in scan.files.values() for _, size in s.data)])
            file_most = max([file_most, *(s.data_bytes for s in scan.files.values())])
            project_most = max(project_most, sum(s.data_bytes for s in scan.files.values()))
    print(f"longest literal {longest}, most in a file {file_most}, most in a project {project_most}")
    assert longest * 2 <= MAX_LITERAL_BYTES
    assert file_most * 1.3 <= MAX_FILE_DATA_BYTES
    assert project_most * 1.2 <= MAX_PROJECT_DATA_BYTES
    assert MAX_FILE_DATA_BYTES < 196 * 10  # a 196x10 linear digit classifier at 8 bits does not fit in one file


def test_the_copy_has_no_comments_or_docstrings_and_keeps_every_line():
    source = (
        '#!/usr/bin/env python\n"""Module\ndocstring."""\nimport torch  # DATA1\n\n\nclass A:\n'
        '    """DATA2\n    DATA3"""\n\n    def f(self):\n        "DATA4" "DATA5"\n        x = "# kept"\n'
        '        return f"{x}"  # DATA6\n'
    )
    copied = strip(source.encode()).decode()
    assert "DATA" not in copied and '"# kept"' in copied and 'f"{x}"' in copied
    assert copied.count("\n") == source.count("\n")

    def statements(text: str) -> list[tuple[str, int]]:
        return [(type(node).__name__, node.lineno) for node in ast.walk(ast.parse(text)) if isinstance(node, ast.stmt)]

    assert statements(copied) == statements(source)


def test_the_copy_of_a_submission_is_stripped(tmp_path):
    solution = write_project(tmp_path / "solution" / "pairs", {"models.py": "x = 1  # SECRET\n", "mnist.py": ""})
    copy = tmp_path / "copy"
    copy_sources(Submission("s", solution.parent, ("pairs",)), copy)
    assert (copy / "pairs" / "models.py").read_text() == "x = 1  \n"


@pytest.mark.parametrize(
    "text", ["x = (1,\n", "def f(:\n    # DATA\n", "'''DATA\n", "if x:\n    y = 1\n  z = 2  # DATA\n"]
)
def test_the_copy_of_a_file_python_cannot_read_keeps_its_error(text):
    copied = strip(text.encode())
    with pytest.raises(SyntaxError):
        ast.parse(copied)


def test_the_student_guide_states_the_caps():
    guide = " ".join((ROOT / "autograder" / "student_guide.md").read_text().split())
    assert f"holds at most {MAX_LITERAL_BYTES} bytes" in guide
    assert f"{MAX_FILE_DATA_BYTES:,} bytes in all" in guide and f"a project {MAX_PROJECT_DATA_BYTES:,}" in guide
