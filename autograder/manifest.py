"""Every graded check, once: the single source of the tests, the notebooks' test cells,
the student guide's task table and every report.

A task is a pytest marker (``pytest autograder -m linear``), a section of the score table
and of the student guide. A check belongs to one task, is worth its points, and names
the files it imports (its task's files unless it says otherwise). A report of a full
grading lists every check here, and its maximum is ``TOTAL``.

Wall-clock limits: a check whose probes take under half a second on the reference may
run ``QUICK_LIMIT`` seconds; the training checks get about thirty times the
reference's time on an idle 2-core machine. The judge multiplies every limit by the
worker's measured slowdown (a busy machine), so a correct but slower solution on a
loaded machine keeps its points, while an endless loop costs at most that long.
"""

from __future__ import annotations

from typing import NamedTuple

QUICK_LIMIT = 20.0


class Task(NamedTuple):
    """A graded task: its marker name, its project, what it asks, and its files (in ``project/``)."""

    name: str
    project: str
    description: str
    files: tuple[str, ...]


class Check(NamedTuple):
    """One graded check: ``task.id`` names it; ``files`` overrides the task's files."""

    task: str
    id: str
    points: float
    description: str
    limit: float = QUICK_LIMIT
    files: tuple[str, ...] = ()

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
        "shared_digits, your models and training, reaches >= 85% test accuracy (batch 50, up to 25 epochs)",
        ("models.py", "training.py"),
    ),
    Task("activations", "framework", "ReLU, Tanh, Sigmoid and NoActivation: forward and backward", ("activations.py",)),
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
        "the disk network of your framework, trained by your train, reaches >= 80%",
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

MODEL_NAMES = ("baseline", "shared", "aux", "deep", "deep_aux", "deep_digits", "shared_digits")
SHALLOW = ("baseline", "shared", "aux", "shared_digits")  # within PARAMETER_LIMIT parameters
# The course's statement: "a convnet with ~70,000 parameters can be trained with 25 epochs ... ~15% error",
# a figure of the order of magnitude, not a cap. A shallow model may count up to ten times that; what
# counts is what its prediction is computed from: the auxiliary classifiers (and digit heads) that only
# training reads do not.
PARAMETER_BUDGET = 70_000
PARAMETER_LIMIT = 10 * PARAMETER_BUDGET
BUDGET_NOTE = (
    f", at most {PARAMETER_LIMIT:,} parameters in what its prediction is computed from (the course's "
    f"~{PARAMETER_BUDGET:,}, to within an order of magnitude; auxiliary classifiers do not count)"
)

