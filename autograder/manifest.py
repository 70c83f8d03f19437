"""The course's tasks, and every graded check declared once, beside its logic.

A task is a pytest marker (``pytest autograder -m linear``), a section of the score table
and of the student guide: it is declared in ``TASKS`` below. A check is declared where its
logic is, in ``judge/checks_*.py``: the ``@check(task, id, points, description)``
decorator on its function, or ``declare(...)`` in the loop that makes a family of checks
from one table (a check per pairs model, per activation); ``hidden=True`` keeps a check's
result from the student until after the due date. ``CHECKS``, ``CHECKS_BY_NAME`` and
``TOTAL`` are gathered from those declarations the first time they are read, in the order
of ``TASKS`` and then of declaration; the tests, the notebooks' test cells, the student
guide, the Gradescope file and every report are built from them. A report of a full
grading lists every check, and its maximum is ``TOTAL``.

Reading ``TASKS`` imports nothing: the command line starts the worker before it imports
torch and the checks (``judge/prestart.py``).

Wall-clock limits: a check whose probes take under half a second on the reference may
run ``QUICK_LIMIT`` seconds; the training checks get about thirty times the
reference's time on an idle 2-core machine. The judge multiplies every limit by the
worker's measured slowdown (a busy machine), so a correct but slower solution on a
loaded machine keeps its points, while an endless loop costs at most that long.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable, Generator
from typing import Any, NamedTuple

QUICK_LIMIT = 20.0
# The modules of judge/ that declare checks, imported the first time the checks are read.
CHECK_MODULES = ("checks_pairs", "checks_framework", "checks_gradients")

CheckFunction = Callable[[], Generator[Any, Any, None]]


class Task(NamedTuple):
    """A graded task: its marker name, its project, what it asks, and its files (in ``project/``)."""

    name: str
    project: str
    description: str
    files: tuple[str, ...]


class Check(NamedTuple):
    """One graded check: ``task.id`` names it; ``files`` overrides the task's files; ``run`` starts it
    (a generator of probes: see ``judge/probe.py``); a ``hidden`` check is graded like any other, but
    what a student reads shows its points, never its result, until after the due date."""

    task: str
    id: str
    points: float
    description: str
    limit: float = QUICK_LIMIT
    files: tuple[str, ...] = ()
    run: CheckFunction | None = None
    hidden: bool = False

    @property
    def name(self) -> str:
        """``task.id``: the check's name in every report."""
        return f"{self.task}.{self.id}"


TASKS = (
    Task(
        "pair_data",
        "pairs",
        "drawing the pairs: real MNIST images, targets, no image twice, seeds, distinct digits",
        ("data.py",),
    ),
    Task(
        "models",
        "pairs",
        "every model's layers and forward: output fields and shapes, digits (N, 2, 10), the course's size",
        ("models.py",),
    ),
    Task(
        "weight_sharing",
        "pairs",
        "weight sharing in the shared models, separate branches in the others",
        ("models.py",),
    ),
    Task(
        "auxiliary",
        "pairs",
        "the loss formula of the docstring: CE(comparison) + aux_weight sum CE(auxiliary) + digit_weight CE(digits) "
        "averaged over the 2N images; each variant charged once",
        ("models.py",),
    ),
    Task(
        "comparison", "pairs", "comparison_from_digits: P(first <= second) from two digit predictions", ("models.py",)
    ),
    Task(
        "pair_training",
        "pairs",
        "the training step's mechanics, whatever the loss's formula: zeroed gradients, one backward, one step",
        ("training.py",),
    ),
    Task(
        "pair_accuracy",
        "pairs",
        "your models and your training reach the course's test accuracy on fresh pairs, and stay near chance on "
        "shuffled labels",
        ("models.py", "training.py"),
    ),
    Task(
        "activations", "framework", "every activation module: forward, backward, any input shape", ("activations.py",)
    ),
    Task(
        "linear", "framework", "the Linear layer: parameters, forward, backward, accumulated gradients", ("linear.py",)
    ),
    Task(
        "sequential",
        "framework",
        "Sequential: forward in order, backward in reverse, param() in order",
        ("sequential.py",),
    ),
    Task("loss", "framework", "MSELoss: forward and backward", ("loss.py",)),
    Task("sgd", "framework", "SGD: the update, with and without momentum, in place", ("optim.py",)),
    Task("training", "framework", "the training loop and accuracy", ("training.py",)),
    Task(
        "disk_accuracy",
        "framework",
        "your framework end to end: a network of your modules passes a numeric gradient check, and the disk "
        "network, trained by your train, reaches the course's accuracy threshold",
        ("training.py", "linear.py", "activations.py", "sequential.py"),
    ),
    Task(
        "io",
        "framework",
        "save and load: an exact round trip, and files that run code refused",
        ("serialization.py", "linear.py", "activations.py", "sequential.py"),
    ),
    Task(
        "float64",
        "framework",
        "float64 support in Linear, the activations and MSELoss",
        ("linear.py", "activations.py", "loss.py"),
    ),
)

TASKS_BY_NAME = {task.name: task for task in TASKS}
DECLARED: dict[str, Check] = {}


