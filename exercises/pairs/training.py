"""Training and evaluation of a pair model: the training step, the epoch loop, accuracy.

The models and the data appear here in type hints only: this file imports neither
``models.py`` nor ``data.py`` when it runs, so it can be imported, and graded, on its
own, even while another file has a mistake in it.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import torch
from tqdm.auto import tqdm

if TYPE_CHECKING:
    from .data import PairSets
    from .models import PairModel


@dataclass
class History:
    """What ``train`` measured, one entry per epoch.

    Attributes:
        train_loss: mean loss over the epoch's training batches (training mode).
        train_accuracy: accuracy on the training pairs after the epoch (evaluation mode).
        test_accuracy: accuracy on the test pairs after the epoch. The reported figure
            is the last one: the test set never selects an epoch.
        seconds: wall-clock time of the epoch, its two evaluations included.
    """

    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, list[float]]:
        """Return the four lists under their names, ready for JSON."""
        return asdict(self)


def train_step(
    model: PairModel,
    optimizer: torch.optim.Optimizer,
    input: torch.Tensor,
    target: torch.Tensor,
    classes: torch.Tensor,
) -> float:
    """Take one optimisation step on one batch; return the batch's loss.

    The step clears the gradients (``optimizer.zero_grad()`` or ``model.zero_grad()``),
    runs one forward pass of the batch, one ``backward()`` of its loss and one
    ``optimizer.step()``. The loss is ``model.loss`` (a loss computed inline from the
    output is graded on these mechanics too; its formula is ``model.loss``'s to get right).

    Args:
        model: the model, in training mode.
        optimizer: the optimiser of the model's parameters.
        input: (B, 2, 14, 14) pairs.
        target: (B,) targets.
        classes: (B, 2) digit classes.

    Returns:
        The value of the loss on the batch, before the step, as a Python float.
    """
    # Return the loss as a Python float. Gradients add up in .grad until cleared; model.loss(output, target,
    # classes) combines every term of the model's output.
    # YOUR CODE HERE
    raise NotImplementedError("task pair_training: write train_step")


@torch.no_grad()
def evaluate(model: PairModel, input: torch.Tensor, target: torch.Tensor, batch_size: int = 1000) -> float:
    """Return the accuracy of ``model`` on pairs ``input``: the fraction predicted right.

    The prediction is ``comparison.argmax(1)`` in evaluation mode (no dropout, no
    shifts, batch norm with its running statistics), so it does not depend on
    ``batch_size``, which only bounds memory. The model's mode is restored afterwards.

    Args:
        model: the model.
        input: (N, 2, 14, 14) pairs, on the model's device.
        target: (N,) targets.
        batch_size: pairs per forward pass.

    Returns:
        The accuracy, in [0, 1].
    """
    was_training = model.training
    model.eval()
    try:
        correct = sum(
            int((model(pairs).comparison.argmax(1) == truth).sum())
            for pairs, truth in zip(input.split(batch_size), target.split(batch_size), strict=True)
        )
    finally:
        model.train(was_training)
    return correct / len(target)


def train(
    model: PairModel,
    data: PairSets,
    *,
    epochs: int = 25,
    batch_size: int = 50,
    seed: int | None = None,
    device: str | torch.device = "cpu",
    progress: bool = False,
) -> History:
    """Train ``model`` on the training pairs of ``data``, with its own optimiser and loss.

    Every epoch visits the training pairs in a new random order, in batches of
    ``batch_size`` (the last one may be smaller), with one ``train_step`` each, then
    measures the accuracy on the training and on the test pairs.

    Args:
        model: the model, built beforehand (seed the initialisation before building
            it). It is moved to ``device`` and trained in place.
        data: what ``generate_pair_sets`` returns: the training input, target and
            classes, then the test input, target and classes.
        epochs: passes over the training pairs.
        batch_size: pairs per optimisation step.
        seed: if given, ``torch.manual_seed(seed)`` comes first, which fixes the order
            of the batches and the draws of the model's random layers (dropout,
            shifts): on the CPU, the same model, data and seed give the same history,
            apart from the seconds. ``None`` leaves the global generator as it is.
        device: where to train, such as ``"cpu"`` or ``"cuda"``.
        progress: show a progress bar over the epochs.

    Returns:
        The ``History``, one entry per epoch.
    """
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"train: {name} must be a positive integer, got {value!r}")
    if seed is not None:
        torch.manual_seed(seed)
    model.to(device)
    train_input, train_target, train_classes, test_input, test_target, _ = (tensor.to(device) for tensor in data)
    optimizer = model.configure_optimizer()
    history = History()
    count = len(train_input)
    bar = tqdm(range(epochs), desc="train", unit="epoch", leave=False, disable=not progress)
    for _ in bar:
        start = time.perf_counter()
        model.train()
        total = 0.0
        for batch in torch.randperm(count, device=device).split(batch_size):
            loss = train_step(model, optimizer, train_input[batch], train_target[batch], train_classes[batch])
            total += loss * len(batch)
        history.train_loss.append(total / count)
        history.train_accuracy.append(evaluate(model, train_input, train_target))
        history.test_accuracy.append(evaluate(model, test_input, test_target))
        history.seconds.append(time.perf_counter() - start)
        bar.set_postfix(loss=f"{history.train_loss[-1]:.3f}", test=f"{history.test_accuracy[-1]:.3f}")
    return history
