"""The source scan: what graded code may import, name and reach, in each project."""

import pytest

from autograder.judge.scan import FRAMEWORK, PAIRS, ProjectScan, scan_project, scan_source

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
