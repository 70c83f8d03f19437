"""Project 2: a deep-learning framework from scratch.

Only tensor operations: no ``torch.nn``, no autograd, no ``torch.optim``. Every module
computes its own backward pass. The examples of the docstrings run as doctests, with
``torch`` and this package's names in scope.

Example:
    >>> data = generate_disk_set(1000, seed=0)
    >>> model = Sequential(Linear(2, 25), ReLU(), Linear(25, 25), ReLU(),
    ...                    Linear(25, 25), ReLU(), Linear(25, 2))
    >>> targets = one_hot(data.train_target, 2)  # class labels (N,) -> MSE targets (N, 2)
    >>> history = train(model, data.train_input, targets, epochs=5, batch_size=50, lr=0.05, seed=0)
    >>> 0 <= accuracy(model, data.test_input, data.test_target) <= 1
    True
"""

from .activations import Identity, NoActivation, ReLU, Sigmoid, Tanh
from .data import DiskSets, generate_disk_set, one_hot
from .linear import Linear
from .loss import MSELoss
from .module import Module
from .optim import SGD
from .sequential import Sequential
from .serialization import ModelFileError, load, save
from .training import History, accuracy, train, train_epoch

__all__ = [
    "SGD",
    "DiskSets",
    "History",
    "Identity",
    "Linear",
    "MSELoss",
    "ModelFileError",
    "Module",
    "NoActivation",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "accuracy",
    "generate_disk_set",
    "load",
    "one_hot",
    "save",
    "train",
    "train_epoch",
]
