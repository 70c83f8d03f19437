"""Training by mini-batch SGD on the MSE loss, and accuracy."""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field

import torch
from tqdm import tqdm

from .data import seeded_generator
from .loss import MSELoss
from .module import Module, check_positive_integer
from .optim import SGD


@dataclass
class History:
    """What ``train`` measured, one entry per epoch.

    Attributes:
        loss: mean training loss over the epoch's samples, as ``train_epoch`` returns it.
        seconds: wall-clock time of the epoch's training, in seconds.
        validation_accuracy: accuracy on the ``validation`` set, if one was given.
    """

    loss: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    validation_accuracy: list[float] = field(default_factory=list)


def train_epoch(
    model: Module,
    criterion: Module,
    optimizer: SGD,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    *,
    batch_size: int,
    accumulate: int = 1,
    generator: torch.Generator | None = None,
) -> float:
    """Train ``model`` for one pass over the data, in a random order; return the mean loss.

    The samples are visited in the order ``torch.randperm(len(inputs), generator=generator)``,
    in mini-batches of ``batch_size`` (the last one may be smaller). The gradients of
    ``accumulate`` consecutive mini-batches are summed before each ``optimizer.step()``,
    which is followed by ``optimizer.zero_grad()``; the epoch's last step may sum fewer.
    The gradients must be zero on entry (``train`` zeroes them), and are zero on return.

    Args:
        model: the network; its parameters are updated in place.
        criterion: the loss, called as ``criterion(output, target)``, with a ``backward()``.
        optimizer: the optimiser of ``model.param()``.
        inputs: inputs of shape (N, D).
        targets: targets of the model's output shape, (N, K).
        batch_size: samples per mini-batch.
        accumulate: mini-batches per optimiser step. Default: 1.
        generator: the random generator of the order; ``None`` for torch's global one.

    Returns:
        The training loss averaged over the N samples (each mini-batch's loss weighted
        by its size), as a Python float.
    """
    model.train()
    # Shuffle, then for each mini-batch: forward it, compute the loss, backpropagate
    # criterion.backward() through the model, add loss * batch length to a running total;
    # step and zero the gradients every `accumulate` mini-batches and after the last one.
    # Return the total over N.
    # YOUR CODE HERE
    raise NotImplementedError("task training: write train_epoch")


