"""Training by mini-batch SGD on the MSE loss, and accuracy."""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field

import torch
from tqdm.auto import tqdm

from .data import seeded_generator
from .loss import MSELoss
from .module import Module
from .optim import SGD


@dataclass
class History:
    """What ``train`` measured, one entry per epoch.

    Attributes:
        loss: mean training loss over the epoch's mini-batches.
        seconds: wall-clock time of the epoch.
        validation_accuracy: accuracy on the ``validation`` set, if one was given.
    """

    loss: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    validation_accuracy: list[float] = field(default_factory=list)


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
    """Train ``model`` by mini-batch SGD on the mean squared error.

    Every epoch visits the training set in a new random order, in mini-batches of
    ``batch_size``. Gradients of ``accumulate`` consecutive mini-batches are summed
    before each SGD step (the last step of an epoch may sum fewer).

    Args:
        model: the network; its ``param()`` are updated in place.
        inputs: training inputs of shape (N, D).
        targets: regression targets of the model's output shape (N, K), or class
            labels of shape (N,): one-hot encoded when the model has several
            outputs, reshaped to (N, 1) when it has one.
        epochs: passes over the training set.
        batch_size: samples per mini-batch.
        lr: learning rate.
        momentum: SGD momentum. Default: 0.
        accumulate: mini-batches per SGD step. Default: 1.
        seed: seed of the shuffling; ``None`` for fresh randomness.
        progress: show a progress bar.
        validation: optional ``(inputs, labels)`` whose accuracy is recorded every epoch.

    Returns:
        The ``History`` of the run. Training stops early, with a warning, if the
        loss stops being finite.
    """
    for name, value in (("epochs", epochs), ("batch_size", batch_size), ("accumulate", accumulate)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"train: {name} must be a positive integer, got {value!r}")
    if len(inputs) != len(targets):
        raise ValueError(f"train: {len(inputs)} inputs but {len(targets)} targets")
    targets = regression_targets(model, inputs, targets)
    generator = seeded_generator(seed)
    criterion = MSELoss()
    optimizer = SGD(model.param(), lr=lr, momentum=momentum)
    model.zero_grad()  # start from clean gradients
    history = History()
    warned_zero_output = False
    batches = range(0, len(inputs), batch_size)
    for _ in tqdm(range(epochs), desc="training", unit="epoch", disable=not progress):
        start = time.perf_counter()
        order = torch.randperm(len(inputs), generator=generator)
        total_loss = 0.0
        for number, first in enumerate(batches, start=1):
            batch = order[first : first + batch_size]
            # One SGD iteration: forward the batch, compute the loss, backpropagate its
            # gradient through the model, and step (then zero the gradients) once every
            # `accumulate` batches or at the epoch's last batch. Name the model's output
            # `output` and the loss `loss`: the lines after the block use them.
            ### BEGIN SOLUTION
            output = model(inputs[batch])
            loss = criterion(output, targets[batch])
            model.backward(criterion.backward())
            if number % accumulate == 0 or number == len(batches):
                optimizer.step()
                optimizer.zero_grad()
            ### END SOLUTION
            total_loss += loss.item() * len(batch)
        history.loss.append(total_loss / len(inputs))
        history.seconds.append(time.perf_counter() - start)
        if validation is not None:
            history.validation_accuracy.append(accuracy(model, *validation))
        if not math.isfinite(history.loss[-1]):
            warnings.warn(
                f"the training loss became {history.loss[-1]} at epoch {len(history.loss)}: "
                f"training stopped. Lower the learning rate (lr={lr}) or the momentum.",
                RuntimeWarning,
                stacklevel=2,
            )
            break
        if not warned_zero_output and not output.any():
            warned_zero_output = True
            warnings.warn(
                "the network's output is identically zero: its ReLUs may all be dead, and "
                "then no gradient flows. Lower the learning rate, or end the network with "
                "NoActivation (or Tanh) instead of ReLU.",
                RuntimeWarning,
                stacklevel=2,
            )
    return history


def regression_targets(model: Module, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Return targets of the model's output shape: one-hot or (N, 1) for class labels."""
    if targets.dim() != 1:
        return targets.to(inputs.dtype)
    outputs = model(inputs[:1]).shape[1]
    if outputs == 1:
        return targets.to(inputs.dtype).unsqueeze(1)
    if targets.is_floating_point():
        raise ValueError(
            f"train: targets of shape (N,) must be integer class labels for a model with "
            f"{outputs} outputs, got dtype {targets.dtype}"
        )
    if targets.min() < 0 or targets.max() >= outputs:
        raise ValueError(f"train: class labels must be in [0, {outputs - 1}] for a model with {outputs} outputs")
    return torch.eye(outputs, dtype=inputs.dtype)[targets]


def accuracy(model: Module, inputs: torch.Tensor, targets: torch.Tensor, batch_size: int | None = None) -> float:
    """Return the fraction of samples whose predicted class is the target's, in [0, 1].

    With one output, the prediction is 1 when the output is > 0.5, else 0; with
    several outputs, it is the index of the largest. The result does not depend on
    ``batch_size``, which only bounds how many samples are forwarded at once.

    Args:
        model: the network.
        inputs: inputs of shape (N, D).
        targets: class labels of shape (N,), or targets of the output's shape
            (one-hot, or (N, 1) in {0, 1}), converted to labels the same way.
        batch_size: samples per forward pass; ``None`` forwards all at once.
    """
    if len(inputs) != len(targets):
        raise ValueError(f"accuracy: {len(inputs)} inputs but {len(targets)} targets")
    labels = class_labels(targets)
    step = batch_size or len(inputs)
    ### BEGIN SOLUTION
    correct = 0
    for first in range(0, len(inputs), step):
        predicted = class_labels(model(inputs[first : first + step]))
        correct += (predicted == labels[first : first + step]).sum().item()
    return correct / len(inputs)
    ### END SOLUTION


def class_labels(values: torch.Tensor) -> torch.Tensor:
    """Return (N,) labels: values of shape (N,) as they are, (N, 1) thresholded at 0.5, (N, K) argmax."""
    if values.dim() == 1:
        return values.long()
    if values.shape[1] == 1:
        return (values[:, 0] > 0.5).long()
    return values.argmax(dim=1)
