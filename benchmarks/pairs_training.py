"""Speed of the pair training: the kit's loop against a minimal one, and vectorised rounds against sequential.

(a) ``reference.pairs.train`` against the shortest hand-written loop that does the same
    work: same model and initial weights, data, epochs and batches, and the same
    measurements after every epoch (training loss, training and test accuracy). The
    ratio is the cost of the kit's scaffold: History, seeding, progress bar, the call
    to ``train_step``.
(b) ``reference.pairs.train_rounds`` (R rounds at once, ``torch.func.vmap``) against
    R calls of ``train``, one round after the other.
(c) What (b) could gain at best: one training step of ONE model on R times the
    batch against R steps on one batch. Vectorised rounds do the work of the first
    (R batches in one call) without its advantage of shared weights, so this ratio
    bounds (b) from below on the training steps; the evaluation has nothing to share.

Runs alternate (a: kit, minimal, kit, ...; b: vectorised, sequential, ...) so that
both sides see the same machine state; each figure is the median over ``--repeats``.

    python benchmarks/pairs_training.py [--model shared_digits] [--epochs 5] [--rounds 10]
                                        [--repeats 5] [--threads N] [--json PATH]

Small convolutions are sensitive to threading: on a busy machine, PyTorch's intra-op
threads wait on each other, so compare figures measured with the same ``--threads``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from reference.pairs import MODELS, PairModel, PairSets, generate_pair_sets, train, train_rounds, train_step


def minimal_loop(model: PairModel, data: PairSets, epochs: int, batch_size: int, seed: int) -> dict[str, list]:
    """The shortest loop that trains ``model`` and measures what ``train`` measures; returns the measures."""
    torch.manual_seed(seed)
    optimizer = model.configure_optimizer()
    measures: dict[str, list] = {"train_loss": [], "train_accuracy": [], "test_accuracy": []}
    for _ in range(epochs):
        model.train()
        total = 0.0
        for batch in torch.randperm(len(data.train_target)).split(batch_size):
            loss = model.loss(model(data.train_input[batch]), data.train_target[batch], data.train_classes[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        measures["train_loss"].append(total / len(data.train_target))
        model.eval()
        with torch.no_grad():
            train_predicted = model(data.train_input).comparison.argmax(1)
            test_predicted = model(data.test_input).comparison.argmax(1)
        measures["train_accuracy"].append((train_predicted == data.train_target).sum().item() / len(train_predicted))
        measures["test_accuracy"].append((test_predicted == data.test_target).sum().item() / len(test_predicted))
    return measures


def timed(function, *args, **kwargs) -> tuple[float, object]:
    """Return the seconds ``function(*args, **kwargs)`` took, and its result."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def measure_loop(name: str, epochs: int, repeats: int) -> dict[str, float]:
    """(a): median seconds of ``train`` and of the minimal loop on one round, and their ratio."""
    data = generate_pair_sets(1000, seed=0)
    times: dict[str, list[float]] = {"kit": [], "minimal": []}
    for repeat in range(repeats):
        torch.manual_seed(repeat)
        model = MODELS[name]()
        state = {key: value.clone() for key, value in model.state_dict().items()}
        seconds, history = timed(train, model, data, epochs=epochs, seed=repeat)
        times["kit"].append(seconds)
        model.load_state_dict(state)
        seconds, measures = timed(minimal_loop, model, data, epochs, 50, repeat)
        times["minimal"].append(seconds)
        assert measures["test_accuracy"] == history.test_accuracy, "the two loops must do the same work"
    kit, minimal = (statistics.median(values) for values in times.values())
    return {"kit_seconds": kit, "minimal_seconds": minimal, "ratio": kit / minimal}


def measure_rounds(name: str, rounds: int, epochs: int, repeats: int) -> dict[str, float]:
    """(b): median seconds of ``rounds`` rounds vectorised and one after the other, and their ratio."""
    seeds = list(range(rounds))
    datasets = [generate_pair_sets(1000, seed=seed) for seed in seeds]
    times: dict[str, list[float]] = {"vectorised": [], "sequential": []}
    for _ in range(repeats):
        times["vectorised"].append(timed(train_rounds, MODELS[name], datasets, seeds, epochs=epochs)[0])
        start = time.perf_counter()
        for seed, data in zip(seeds, datasets, strict=True):
            torch.manual_seed(seed)
            train(MODELS[name](), data, epochs=epochs, seed=seed)
        times["sequential"].append(time.perf_counter() - start)
    vectorised, sequential = (statistics.median(values) for values in times.values())
    return {"vectorised_seconds": vectorised, "sequential_seconds": sequential, "ratio": vectorised / sequential}


def repeat_step(model: PairModel, optimizer: torch.optim.Optimizer, batch: list[torch.Tensor], count: int) -> None:
    """Take ``count`` training steps on the same batch (input, target, classes)."""
    for _ in range(count):
        train_step(model, optimizer, *batch)


def measure_batch_bound(name: str, rounds: int, repeats: int, steps: int = 20) -> dict[str, float]:
    """(c): median seconds of ``steps`` steps at batch ``50 * rounds`` and of ``rounds * steps`` at batch 50."""
    data = generate_pair_sets(50 * rounds, seed=0)
    torch.manual_seed(0)
    model = MODELS[name]()
    optimizer = model.configure_optimizer()
    large = list(data[:3])  # the training input, target and classes
    small = [tensor[:50] for tensor in large]
    times: dict[str, list[float]] = {"large": [], "small": []}
    for _ in range(repeats):
        times["large"].append(timed(repeat_step, model, optimizer, large, steps)[0])
        times["small"].append(timed(repeat_step, model, optimizer, small, rounds * steps)[0])
    large_seconds, small_seconds = (statistics.median(values) for values in times.values())
    return {
        "large_batch_seconds": large_seconds,
        "small_batches_seconds": small_seconds,
        "ratio": large_seconds / small_seconds,
    }


def main() -> None:
    """Measure and print both ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="shared_digits", choices=list(MODELS), help="default: shared_digits")
    parser.add_argument("--epochs", type=int, default=5, help="epochs per round (default: 5)")
    parser.add_argument("--rounds", type=int, default=10, help="rounds for (b) (default: 10)")
    parser.add_argument("--repeats", type=int, default=5, help="alternating runs of each side (default: 5)")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads (default: PyTorch's choice)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"{args.model}, {args.epochs} epochs of 1000 pairs, batch 50, {torch.get_num_threads()} threads")
    loop = measure_loop(args.model, args.epochs, args.repeats)
    print(
        f"(a) train / minimal loop: {loop['kit_seconds']:.3f} s / {loop['minimal_seconds']:.3f} s "
        f"= {loop['ratio']:.3f} (target <= 1.05)"
    )
    rounds = measure_rounds(args.model, args.rounds, args.epochs, args.repeats)
    print(
        f"(b) {args.rounds} rounds vectorised / sequential: {rounds['vectorised_seconds']:.2f} s / "
        f"{rounds['sequential_seconds']:.2f} s = {rounds['ratio']:.3f} (target <= 0.6)"
    )
    bound = measure_batch_bound(args.model, args.rounds, args.repeats)
    print(
        f"(c) bound: one step at batch {50 * args.rounds} / {args.rounds} steps at batch 50: "
        f"{bound['large_batch_seconds']:.3f} s / {bound['small_batches_seconds']:.3f} s = {bound['ratio']:.3f}"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        figures = {"settings": vars(args) | {"json": str(args.json)}, "loop": loop, "rounds": rounds, "bound": bound}
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
