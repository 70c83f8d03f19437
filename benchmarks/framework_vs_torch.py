"""Time per epoch of the framework's ``train`` against a plain torch.nn + autograd loop.

Both train the EPFL network (2-25-25-25-2, Tanh, linear output) by SGD with momentum
on the MSE loss of one-hot targets, with the same initial weights, data (1000 disk
points), batch order (``torch.randperm`` from the same seed every epoch) and
hyper-parameters, on one thread by default. The framework's side is ``train`` as a
user calls it, with everything it does around the steps (argument checks, history,
timing, the finite-loss check); the torch side is the loop a PyTorch user writes,
which also adds up each epoch's loss (``loss.item()``), as ``train`` does.

Runs alternate (framework, torch, framework, ...) so that both see the same machine
state; the figure is the median time per epoch, and the ratio framework / torch.

    python benchmarks/framework_vs_torch.py [--repeats 7] [--epochs 100] [--threads 1] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from reference.framework import Linear, generate_disk_set, one_hot, train
from reference.framework.experiment import epfl_network

BATCH_SIZES = (50, 1000)
LR, MOMENTUM = 0.05, 0.9


def torch_copy(network) -> torch.nn.Sequential:
    """The same network in torch.nn, with the same initial weights."""
    linears = [module for module in network if isinstance(module, Linear)]
    layers: list[torch.nn.Module] = []
    for index, module in enumerate(linears):
        layer = torch.nn.Linear(module.in_features, module.out_features)
        with torch.no_grad():
            layer.weight.copy_(module.weight)
            layer.bias.copy_(module.bias)
        layers += [layer, torch.nn.Tanh()] if index < len(linears) - 1 else [layer]
    return torch.nn.Sequential(*layers)


def train_torch(model, inputs, targets, *, epochs: int, batch_size: int, seed: int) -> list[float]:
    """The plain PyTorch loop: shuffle, then zero_grad, forward, loss, backward, step per batch."""
    criterion = torch.nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    generator = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(epochs):
        order = torch.randperm(len(inputs), generator=generator)
        total = 0.0
        for first in range(0, len(inputs), batch_size):
            batch = order[first : first + batch_size]
            loss = criterion(model(inputs[batch]), targets[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        losses.append(total / len(inputs))
    return losses


def measure(batch_size: int, epochs: int, repeats: int) -> tuple[float, float, float]:
    """Median seconds per epoch of (framework, torch), runs alternating, and the largest loss gap."""
    data = generate_disk_set(1000, seed=0)
    inputs, targets = data.train_input, one_hot(data.train_target, 2)
    times: dict[str, list[float]] = {"framework": [], "torch": []}
    gap = 0.0
    for repeat in range(repeats):
        torch.manual_seed(repeat)
        ours = epfl_network()
        theirs = torch_copy(ours)
        start = time.perf_counter()
        history = train(ours, inputs, targets, epochs=epochs, batch_size=batch_size, lr=LR, momentum=MOMENTUM,
                        seed=repeat)  # fmt: skip
        times["framework"].append((time.perf_counter() - start) / epochs)
        start = time.perf_counter()
        losses = train_torch(theirs, inputs, targets, epochs=epochs, batch_size=batch_size, seed=repeat)
        times["torch"].append((time.perf_counter() - start) / epochs)
        gap = max(gap, max(abs(a - b) / b for a, b in zip(history.loss, losses, strict=True)))
    return statistics.median(times["framework"]), statistics.median(times["torch"]), gap


def main() -> None:
    """Measure both batch sizes and print the table (and write JSON if asked)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="alternating runs per batch size (default: 7)")
    parser.add_argument("--epochs", type=int, default=100, help="epochs per run (default: 100)")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default: 1)")
    parser.add_argument("--json", metavar="PATH", help="write the figures as JSON")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results = {"batch_sizes": list(BATCH_SIZES), "framework_seconds_per_epoch": [], "torch_seconds_per_epoch": [],
               "ratio": [], "threads": torch.get_num_threads(), "epochs": args.epochs, "repeats": args.repeats,
               "torch_version": torch.__version__}  # fmt: skip
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), median of {args.repeats} runs "
          f"of {args.epochs} epochs")  # fmt: skip
    print(f"{'batch':>6} {'train ms/epoch':>15} {'torch ms/epoch':>15} {'ratio':>6} {'loss gap':>9}")
    for batch_size in BATCH_SIZES:
        ours, theirs, gap = measure(batch_size, args.epochs, args.repeats)
        results["framework_seconds_per_epoch"].append(ours)
        results["torch_seconds_per_epoch"].append(theirs)
        results["ratio"].append(ours / theirs)
        print(f"{batch_size:>6} {1000 * ours:>15.3f} {1000 * theirs:>15.3f} {ours / theirs:>6.2f} {gap:>9.1e}")
    print("ratio = framework / torch (below 1: the framework is faster); loss gap = largest relative "
          "difference of the two runs' epoch losses")  # fmt: skip
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
