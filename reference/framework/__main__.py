"""Train the EPFL network on the disk task: ``python -m reference.framework --help``."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import torch

from .data import generate_disk_set
from .experiment import BATCH_SIZE, MOMENTUM, RECIPE, Phase, epfl_network, fit, run_seeds, shortened
from .plots import show_training
from .serialization import ModelFileError, load, save
from .training import accuracy


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run, and return the exit status."""
    parser = argparse.ArgumentParser(
        prog=f"python -m {__package__}",  # the package it runs as, under any name
        description="Train the EPFL network (2-25-25-25-2, Tanh) on the disk task with the default "
        "recipe: "
        + ", then ".join(f"{p.epochs} epochs at lr {p.lr}" for p in RECIPE)
        + f"; batch {BATCH_SIZE}, momentum {MOMENTUM}.",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and initialisation (default: 0)")
    parser.add_argument("--save", metavar="PATH", help="save the trained model to PATH (e.g. model.pt)")
    parser.add_argument(
        "--load", metavar="PATH", help="evaluate a model file written by --save instead of training one"
    )
    parser.add_argument("--plot", metavar="PATH", help="write learning curves and decision boundary as PNG")
    parser.add_argument("--seeds", type=int, metavar="S", help="train S seeds (0..S-1) and summarise them")
    parser.add_argument("--json", metavar="PATH", help="with --seeds: write per-seed results as JSON")
    parser.add_argument(
        "--epoch-fraction", type=float, default=1.0, metavar="F",
        help="train each phase of the recipe for this fraction of its epochs, for drafts (default: 1)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if not 0 < args.epoch_fraction <= 1:
        parser.error("--epoch-fraction must be in (0, 1]")
    recipe = shortened(RECIPE, args.epoch_fraction)
    if args.seeds is not None and args.seeds < 1:
        parser.error("--seeds must be at least 1")
    if args.json and not args.seeds:
        parser.error("--json needs --seeds S")
    if args.seeds and (args.save or args.load or args.plot):
        parser.error("--seeds trains one network per seed: it does not go with --save, --load or --plot")
    if args.load and args.plot:
        parser.error("--plot draws the training curves, so it cannot be used with --load")

    if args.seeds:
        return summarise_seeds(args.seeds, args.json, recipe)

    data = generate_disk_set(1000, seed=args.seed)
    if args.load:
        try:
            model = load(args.load)
        except (OSError, ModelFileError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(f"loaded {args.load}: {model}")
    else:
        torch.manual_seed(args.seed)
        model = epfl_network()
        history = fit(model, data, recipe=recipe, seed=args.seed, progress=True)
        print(f"trained in {sum(history.seconds):.1f} s")
        if args.plot:
            show_training(model, history, data).savefig(args.plot, dpi=120)
            print(f"wrote {args.plot}")
    train_error = 1 - accuracy(model, data.train_input, data.train_target)
    test_error = 1 - accuracy(model, data.test_input, data.test_target)
    print(f"train error {100 * train_error:.1f}%, test error {100 * test_error:.1f}%")
    if args.save:
        save(model, args.save)
        print(f"saved the model to {args.save}")
    return 0


def summarise_seeds(seeds: int, json_path: str | None, recipe: tuple[Phase, ...]) -> int:
    """Train ``seeds`` seeds with ``recipe``, print mean, std and min, and optionally write the JSON."""
    results = run_seeds(seeds, recipe=recipe)
    for name in ("test_accuracy", "train_accuracy"):
        values = [100 * value for value in results[name]]
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        print(f"{name}: mean {statistics.mean(values):.2f}%, std {spread:.2f}, min {min(values):.2f}%")
    print(f"seconds per seed: mean {statistics.mean(results['seconds']):.2f}, max {max(results['seconds']):.2f}")
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
