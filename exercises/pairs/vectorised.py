"""Train several rounds of one model at once, vectorised over the rounds with ``torch.func``.

The protocol trains the same model on R independent rounds. Run one after the other,
each training step of each round pays the same fixed costs (Python, dispatch, the
optimiser's loop over parameters). Here the R copies of the model are stacked along a
new leading dimension (``torch.func.stack_module_state``), and ``torch.func.vmap``
runs one batch of every round through them in a single call; one optimiser steps all
stacked parameters together.

Each round keeps its own initialisation (its seed), data, batch order and random
draws (dropout, shifts): the rounds are as independent as sequential rounds, but
they are not bit-identical to them. This mode is for the experiment protocol; the
training loop students read and write is ``training.train``.

It pays only where the fixed costs of a step are a large part of it:
``benchmarks/pairs_training.py`` measures both modes, and the best any batching of
the rounds could do on the machine at hand.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence

import torch
from torch.func import functional_call, stack_module_state, vmap
from tqdm.auto import tqdm

from .data import PairSets
from .models import PairModel
from .training import History


def train_rounds(
    make_model: Callable[[], PairModel],
    datasets: Sequence[PairSets],
    seeds: Sequence[int],
    *,
    epochs: int = 25,
    batch_size: int = 50,
    device: str | torch.device = "cpu",
    progress: bool = False,
) -> list[History]:
    """Train one fresh model per round, all rounds at once; return one history per round.

    Round ``r`` calls ``make_model()`` after ``torch.manual_seed(seeds[r])`` (the same
    initialisation as a sequential round with that seed) and trains it on
    ``datasets[r]`` with the model's own optimiser settings and loss, in the same
    batches and epochs as ``train``. The batch orders and random layers draw from the
    global generator, seeded with ``seeds[0]``: the same arguments give the same
    histories on the CPU, apart from the seconds.

    Args:
        make_model: builds a fresh model, such as ``MODELS["shared"]``; the model's
            ``configure_optimizer`` must return an optimiser whose update is elementwise
            (Adam, SGD, ...), since one optimiser steps the stacked parameters of all rounds.
        datasets: one ``PairSets`` per round, all of the same sizes.
        seeds: one seed per round.
        epochs: passes over the training pairs.
        batch_size: pairs per optimisation step.
        device: where to train.
        progress: show a progress bar over the epochs.

    Returns:
        One ``History`` per round. Its ``seconds`` are the epoch's wall-clock time
        divided by the number of rounds.
    """
    if len(datasets) != len(seeds) or not seeds:
        raise ValueError(f"train_rounds: need one seed per dataset, got {len(seeds)} for {len(datasets)}")
    models = []
    for seed in seeds:
        torch.manual_seed(seed)
        models.append(make_model().to(device))
    params, buffers = stack_module_state(models)
    optimizer = stacked_optimizer(models[0], params)
    template = copy.deepcopy(models[0]).to("meta")  # the structure, without the weights
    data = PairSets(*(torch.stack(tensors).to(device) for tensors in zip(*datasets, strict=True)))

    def batch_loss(params, buffers, input, target, classes):
        output = functional_call(template, (params, buffers), (input,))
        return template.loss(output, target, classes)

    losses = vmap(batch_loss, randomness="different")

    torch.manual_seed(seeds[0])
    rounds, count = data.train_target.shape
    row = torch.arange(rounds, device=device)[:, None]
    histories = [History() for _ in seeds]
    bar = tqdm(range(epochs), desc=f"{rounds} rounds", unit="epoch", disable=not progress)
    for _ in bar:
        start = time.perf_counter()
        template.train()
        total = torch.zeros(rounds, device=device)
        for batch in torch.rand(rounds, count, device=device).argsort(1).split(batch_size, dim=1):
            input, target, classes = (tensor[row, batch] for tensor in data[:3])  # the training tensors
            loss = losses(params, buffers, input, target, classes)  # (R,)
            # The rounds share no parameter: the gradient of the sum is each round's own.
            gradients = torch.autograd.grad(loss.sum(), list(params.values()))
            for parameter, gradient in zip(params.values(), gradients, strict=True):
                parameter.grad = gradient
            optimizer.step()
            total += loss.detach() * batch.shape[1]
        template.eval()
        with torch.no_grad():
            train_accuracy = accuracy(template, params, buffers, data.train_input, data.train_target)
            test_accuracy = accuracy(template, params, buffers, data.test_input, data.test_target)
        seconds = (time.perf_counter() - start) / rounds
        for r, history in enumerate(histories):
            history.train_loss.append(float(total[r]) / count)
            history.train_accuracy.append(train_accuracy[r])
            history.test_accuracy.append(test_accuracy[r])
            history.seconds.append(seconds)
    return histories


def stacked_optimizer(model: PairModel, params: dict[str, torch.Tensor]) -> torch.optim.Optimizer:
    """Return the optimiser ``model.configure_optimizer()`` describes, over the stacked ``params``.

    Same class, same parameter groups and settings; each stacked tensor takes the
    place of the model's parameter of the same name.
    """
    optimizer = model.configure_optimizer()
    names = {id(parameter): name for name, parameter in model.named_parameters()}
    groups = [{**group, "params": [params[names[id(p)]] for p in group["params"]]} for group in optimizer.param_groups]
    return type(optimizer)(groups, **optimizer.defaults)


def accuracy(
    template: PairModel,
    params: dict[str, torch.Tensor],
    buffers: dict[str, torch.Tensor],
    input: torch.Tensor,
    target: torch.Tensor,
) -> list[float]:
    """Return each round's accuracy on its pairs ``input`` (R, N, 2, 14, 14), in ``template``'s mode.

    The rounds are evaluated one after the other: in evaluation mode, ``vmap``
    turns batch norm into a chain of slower elementwise operations, and there is no
    per-step cost to share here, as evaluation takes no optimiser step.
    """
    accuracies = []
    for r in range(len(target)):
        state = ({name: p[r] for name, p in params.items()}, {name: b[r] for name, b in buffers.items()})
        predicted = functional_call(template, state, (input[r],)).comparison.argmax(1)
        accuracies.append((predicted == target[r]).sum().item() / target.shape[1])
    return accuracies
