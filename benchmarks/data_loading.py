"""Time generate_pair_sets: the first call in a fresh process, and a second call in the same process.

The first call decompresses and verifies the MNIST files and pools the images; later
calls reuse the cached tensors. ``import torch`` is timed separately and excluded.

    python benchmarks/data_loading.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

PROBE = """
import json, time
start = time.perf_counter()
import torch
imported = time.perf_counter()
from reference.pairs.data import generate_pair_sets
generate_pair_sets(1000, seed=0)
first = time.perf_counter()
generate_pair_sets(1000, seed=1)
second = time.perf_counter()
print(json.dumps({"import_torch": imported - start, "first": first - imported, "second": second - first}))
"""


def main() -> None:
    """Run the probe in fresh processes and print the median of each timing."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="fresh processes to run (default: 5)")
    args = parser.parse_args()
    runs = [
        json.loads(subprocess.run([sys.executable, "-c", PROBE], check=True, capture_output=True, text=True).stdout)
        for _ in range(args.repeats)
    ]
    for name, label in (("import_torch", "import torch"), ("first", "first call"), ("second", "second call")):
        values = [run[name] for run in runs]
        print(f"{label:>13}: median {1000 * statistics.median(values):7.1f} ms, max {1000 * max(values):7.1f} ms")


if __name__ == "__main__":
    main()
