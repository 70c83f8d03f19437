"""What a probe's fresh child costs a warm zygote, before and after ``zygote.collapse_memory``.

Every probe runs in a child forked from a zygote that holds torch (about 370 MiB of private
memory once warm, with the optimisers' compiler modules): the fork copies the page tables of
that memory, and the child's exit takes them down. This script warms up as a zygote does
(``zygote.warm_up``, then ``gc.freeze``), then times children that do nothing and children
that run a small framework probe's work (import the reference's ``linear.py`` from source under
the autograd sentinel, one forward and backward) and a pairs one (three training steps of
``shared_digits``), before and after backing the zygote's memory with huge pages, in the same
process. CPU is the children's and the zygote's system time together; wall is fork to reap.

    python benchmarks/fork.py [--children 30]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

from autograder.worker import loader, no_autograd, zygote

REFERENCE = Path(__file__).resolve().parent.parent / "reference"


def framework_probe() -> None:
    """A small framework probe's work: import ``linear.py`` from source, one forward and backward."""
    sys.pycache_prefix = zygote.NO_BYTECODE
    with no_autograd.guard(REFERENCE):
        names = loader.load(REFERENCE, "framework", ["linear"])
        layer = names.Linear(20, 30)
        output = layer.forward(torch.randn(8, 20))
        layer.backward(torch.ones_like(output))


def pairs_probe() -> None:
    """A pairs probe's work: import the models and training, three training steps of ``shared_digits``."""
    sys.pycache_prefix = zygote.NO_BYTECODE
    names = loader.load(REFERENCE, "pairs", ["models", "training"])
    model = names.MODELS["shared_digits"]()
    optimizer = model.configure_optimizer()
    generator = torch.Generator().manual_seed(0)
    input = 255 * torch.rand(50, 2, 14, 14, generator=generator)
    classes = torch.randint(0, 10, (50, 2), generator=generator)
    for _ in range(3):
        names.train_step(model, optimizer, input, (classes[:, 0] <= classes[:, 1]).long(), classes)


def nothing() -> None:
    """A child that only exits."""


def children(work: Callable[[], None], count: int) -> tuple[float, float]:
    """Median wall milliseconds from fork to reap, and mean CPU milliseconds, of ``count`` children."""
    walls = []
    before = os.times()
    for _ in range(count):
        read_end, write_end = os.pipe()
        start = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            try:
                work()
            finally:
                os.write(write_end, b"x")
                os._exit(0)
        os.read(read_end, 1)
        os.waitpid(pid, 0)
        walls.append(time.perf_counter() - start)
        os.close(read_end)
        os.close(write_end)
    after = os.times()
    cpu = after.system - before.system + after.children_user - before.children_user
    cpu += after.children_system - before.children_system
    return 1000 * statistics.median(walls), 1000 * cpu / count


def private_memory() -> str:
    """This process's anonymous memory and how much of it is in huge pages."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:])
    return f"anonymous {fields['Anonymous'].strip()}, in huge pages {fields['AnonHugePages'].strip()}"


def main() -> None:
    """Print the children's costs before and after ``collapse_memory``, and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=30, help="children timed per kind and state")
    count = parser.parse_args().children
    torch.set_num_threads(1)
    zygote.warm_up(torch, optimizers=True)
    for work in (framework_probe, pairs_probe):  # their first run compiles what later children inherit
        work()
    gc.freeze()
    kinds = {"nothing": nothing, "framework probe": framework_probe, "pairs probe": pairs_probe}
    before = {name: children(work, count) for name, work in kinds.items()}
    print(f"warm zygote: {private_memory()}")
    start = time.process_time()
    collapsed = zygote.collapse_memory()
    cost = time.process_time() - start
    print(f"collapse_memory: {collapsed / 2**20:.0f} MiB in {cost:.2f} CPU-s; {private_memory()}")
    after = {name: children(work, count) for name, work in kinds.items()}
    print(f"{count} children each; CPU ms per child (fork, run, exit), wall ms median")
    print(f"{'child':16} {'CPU before':>10} {'CPU after':>10} {'ratio':>6} {'wall before':>12} {'wall after':>11}")
    for name in kinds:
        (wall_before, cpu_before), (wall_after, cpu_after) = before[name], after[name]
        ratio = cpu_before / cpu_after if cpu_after else float("inf")
        print(f"{name:16} {cpu_before:10.1f} {cpu_after:10.1f} {ratio:5.1f}x {wall_before:12.1f} {wall_after:11.1f}")


if __name__ == "__main__":
    main()
