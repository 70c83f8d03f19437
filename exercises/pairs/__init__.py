"""Project 1: is the first digit of a pair less than or equal to the second?

Seven models compare weight sharing and auxiliary losses on 1000 pairs of 14x14
MNIST digits; ``python -m exercises.pairs`` runs the multi-round protocol.

Example:
    >>> import torch
    >>> data = generate_pair_sets(1000, seed=0)
    >>> _ = torch.manual_seed(0)
    >>> model = MODELS["shared_digits"]()
    >>> history = train(model, data, epochs=1, seed=0)
    >>> output = model(data.test_input[:5])
    >>> output.comparison.shape, output.digits.shape
    (torch.Size([5, 2]), torch.Size([5, 2, 10]))
    >>> 0 <= evaluate(model, data.test_input, data.test_target) <= 1
    True
"""

from .data import PairSets, generate_pair_sets
from .experiment import Rounds, run_rounds
from .mnist import DatasetError
from .models import MODELS, PairModel, PairOutput
from .training import History, evaluate, train, train_step
from .vectorised import train_rounds

__all__ = [
    "MODELS",
    "DatasetError",
    "History",
    "PairModel",
    "PairOutput",
    "PairSets",
    "Rounds",
    "evaluate",
    "generate_pair_sets",
    "run_rounds",
    "train",
    "train_rounds",
    "train_step",
]
