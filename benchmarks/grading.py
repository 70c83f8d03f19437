"""Time the grading of one submission: CPU-seconds and wall clock, against ``import torch``.

Each grading is a fresh ``python -m autograder`` process. Its CPU-seconds are those of
every process it starts (judge, bubblewrap, workers and their children): read from a
cgroup of the ``cpuacct`` controller made for each command where this process may make
one (root, cgroup v1), else from ``RUSAGE_CHILDREN`` (which misses a worker killed before
it was reaped). Three gradings, medians of ``--repeats``:

- the reference, every task;
- the exercises, every task (every check meets a stub);
- one task of the reference (``-m linear``), the run a student repeats while working.

Each figure is also given as a ratio to ``python -c "import torch"`` measured in the same
run, so that runs on different machines, or on a busy one, compare. The load average is
printed before and after: above ``QUIET_LOAD`` the figures are marked busy.

``--server`` also times the three gradings through a grading server (``python -m autograder
serve``, the student's way to grade again and again): the server starts in a cpuacct cgroup of
its own and grades once before the measures (its lane boots then), and its CPU-seconds during
a command count with the command's.

    python benchmarks/grading.py [--repeats 3] [--kit FOLDER] [--busy] [--server]

``--kit`` times another copy of the kit with this Python (the previous release, say:
``git archive REV | tar -x -C FOLDER``). Before ``scan.Deferred``, a kit's scan imported
torchvision and matplotlib when the Python environment lay outside the kit's folder, 2 CPU-s
more per grading of project 1: time such a kit in place instead (``git checkout REV``).
``--busy`` runs two CPU-bound processes beside.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUSY_LOOP = "while True: pass"
QUIET_LOAD = 0.5  # load average per core below which a run counts as quiet
CPUACCT = Path("/sys/fs/cgroup/cpuacct")
GRADINGS = {  # name -> the command's arguments, and its exit status (0: full marks, 1: some checks failed)
    "reference": (["--solution", "reference"], 0),
    "exercises": (["--solution", "exercises"], 1),
    "reference -m linear": (["--solution", "reference", "-m", "linear"], 0),
}
SERVED = " (server)"  # the name of a grading done by a grading server
TARGETS = {"reference": (6.0, 5.0), "exercises": (2.0, None), "reference -m linear": (3.0, None)}  # CPU s, wall s


@dataclass
class Cost:
    """What one command took: CPU-seconds of all its processes, and wall-clock seconds."""

    cpu: float
    wall: float


@contextlib.contextmanager
def cpu_account() -> Iterator[tuple[Path | None, list[float]]]:
    """A fresh cpuacct cgroup (None where none can be made) and a list that receives its CPU-seconds."""
    folder = None
    with contextlib.suppress(OSError):
        folder = Path(tempfile.mkdtemp(prefix="benchmark-", dir=CPUACCT))
    seconds: list[float] = []
    try:
        yield folder, seconds
        if folder is not None:
            seconds.append(int((folder / "cpuacct.usage").read_text()) / 1e9)
    finally:
        if folder is not None:
            for _ in range(100):  # its processes take a moment to leave it
                with contextlib.suppress(OSError):
                    folder.rmdir()
                    break
                time.sleep(0.05)


def joining(folder: Path | None) -> Callable[[], None]:
    """A function for ``preexec_fn``: put the new process in the cgroup ``folder`` (if any)."""

    def enter() -> None:
        if folder is not None:
            (folder / "cgroup.procs").write_text(str(os.getpid()))

    return enter


def usage(folder: Path | None) -> float:
    """The CPU-seconds used so far in the cgroup ``folder`` (0 without one)."""
    return int((folder / "cpuacct.usage").read_text()) / 1e9 if folder is not None else 0.0


@dataclass
class Route:
    """Where a command's grading runs: the environment the command gets (its socket folder decides
    whether a grading server takes the grading) and that server's cgroup (None: no server, or no
    cgroup could be made), whose CPU-seconds meanwhile count with the command's."""

    environment: dict[str, str]
    server: Path | None = None


def measure(command: list[str], cwd: Path, route: Route, status: int = 0) -> Cost:
    """The cost of one command on ``route``, which must exit with ``status`` (a grading that went
    otherwise than expected is no measure of the grading)."""
    with cpu_account() as (folder, seconds):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        served = usage(route.server)
        start = time.perf_counter()
        process = subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, preexec_fn=joining(folder), env=route.environment
        )
        wall = time.perf_counter() - start
        served = usage(route.server) - served
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != status:
        raise SystemExit(f"{' '.join(command)} exited with {process.returncode}:\n{process.stdout}{process.stderr}")
    rusage = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return Cost((seconds[0] if seconds else rusage) + served, wall)