def train(
    model: Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    momentum: float = 0.0,
    accumulate: int = 1,
    seed: int | None = None,
    progress: bool = False,
    validation: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> History:
    """Train ``model`` by mini-batch SGD on the mean squared error, one ``train_epoch`` per epoch.

    The epochs run under ``torch.inference_mode()``: the framework computes its own
    gradients, so autograd's bookkeeping is switched off.

    Args:
        model: the network; its ``param()`` are updated in place.
        inputs: training inputs of shape (N, D), of the model's dtype.
        targets: targets of the model's output shape (N, K) and of the inputs' dtype:
            encode class labels first, with ``one_hot(labels, K)``.
        epochs: passes over the training set.
        batch_size: samples per mini-batch.
        lr: learning rate.
        momentum: SGD momentum. Default: 0.
        accumulate: mini-batches per SGD step. Default: 1.
        seed: seed of the shuffling; ``None`` for fresh randomness.
        progress: show a progress bar.
        validation: optional ``(inputs, targets)``, targets as ``accuracy`` takes them,
            whose accuracy is recorded after every epoch.

    Returns:
        The ``History`` of the run. Training stops early, with a warning, if the
        loss stops being finite.

    Example:
        >>> data = generate_disk_set(100, seed=0)
        >>> model = Sequential(Linear(2, 8), Tanh(), Linear(8, 2))
        >>> history = train(model, data.train_input, one_hot(data.train_target, 2),
        ...                 epochs=3, batch_size=10, lr=0.1, seed=0)
        >>> len(history.loss)
        3
    """
    for name, value in (("epochs", epochs), ("batch_size", batch_size), ("accumulate", accumulate)):
        check_positive_integer(f"train: {name}", value)
    check_targets(inputs, targets)
    criterion = MSELoss()
    optimizer = SGD(model.param(), lr=lr, momentum=momentum)
    optimizer.zero_grad()  # start from clean gradients
    generator = seeded_generator(seed)
    history = History()
    for _ in tqdm(range(epochs), desc="training", unit="epoch", disable=not progress):
        start = time.perf_counter()
        with torch.inference_mode():  # no autograd here: skip its bookkeeping on every operation
            loss = train_epoch(
                model,
                criterion,
                optimizer,
                inputs,
                targets,
                batch_size=batch_size,
                accumulate=accumulate,
                generator=generator,
            )
        history.seconds.append(time.perf_counter() - start)
        history.loss.append(loss)
        if validation is not None:
            history.validation_accuracy.append(accuracy(model, *validation))
        if not math.isfinite(loss):
            warnings.warn(
                f"the training loss became {loss} at epoch {len(history.loss)}: training stopped. "
                f"Lower the learning rate (lr={lr}) or the momentum.",
                RuntimeWarning,
                stacklevel=2,
            )
            break
    return history


def check_targets(inputs: torch.Tensor, targets: torch.Tensor) -> None:
    """Raise a ``ValueError`` that names the fix unless ``targets`` are (N, K), of the inputs' dtype."""
    if targets.dim() != 2 or targets.dtype != inputs.dtype:
        raise ValueError(
            f"train: targets must have the model's output shape (N, K) and the inputs' dtype "
            f"{inputs.dtype}, got shape {tuple(targets.shape)} and dtype {targets.dtype}. Encode "
            f"class labels first: one_hot(labels, K, dtype=inputs.dtype) for a model with K outputs, "
            f"labels.to(inputs.dtype).unsqueeze(1) for one output."
        )
    if len(inputs) != len(targets):
        raise ValueError(f"train: {len(inputs)} inputs but {len(targets)} targets")


def accuracy(model: Module, inputs: torch.Tensor, targets: torch.Tensor, batch_size: int | None = None) -> float:
    """Return the fraction of samples whose predicted class is the target's, a Python float in [0, 1].

    With one output, the predicted class is 1 when the output is > 0.5, else 0; with
    several outputs, it is the index of the largest. The result does not depend on
    ``batch_size``, which only bounds how many samples are forwarded at once. The
    model is forwarded in evaluation mode, then left in the mode it was in.

    Args:
        model: the network.
        inputs: inputs of shape (N, D).
        targets: class labels of shape (N,), or targets of the output's shape (one-hot
            (N, K), or (N, 1) in {0, 1}), turned into labels the same way as outputs.
        batch_size: samples per forward pass; ``None`` forwards all at once.

    Example:
        >>> model = Sequential(Linear(2, 2))
        >>> 0 <= accuracy(model, torch.rand(10, 2), torch.ones(10, dtype=torch.long)) <= 1
        True
    """
    if len(inputs) != len(targets):
        raise ValueError(f"accuracy: {len(inputs)} inputs but {len(targets)} targets")
    if batch_size is not None:
        check_positive_integer("accuracy: batch_size", batch_size)
    training = model.training
    model.eval()  # no backward follows: forward need not save anything
    correct = count_correct(model, inputs, class_labels(targets), batch_size or len(inputs))
    model.train(training)
    return correct / len(inputs)


def count_correct(model: Module, inputs: torch.Tensor, labels: torch.Tensor, batch_size: int) -> int:
    """Return how many samples the model assigns to their class ``labels`` (N,), as an int.

    The inputs are forwarded ``batch_size`` at a time.
    """
    # For each slice of batch_size inputs: predicted classes = class_labels(model output);
    # add how many equal the slice's labels to a Python int count.
    # YOUR CODE HERE
    raise NotImplementedError("task training: write count_correct")


def class_labels(values: torch.Tensor) -> torch.Tensor:
    """Return labels of shape (N,): values of shape (N,) as they are, (N, 1) thresholded at 0.5, (N, K) argmax."""
    if values.dim() == 1:
        return values.long()
    if values.shape[1] == 1:
        return (values[:, 0] > 0.5).long()
    return values.argmax(dim=1)
