"""Run the reference's experiments that the decks show: ``python slides/experiments.py --help``.

Each result comes from one of the kit's own commands, run from its root; this script only
chooses their sizes and where they write. ``slides/build.py --rerun`` and ``--quick`` call it
before building. It also writes ``build-info.json``, which tells the build the sizes used, so
that a draft says on every slide that it is one.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

SLIDES = Path(__file__).resolve().parent
ROOT = SLIDES.parent
RESULTS = SLIDES / "results"
BUILD_INFO = "build-info.json"
FULL = {"rounds": 10, "epochs": 25, "seeds": 10, "fraction": 1.0}  # what the committed results use
QUICK = {"rounds": 2, "epochs": 5, "seeds": 3, "fraction": 1 / 6}  # a draft in a few minutes

if str(ROOT) not in sys.path:  # run as a script: make the reference importable
    sys.path.insert(0, str(ROOT))


def run(command: list[str]) -> bool:
    """Run one experiment command from the kit's root; return whether it succeeded."""
    print("$", " ".join(command), flush=True)
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    completed = subprocess.run(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": path}, check=False)
    if completed.returncode != 0:
        print(f"error: the command above failed (exit status {completed.returncode})", file=sys.stderr)
    return completed.returncode == 0


def run_experiments(folder: Path, quick: bool, rounds: int, epochs: int) -> bool:
    """Run every experiment into ``folder`` (``pairs/`` and ``framework/``); return whether all succeeded."""
    from reference.framework.experiment import RECIPE, shortened

    sizes = QUICK if quick else FULL
    pairs, framework = folder / "pairs", folder / "framework"
    pairs.mkdir(parents=True, exist_ok=True)
    framework.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    framework_cli = [python, "-m", "reference.framework", "--epoch-fraction", str(sizes["fraction"])]
    commands = [
        [python, "-m", "reference.pairs", "--models", "all", "--rounds", str(rounds), "--epochs", str(epochs),
         "--out", str(pairs), "--json", str(pairs / "results.json")],
        [python, "-m", "reference.pairs.plots", str(pairs / "samples.png")],
        [python, "-m", "reference.framework.plots", str(framework / "disk.png")],
        [*framework_cli, "--plot", str(framework / "training.png")],
        [*framework_cli, "--seeds", str(sizes["seeds"]), "--json", str(framework / "seeds.json")],
    ]  # fmt: skip
    benchmark = ROOT / "benchmarks" / "framework_vs_torch.py"
    if benchmark.is_file():
        repeats = ["--repeats", "1", "--epochs", "3"] if quick else []
        commands.append([python, str(benchmark), *repeats, "--json", str(framework / "speed.json")])
    ok = [run(command) for command in commands]  # every one, even after a failure
    info = {"quick": quick, "pair_rounds": rounds, "pair_epochs": epochs, "framework_seeds": sizes["seeds"],
            "framework_epochs": sum(phase.epochs for phase in shortened(RECIPE, sizes["fraction"]))}  # fmt: skip
    (folder / BUILD_INFO).write_text(json.dumps(info, indent=2) + "\n")
    return all(ok)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the experiments; return 0 when every one succeeded, else 1."""
    parser = argparse.ArgumentParser(
        prog="python slides/experiments.py", description="Run the experiments whose results the decks show."
    )
    parser.add_argument("--out", type=Path, default=RESULTS, metavar="DIR", help="where to write the results "
                        "(default: slides/results)")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help=f"draft sizes: {QUICK['rounds']} rounds of "
                        f"{QUICK['epochs']} epochs, {QUICK['seeds']} seeds, a sixth of the framework's "
                        "training; a few minutes")  # fmt: skip
    parser.add_argument("--rounds", type=int, metavar="R", help=f"rounds of project 1 (default: {FULL['rounds']}, "
                        f"or {QUICK['rounds']} with --quick)")  # fmt: skip
    parser.add_argument("--epochs", type=int, metavar="E", help=f"epochs per round of project 1 (default: "
                        f"{FULL['epochs']}, or {QUICK['epochs']} with --quick)")  # fmt: skip
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    start = time.perf_counter()
    ok = run_experiments(args.out, args.quick, args.rounds or sizes["rounds"], args.epochs or sizes["epochs"])
    print(f"experiments took {time.perf_counter() - start:.0f} s; results in {args.out}")
    if not ok:
        print("error: some experiments failed (see above)", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