def median(command: list[str], repeats: int, cwd: Path, route: Route, status: int = 0) -> Cost:
    """The medians of ``repeats`` runs."""
    costs = [measure(command, cwd, route, status) for _ in range(repeats)]
    return Cost(statistics.median(cost.cpu for cost in costs), statistics.median(cost.wall for cost in costs))


@contextlib.contextmanager
def sockets() -> Iterator[dict[str, str]]:
    """This environment with an empty socket folder of its own: no grading server of the user's is found."""
    with tempfile.TemporaryDirectory(prefix="benchmark-runtime-") as folder:
        yield dict(os.environ, XDG_RUNTIME_DIR=folder)


@contextlib.contextmanager
def grading_server(kit: Path) -> Iterator[Route]:
    """A grading server of ``kit`` in a cgroup and a socket folder of its own, warmed by one grading."""
    with sockets() as environment, cpu_account() as (folder, _):
        command = [sys.executable, "-m", "autograder", "serve"]
        process = subprocess.Popen(
            command, cwd=kit, env=environment, stdout=subprocess.PIPE, text=True, preexec_fn=joining(folder)
        )
        try:
            if "ready" not in process.stdout.readline():
                raise SystemExit(f"the grading server did not start: {' '.join(command)} in {kit}")
            route = Route(environment, folder)
            measure([sys.executable, "-m", "autograder", "--solution", "reference", "-m", "linear"], kit, route)
            yield route
        finally:
            process.send_signal(signal.SIGINT)  # it stops its lane and removes its socket
            process.wait()


@contextlib.contextmanager
def busy(processes: int = 2) -> Iterator[None]:
    """Keep ``processes`` CPU-bound Python processes running meanwhile."""
    loops = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(processes)]
    try:
        time.sleep(0.5)
        yield
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


def load() -> float:
    """The load average of the last minute."""
    return os.getloadavg()[0]


def row(name: str, cost: Cost, torch: Cost) -> str:
    """One line of the table: the figures, their ratios to ``import torch``, the targets."""
    cpu_target, wall_target = TARGETS.get(name.removesuffix(SERVED), (None, None))
    targets = ", ".join(
        f"{what} <= {value:g} s" for what, value in (("CPU", cpu_target), ("wall", wall_target)) if value is not None
    )
    return (
        f"{name:<29} {cost.cpu:7.2f} {cost.cpu / torch.cpu:7.2f}x {cost.wall:7.2f} {cost.wall / torch.wall:7.2f}x"
        f"   {targets}"
    )


def main() -> None:
    """Print the table: CPU-seconds and wall clock of each grading, and their ratios to ``import torch``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement (default: 3)")
    parser.add_argument("--kit", type=Path, default=ROOT, help="the copy of the kit to time (default: this one)")
    parser.add_argument("--busy", action="store_true", help="run two CPU-bound processes beside the gradings")
    parser.add_argument("--server", action="store_true", help="also grade through a grading server ('serve')")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    start_load = load()
    with busy() if args.busy else contextlib.nullcontext():
        with sockets() as environment:
            alone = Route(environment)
            torch = median([sys.executable, "-c", "import torch"], args.repeats, args.kit, alone)
            costs = {
                name: median([sys.executable, "-m", "autograder", *arguments], args.repeats, args.kit, alone, status)
                for name, (arguments, status) in GRADINGS.items()
            }
        if args.server:
            with grading_server(args.kit) as served:
                for name, (arguments, status) in GRADINGS.items():
                    command = [sys.executable, "-m", "autograder", *arguments]
                    costs[f"{name}{SERVED}"] = median(command, args.repeats, args.kit, served, status)
    end_load = load()
    state = "busy (2 CPU-bound processes beside)" if args.busy else "quiet"
    if not args.busy and max(start_load, end_load) > QUIET_LOAD * cores:
        state = "busy (other processes)"
    how = "a cpuacct cgroup per command" if CPUACCT.is_dir() and os.geteuid() == 0 else "RUSAGE_CHILDREN"
    print(f"kit {args.kit}, {cores} cores, load average {start_load:.2f} -> {end_load:.2f}: {state}")
    print(f"medians of {args.repeats} runs; CPU-seconds of every process of the command ({how})")
    print(f"{'':<29} {'CPU s':>7} {'/torch':>8} {'wall s':>7} {'/torch':>8}   targets")
    print(row("import torch", torch, torch))
    for name, cost in costs.items():
        print(row(name, cost, torch))


if __name__ == "__main__":
    main()
