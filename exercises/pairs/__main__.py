"""Run the round protocol and write its tables, figures and JSON: ``python -m exercises.pairs --help``.

Example, the full table (10 rounds of 25 epochs for each of the seven models):

    python -m exercises.pairs --models all --rounds 10 --epochs 25 --out results/pairs --json results/pairs/results.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from .data import MAX_PAIRS
from .experiment import COMPARISONS, Rounds, csv_table, markdown_table, run_rounds, to_json
from .models import MODELS
from .plots import show_accuracy


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run the rounds, write the outputs, and return the exit status."""
    parser = argparse.ArgumentParser(
        prog=f"python -m {__package__}",  # the package it runs as, under any name
        description="Train pair models over several rounds (new pairs, initialisation and batch order in "
        "each) and write a Markdown and CSV table, accuracy plots and a JSON file of every round.",
    )
    parser.add_argument(
        "--models",
        default="all",
        metavar="NAME,NAME,...|all",
        help=f"models to run, from {', '.join(MODELS)} (default: all)",
    )
    parser.add_argument("--rounds", type=int, default=10, help="rounds per model (default: 10)")
    parser.add_argument("--epochs", type=int, default=25, help="epochs per round (default: 25)")
    parser.add_argument("--batch-size", type=int, default=50, help="pairs per step (default: 50)")
    parser.add_argument("--pairs", type=int, default=1000, help="training and test pairs per round (default: 1000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first round (default: 0)")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("results/pairs"),
        help="folder of the tables and figures (default: results/pairs)",
    )
    parser.add_argument("--json", type=Path, help="path of the JSON results (default: OUT/results.json)")
    parser.add_argument("--device", default="auto", help="auto (cuda if available, else cpu), cpu, cuda, ...")
    parser.add_argument(
        "--vectorised", action="store_true", help="train the rounds of each model all at once (torch.func.vmap)"
    )
    args = parser.parse_args(argv)
    names = list(MODELS) if args.models == "all" else list(dict.fromkeys(n.strip() for n in args.models.split(",")))
    unknown = [name for name in names if name not in MODELS]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}: choose from {', '.join(MODELS)} or all")
    for option in ("rounds", "epochs", "batch_size", "pairs"):
        if getattr(args, option) < 1:
            parser.error(f"--{option.replace('_', '-')} must be at least 1")
    if args.pairs > MAX_PAIRS:
        parser.error(f"--pairs must be at most {MAX_PAIRS}: the MNIST test split has 10,000 images")
    device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device

    settings = {
        "rounds": args.rounds,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "pairs": args.pairs,
        "seed": args.seed,
        "device": device,
        "vectorised": args.vectorised,
    }
    results = {name: run_rounds(name, **settings, progress=True) for name in names}
    print(markdown_table(results), end="")
    for path in write_outputs(results, settings, args.out, args.json or args.out / "results.json"):
        print(f"wrote {path}")
    return 0


def write_outputs(results: dict[str, Rounds], settings: dict, out: Path, json_path: Path) -> list[Path]:
    """Write the tables, the figures of every comparison whose models ran, and the JSON; return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    rounds = f"{settings['rounds']} round{'s' if settings['rounds'] > 1 else ''}"
    figures = {name: models for name, models in COMPARISONS.items() if all(model in results for model in models)}
    figures["all_models"] = tuple(results)
    paths = [out / "results.md", out / "results.csv", json_path]
    paths[0].write_text(markdown_table(results))
    paths[1].write_text(csv_table(results))
    json_path.write_text(json.dumps(to_json(results, settings)) + "\n")
    for file_name, models in figures.items():
        curves = {model: results[model].test_accuracy_per_epoch for model in models}
        title = f"{' vs '.join(models) if len(models) < 3 else 'All models'}: mean ± std over {rounds}"
        path = out / f"{file_name}.png"
        show_accuracy(curves, title).savefig(path, dpi=120)
        paths.append(path)
    return paths


if __name__ == "__main__":
    sys.exit(main())