CHECKS = (
    Check(
        "pair_data",
        "shapes",
        1,
        "generate_pair_sets(200): shapes (200, 2, 14, 14), (200,), (200, 2); "
        "float32 pixels 0..255, int64 targets and classes",
    ),
    Check("pair_data", "images", 1, "every image is an MNIST image of its split, and its class is that image's"),
    Check("pair_data", "targets", 1, "the target is 1 exactly when the first digit is <= the second"),
    Check("pair_data", "no_repeat", 1, "no image is used twice, even among 5,000 pairs", limit=60),
    Check("pair_data", "seed", 1, "the same seed gives the same pairs, another seed other pairs"),
    Check("pair_data", "distinct", 1, "distinct=True gives n pairs, none of two equal digits"),
    *(
        Check(
            "models",
            name,
            2,
            f"{name}: output fields and shapes for raw pairs, a prediction that does not "
            f"depend on the batch, per-image features{BUDGET_NOTE if name in SHALLOW else ''}",
        )
        for name in MODEL_NAMES
    ),
    *(
        Check(
            "weight_sharing",
            name,
            1,
            f"{name}: "
            + (
                "one branch for both images: swapping the images swaps the features"
                if "shared" in name
                else "a branch per image: its own weights for each image"
            ),
        )
        for name in MODEL_NAMES
    ),
    *(
        Check(
            "auxiliary",
            name,
            2,
            f"{name}: "
            + ("one output per auxiliary classifier; " if "aux" in name else "")
            + f"the loss, the comparison's plus each weighted {'auxiliary' if 'aux' in name else 'digit'} term, "
            f"sending gradient to every output",
        )
        for name in ("aux", "deep_aux", "deep_digits", "shared_digits")
    ),
    Check(
        "comparison",
        "values",
        4,
        "comparison_from_digits gives [log P(a > b), log P(a <= b)] for the two images' independent softmaxes",
    ),
    Check("comparison", "large_logits", 1, "comparison_from_digits stays finite for digit logits of magnitude 50"),
    Check(
        "pair_training",
        "gradients",
        2,
        "at optimizer.step(), the gradients are those of one backward pass of a loss of the batch's output "
        "(model.loss or computed inline), zeroed since the previous step",
    ),
    Check("pair_training", "one_step", 1, "train_step takes exactly one optimizer step"),
    Check(
        "pair_training",
        "returns_loss",
        1,
        "train_step returns the batch's loss as a Python float: the value of the loss it differentiated",
    ),
    Check(
        "pair_accuracy",
        "shared_digits",
        6,
        "shared_digits trained by your train(model, data, epochs=25) on 1,000 fresh pairs reaches >= 85% test "
        "accuracy, and on shuffled labels stays <= 75%",
        limit=300,
    ),
    Check("activations", "relu_forward", 1, "ReLU's forward is max(0, s) element-wise, keeping shape and dtype"),
    Check("activations", "relu_backward", 1, "ReLU's backward passes the gradient where s > 0, zero elsewhere"),
    Check("activations", "tanh_forward", 1, "Tanh's forward is tanh(s), keeping shape and dtype"),
    Check("activations", "tanh_backward", 1, "Tanh's backward multiplies the gradient by 1 - tanh(s)^2"),
    Check("activations", "sigmoid_forward", 1, "Sigmoid's forward is 1 / (1 + exp(-s)), keeping shape and dtype"),
    Check("activations", "sigmoid_backward", 1, "Sigmoid's backward multiplies the gradient by y (1 - y)"),
    Check("activations", "sigmoid_stable", 1, "Sigmoid stays finite and exact for |s| up to 1e4"),
    Check("activations", "any_shape", 1, "ReLU, Tanh and Sigmoid work element-wise on inputs of any shape"),
    Check(
        "linear",
        "parameters",
        1,
        "param() gives [(weight, weight_grad), (bias, bias_grad)], weight "
        "(out_features, in_features), bias (out_features,), the tensors the layer computes with",
    ),
    Check("linear", "initialisation", 1, "the initial weights are finite, not all equal, of a sensible scale"),
    Check("linear", "forward", 1, "forward computes x W^T + b, with a bias that does not depend on the batch"),
    Check("linear", "backward_input", 1, "backward returns dL/dx = g W"),
    Check("linear", "backward_weight", 1, "backward adds g^T x to the weight's gradient"),
    Check("linear", "backward_bias", 1, "backward adds the sum of g over the batch to the bias's gradient"),
    Check(
        "linear",
        "no_bias",
        2,
        "Linear(..., bias=False) has one parameter, computes x W^T, and backward gives the input and weight gradients",
    ),
    Check("linear", "accumulates", 1, "two backward passes add up their gradients; zero_grad resets them"),
    Check("linear", "in_place", 1, "backward updates the gradient tensors that param() returned, in place"),
    Check("sequential", "forward", 1, "Sequential applies its modules in order"),
    Check(
        "sequential",
        "backward",
        2,
        "Sequential.backward runs the modules' backward in reverse and returns the input's gradient",
    ),
    Check("sequential", "param", 1, "Sequential.param() is the modules' (parameter, gradient) pairs, in order"),
    Check("sequential", "deep_network", 1, "a 2-25-25-25-2 chain of the kit's layers: every gradient right"),
    Check("loss", "forward", 2, "MSELoss is the mean of (prediction - target)^2 over all N x D elements"),
    Check("loss", "backward", 2, "MSELoss.backward() returns 2 (prediction - target) / (N x D)"),
    Check("sgd", "step", 1, "SGD without momentum: p <- p - lr g, in place"),
    Check("sgd", "momentum", 2, "SGD with momentum: v <- mu v + g, p <- p - lr v, over three steps"),
    Check("sgd", "current_gradients", 1, "SGD reads the gradients at every step, not those it was built with"),
    Check("sgd", "zero_grad", 1, "SGD.zero_grad() zeroes the gradient tensors in place"),
    Check("training", "accuracy", 3, "accuracy: one output thresholded at 0.5, several by argmax, any batch size"),
    Check(
        "training",
        "epoch",
        3,
        "train_epoch takes exact SGD steps: mini-batches, gradient accumulation, zero_grad after each step",
        limit=30,
    ),
    Check(
        "disk_accuracy",
        "network",
        3,
        "the 2-25-25-25-2 ReLU network of your framework, trained by your train, reaches >= 80% on a disk drawn "
        "for each grading",
        limit=150,
    ),
    Check(
        "io",
        "round_trip",
        3,
        "load(save(model)) gives a Sequential of the same modules and settings, with bitwise-equal parameters",
    ),
    Check("io", "round_trip_float64", 1, "the round trip of a float64 model is exact too"),
    Check(
        "io",
        "refuses_code",
        2,
        "load refuses a file whose pickle would run code, and nothing in it runs",
        files=("serialization.py", "linear.py"),
    ),
    Check(
        "float64",
        "support",
        3,
        "Linear(..., dtype=torch.float64), the activations and MSELoss keep float64 and its precision",
    ),
)

TASKS_BY_NAME = {task.name: task for task in TASKS}
CHECKS_BY_NAME = {check.name: check for check in CHECKS}
TOTAL = sum(check.points for check in CHECKS)


def checks_of(tasks: list[str] | tuple[str, ...]) -> list[Check]:
    """The checks of the given tasks, in the manifest's order."""
    return [check for check in CHECKS if check.task in tasks]


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
