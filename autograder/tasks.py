"""The graded tasks, in the order students work through them.

Each task is a pytest marker (``pytest autograder -m linear`` grades one task), a
section of the score table, and a section of the student guide.
"""

from __future__ import annotations

from typing import NamedTuple


class Task(NamedTuple):
    """A graded task: its marker name, its project, what it asks, and the files it covers."""

    name: str
    project: str
    description: str
    files: tuple[str, ...]


TASKS = (
    Task("pair_data", "pairs", "drawing the pairs: no image twice, targets, distinct digits, the loader's contract",
         ("data.py",)),
    Task("models", "pairs", "every model's layers and forward: output fields, shapes, parameter budget",
         ("models.py",)),
    Task("weight_sharing", "pairs", "weight sharing present in the shared models and absent elsewhere",
         ("models.py",)),
    Task("auxiliary", "pairs", "the loss combination: auxiliary and digit losses reach their heads",
         ("models.py",)),
    Task("pair_training", "pairs", "the training step: zeroed gradients, the model's loss, one step per batch",
         ("training.py",)),
    Task("pair_accuracy", "pairs", "shared_digits, your models and training step, reaches >= 85% test accuracy",
         ("models.py", "training.py")),
    Task("activations", "framework", "ReLU, Tanh, Sigmoid and NoActivation: forward and backward",
         ("activations.py",)),
    Task("linear", "framework", "the Linear layer: forward, backward, accumulated gradients, param()",
         ("linear.py",)),
    Task("sequential", "framework", "Sequential: forward in order, backward in reverse, a whole network's gradients",
         ("sequential.py",)),
    Task("loss", "framework", "MSELoss: forward and backward", ("loss.py",)),
    Task("sgd", "framework", "SGD: the update, with and without momentum", ("optim.py",)),
    Task("training", "framework", "train and accuracy: the training loop reaches >= 80% on the disk",
         ("training.py",)),
    Task("io", "framework", "save and load: an exact and safe round trip", ("serialization.py",)),
)  # fmt: skip

TASKS_BY_NAME = {task.name: task for task in TASKS}
