"""Time per epoch of the framework against torch.nn + autograd + torch.optim, same network and data.

Both train the EPFL network (2-25-25-25-2, Tanh) by SGD with momentum on the MSE loss,
with the same initial weights, data, batch order and hyper-parameters. Runs alternate
(framework, torch, framework, ...) so that both see the same machine state; the
figure is the median time per epoch, and the ratio framework / torch.

    python benchmarks/framework_vs_torch.py [--repeats 7] [--epochs 20] [--threads N] [--json PATH]

Small matrices are sensitive to threading: on a busy machine, PyTorch's intra-op
threads wait on each other, so compare figures measured with the same ``--threads``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from reference.framework import MSELoss, generate_disk_set
from reference.framework.experiment import epfl_network
from reference.framework.optim import SGD

LR, MOMENTUM = 0.05, 0.9


def torch_copy(network) -> torch.nn.Sequential:
    """The same network in torch.nn, with the same initial weights."""
    linears = [module for module in network if hasattr(module, "weight")]
    layers: list[torch.nn.Module] = []
    for index, module in enumerate(linears):
        layer = torch.nn.Linear(module.in_features, module.out_features)
        with torch.no_grad():
            layer.weight.copy_(module.weight)
            layer.bias.copy_(module.bias)
        layers += [layer, torch.nn.Tanh()] if index < len(linears) - 1 else [layer]
    return torch.nn.Sequential(*layers)


def epoch_framework(model, optimizer, criterion, x, y, order, batch_size) -> None:
    """One epoch of the framework's SGD."""
    for start in range(0, len(x), batch_size):
        batch = order[start : start + batch_size]
        criterion(model(x[batch]), y[batch])
        model.backward(criterion.backward())
        optimizer.step()
        optimizer.zero_grad()


def epoch_torch(model, optimizer, criterion, x, y, order, batch_size) -> None:
    """One epoch of the equivalent torch.nn + autograd + torch.optim loop."""
    for start in range(0, len(x), batch_size):
        batch = order[start : start + batch_size]
        loss = criterion(model(x[batch]), y[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def measure(batch_size: int, epochs: int, repeats: int) -> tuple[float, float]:
    """Median seconds per epoch of (framework, torch), runs alternating."""
    data = generate_disk_set(1000, seed=0)
    x, y = data.train_input, torch.eye(2)[data.train_target]
    orders = [torch.randperm(len(x), generator=torch.Generator().manual_seed(epoch)) for epoch in range(epochs)]
    times: dict[str, list[float]] = {"framework": [], "torch": []}
    for repeat in range(repeats):
        torch.manual_seed(repeat)
        ours = epfl_network()
        runs = {
            "framework": (epoch_framework, ours, SGD(ours.param(), LR, MOMENTUM), MSELoss()),
            "torch": (epoch_torch, theirs := torch_copy(ours),
                      torch.optim.SGD(theirs.parameters(), lr=LR, momentum=MOMENTUM), torch.nn.MSELoss()),
        }  # fmt: skip
        for name, (epoch, model, optimizer, criterion) in runs.items():
            start = time.perf_counter()
            for order in orders:
                epoch(model, optimizer, criterion, x, y, order, batch_size)
            times[name].append((time.perf_counter() - start) / epochs)
    return statistics.median(times["framework"]), statistics.median(times["torch"])


def main() -> None:
    """Measure both batch sizes and print the table (and write JSON if asked)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="alternating runs per batch size (default: 7)")
    parser.add_argument("--epochs", type=int, default=20, help="epochs per run (default: 20)")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's own choice)")
    parser.add_argument("--json", metavar="PATH", help="write the figures as JSON")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    results = {"batch_sizes": [50, 1000], "framework_seconds_per_epoch": [], "torch_seconds_per_epoch": [],
               "ratio": [], "threads": torch.get_num_threads(), "torch_version": torch.__version__}  # fmt: skip
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, median of {args.repeats} runs")
    print(f"{'batch':>6} {'framework ms/epoch':>19} {'torch ms/epoch':>15} {'ratio':>6}")
    for batch_size in results["batch_sizes"]:
        ours, theirs = measure(batch_size, args.epochs, args.repeats)
        results["framework_seconds_per_epoch"].append(ours)
        results["torch_seconds_per_epoch"].append(theirs)
        results["ratio"].append(ours / theirs)
        print(f"{batch_size:>6} {1000 * ours:>19.2f} {1000 * theirs:>15.2f} {ours / theirs:>6.2f}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