def declare(
    task: str,
    id: str,
    points: float,
    description: str,
    run: CheckFunction,
    *,
    limit: float = QUICK_LIMIT,
    files: tuple[str, ...] = (),
    hidden: bool = False,
) -> Check:
    """Declare one graded check: its task, id, points, what it checks (said to the student), the
    function that runs it, its wall-clock limit and files when they are not the task's, and whether
    its result is hidden from the student until after the due date (Gradescope's ``after_due_date``).

    Raises:
        ValueError: an unknown task, a name declared twice, or points that are not positive.
    """
    declared = Check(task, id, points, description, limit, files, run, hidden)
    if task not in TASKS_BY_NAME:
        raise ValueError(f"check {declared.name}: unknown task {task!r}; declare it in manifest.TASKS first")
    if declared.name in DECLARED:
        raise ValueError(f"check {declared.name} is declared twice: give the second one another id")
    if not points > 0:
        raise ValueError(f"check {declared.name}: points must be positive, not {points!r}")
    DECLARED[declared.name] = declared
    return declared


def check(
    task: str,
    id: str,
    points: float,
    description: str,
    *,
    limit: float = QUICK_LIMIT,
    files: tuple[str, ...] = (),
    hidden: bool = False,
) -> Callable[[CheckFunction], CheckFunction]:
    """Declare the decorated function as the graded check ``task.id`` (see ``declare``)."""

    def register(function: CheckFunction) -> CheckFunction:
        declare(task, id, points, description, function, limit=limit, files=files, hidden=hidden)
        return function

    return register


@functools.cache
def declared_checks() -> tuple[Check, ...]:
    """Every declared check, in the order of ``TASKS``, then of declaration."""
    for module in CHECK_MODULES:
        importlib.import_module(f"{__package__}.judge.{module}")
    order = {task.name: index for index, task in enumerate(TASKS)}
    return tuple(sorted(DECLARED.values(), key=lambda check: order[check.task]))


CONSTANT = re.compile(r"\{(checks_\w+)\.([A-Z_]+)(?::([^}]*))?\}")


def fill_constants(text: str) -> str:
    """``text`` with each ``{checks_pairs.ACCURACY_THRESHOLD:.0%}`` replaced by that constant of the module
    that declares checks, formatted: the guide and the notebooks read the checks' numbers, never repeat them.

    Raises:
        ValueError: a module that declares no checks, or a constant it does not define.
    """
    declared_checks()

    def value(match: re.Match) -> str:
        module, name, spec = match.groups()
        if module not in CHECK_MODULES:
            raise ValueError(f"{match[0]}: {module} is not one of the modules that declare checks, {CHECK_MODULES}")
        found = getattr(importlib.import_module(f"{__package__}.judge.{module}"), name, None)
        if found is None:
            raise ValueError(f"{match[0]}: judge/{module}.py defines no {name}")
        return format(found, spec or "")

    return CONSTANT.sub(value, text)


def __getattr__(name: str) -> Any:
    """``CHECKS``, ``CHECKS_BY_NAME`` and ``TOTAL``, gathered from the declarations when first read."""
    if name == "CHECKS":
        return declared_checks()
    if name == "CHECKS_BY_NAME":
        return {check.name: check for check in declared_checks()}
    if name == "TOTAL":
        return sum(check.points for check in declared_checks())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def checks_of(tasks: list[str] | tuple[str, ...]) -> list[Check]:
    """The checks of the given tasks, in the manifest's order."""
    return [check for check in declared_checks() if check.task in tasks]


def files_of(check: Check) -> tuple[str, ...]:
    """The files a check imports: its own list, else its task's."""
    return check.files or TASKS_BY_NAME[check.task].files


def select_tasks(expression: str | None) -> tuple[str, ...]:
    """The tasks an expression names: ``linear``, ``linear or sgd``, ``linear,sgd``, or a project's name.

    Raises:
        ValueError: a name that is neither a task nor a project; the message lists them.
    """
    if not expression:
        return tuple(task.name for task in TASKS)
    names = [name for part in expression.replace(",", " or ").split(" or ") if (name := part.strip())]
    projects = {task.project for task in TASKS}
    unknown = [name for name in names if name not in TASKS_BY_NAME and name not in projects]
    if unknown or not names:
        raise ValueError(
            f"unknown task {', '.join(map(repr, unknown)) or repr(expression)}: choose from "
            f"{', '.join(task.name for task in TASKS)} (or a project: {', '.join(sorted(projects))}), "
            f"joined with 'or' or commas"
        )
    chosen = {name for name in names if name in TASKS_BY_NAME}
    chosen |= {task.name for task in TASKS if task.project in names}
    return tuple(task.name for task in TASKS if task.name in chosen)


# The task of each stub whose file serves several tasks: (file, function or class) -> task.
STUB_TASKS = {
    ("pairs/models.py", "comparison_from_digits"): "comparison",
    ("pairs/models.py", "PairModel.loss"): "auxiliary",
    ("pairs/models.py", "PairModel.run_stages"): "auxiliary",
    ("pairs/models.py", "PerImage.forward"): "weight_sharing",
    ("framework/linear.py", "Linear.state_dict"): "io",
    ("framework/sequential.py", "Sequential.state_dict"): "io",
}


def stub_task(file: str, function: str) -> str:
    """The task a stub belongs to: listed in ``STUB_TASKS`` (by function or its class), else the
    first task of its project that lists its file."""
    project, _, name = file.partition("/")
    for key in (function, function.partition(".")[0]):
        if (file, key) in STUB_TASKS:
            return STUB_TASKS[file, key]
    return next((task.name for task in TASKS if task.project == project and name in task.files), project)
