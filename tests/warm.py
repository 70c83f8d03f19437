"""Warm workers for the tests that grade many submissions: the same judge, checks and zygote, no sandbox.

A grading spends about two seconds of CPU per worker importing torch, and the mutants and
equivalents grade some hundred copies of the reference. Those tests check the checks, not
the sandbox (the attacks do that, end to end), so ``workers()`` replaces ``sandbox.start``
by ``start``: the worker is a child of one warm server (``warm_zygote.py``) that imported
torch once, and runs the very zygote the sandbox runs (``worker.zygote.main``: a fresh child
per probe, the submission's copy, the limits, the autograd sentinel), on the same pipes.
Everything on the judge's side is the real grading: scan, imports, scheduling, time limits,
messages. What is left out is bubblewrap (the report says so: isolation partial) and the
cgroup; each probe's own limits hold.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any, TypeVar

import pytest

from autograder import sandbox
from autograder.judge import grading
from autograder.judge.probe import Probe
from autograder.judge.runner import Job, Outcome, Runner
from autograder.judge.scan import ProjectScan, scan_project

SERVER = Path(__file__).resolve().parent / "warm_zygote.py"
REASON = "a warm test worker, outside the sandbox"  # what the report's isolation line says
DEATH_WAIT = 5.0  # seconds a killed worker may take to be gone
# A training starts from fresh random weights in each grading: two sandboxed gradings of one mutant,
# with the same secrets, print different accuracies epoch by epoch. Their verdicts must agree.
TRAINED = ("pair_accuracy", "disk_accuracy")
# Gradings in flight at once, each running up to two probes: the two cores stay busy while one
# grading waits for its workers, prepares its checks or runs its last long probe alone. Measured
# under load: the equivalents, graded one at a time, had at most one probe running 18% of the time.
GRADINGS_AT_ONCE = 2

Item = TypeVar("Item")
Result = TypeVar("Result")


class WarmProcess:
    """What the judge needs of a worker's process (``subprocess.Popen``'s part): its pid, the
    pipes to its stdin and from its stdout, and ``wait``. It is the server's child, not ours."""

    def __init__(self, pid: int, stdin: IO[bytes], stdout: IO[bytes]) -> None:
        self.pid, self.stdin, self.stdout = pid, stdin, stdout

    def alive(self) -> bool:
        """Whether the process still runs (a zombie, which the server reaps, does not)."""
        try:
            state = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()[0]
        except (OSError, IndexError):
            return False
        return state not in ("Z", "X")

    def wait(self) -> None:
        """Wait until the process has ended (at most ``DEATH_WAIT``)."""
        deadline = time.perf_counter() + DEATH_WAIT
        while self.alive() and time.perf_counter() < deadline:
            time.sleep(0.01)


class WarmSandbox(sandbox.Sandbox):
    """A warm worker, closed as a sandbox is: its probes' process groups are killed with it."""

    def close(self) -> None:
        """Kill the groups of the probes in flight (each probe leads its own), then the worker's."""
        with contextlib.suppress(OSError):
            for child in Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(int(child), signal.SIGKILL)
        super().close()


class Server:
    """The warm server (``warm_zygote.py``), started once, and the socket that asks it for workers."""

    def __init__(self) -> None:
        self.folder = tempfile.TemporaryDirectory(prefix="autograder-warm-")
        grader = Path(self.folder.name) / "grader"
        shutil.copytree(sandbox.WORKER_PACKAGE, grader / "worker", ignore=shutil.ignore_patterns("__pycache__"))
        self.socket, theirs = socket.socketpair()
        paths = json.dumps([str(path) for path in sandbox.python_paths()])
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-S", "-B", str(SERVER), str(grader), str(theirs.fileno()), paths],
            pass_fds=[theirs.fileno()],
            env=sandbox.environment(self.folder.name, None),
            cwd=self.folder.name,
        )
        theirs.close()
        self.lock = threading.Lock()

    def fork(self, config: str, environment: dict[str, str], folder: Path, streams: list[int]) -> int:
        """A new zygote on ``streams`` (its stdin, stdout, stderr); its pid."""
        request = json.dumps({"config": config, "environment": environment, "folder": str(folder)}).encode()
        with self.lock:
            socket.send_fds(self.socket, [request], streams)
            return json.loads(self.socket.recv(1 << 16))["pid"]

    def start(self, spec: sandbox.WorkerSpec) -> sandbox.Sandbox:
        """``sandbox.start``, warm: the worker of ``spec``, forked from the server."""
        scratch = tempfile.TemporaryDirectory(prefix="autograder-worker-")
        tmp = Path(scratch.name) / "tmp"
        tmp.mkdir()
        config = json.loads(sandbox.worker_config(str(spec.submission), str(tmp), spec))
        config["limits"]["processes"] = 0  # as outside bubblewrap: RLIMIT_NPROC would count the user's processes
        environment = sandbox.environment(str(tmp), str(spec.data_dir) if spec.data_dir else None)
        stdin_read, stdin_write = os.pipe()
        stdout_read, stdout_write = os.pipe()
        with open(Path(scratch.name) / "stderr.txt", "wb") as stderr:
            pid = self.fork(json.dumps(config), environment, tmp, [stdin_read, stdout_write, stderr.fileno()])
        for descriptor in (stdin_read, stdout_write):
            os.close(descriptor)
        process = WarmProcess(pid, os.fdopen(stdin_write, "wb", buffering=0), os.fdopen(stdout_read, "rb", buffering=0))
        return WarmSandbox(process, scratch, None)

    def close(self) -> None:
        """Stop the server (its zygotes end as their judges close them) and remove its folder."""
        self.socket.close()
        self.process.wait()
        self.folder.cleanup()


class Answers(dict):
    """A runner's answers by key, backed by ``shared``, the answers of every warm grading so far.

    A probe's answer, a result or what the code raised, is a function of its arguments and
    of the files it imports, which ``MemoRunner.key`` names by their content: the same probe
    on the same code needs to run once in a session. Deaths and time-outs stay the grading's own.
    """

    def __init__(self, shared: dict[str, dict[str, Any]]) -> None:
        super().__init__()
        self.shared = shared

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key) or key in self.shared

    def __getitem__(self, key: str) -> dict[str, Any]:
        if super().__contains__(key):
            return super().__getitem__(key)
        return copy.deepcopy(self.shared[key])  # a check may change its reply's tensors in place

    def __setitem__(self, key: str, answer: dict[str, Any]) -> None:
        super().__setitem__(key, answer)
        if "ok" in answer or "error" in answer:
            self.shared[key] = copy.deepcopy(answer)


class MemoRunner(Runner):
    """The judge's runner, whose probes' keys name the content of the files they import, so that
    its answers are shared (``shared``) with the other gradings that share that dict."""

    def __init__(self, *arguments: Any, shared: dict[str, dict[str, Any]], **keywords: Any) -> None:
        super().__init__(*arguments, **keywords)
        self.cache = Answers(shared)
        self.scans: dict[str, ProjectScan] = {}

    def key(self, job: Job, probe: Probe) -> str:
        """The probe's key on the job's files, and on the content of every file they import."""
        return super().key(job, probe) + self.digest(job.project, job.files)

    def digest(self, project: str, files: tuple[str, ...]) -> str:
        """A digest of the names and content of the files that ``files`` of ``project`` import."""
        folder = self.specs["main"].submission / project
        if project not in self.scans:
            self.scans[project] = scan_project(folder, project)
        scan = self.scans[project]
        content = hashlib.sha256()
        for file in sorted(file for file in scan.closure(files) if file in scan.files):
            content.update(file.encode() + b"\0" + (folder / file).read_bytes() + b"\0")
        return content.hexdigest()


@contextlib.contextmanager
def workers() -> Iterator[Server]:
    """Within: every grading of this process starts its workers warm, from one server, and shares
    its probes' answers with the other gradings of the context."""
    server = Server()
    partial = sandbox.Isolation("partial", REASON)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(sandbox, "start", server.start)
            patch.setattr(sandbox, "isolation", lambda: partial)
            patch.setattr(grading, "Runner", functools.partial(MemoRunner, shared={}))
            yield server
    finally:
        server.close()


def grade_concurrently(items: list[Item], grade: Callable[[Item], Result], cost: Callable[[Item], Any]) -> list[Result]:
    """``grade`` of every item, in the items' order, ``GRADINGS_AT_ONCE`` at a time, the costliest
    (by ``cost``) started first: a long training started last would run alone at the end.

    The gradings share the process: the judge's parses take ``scan.PARSING`` (CPython 3.11's
    parser is not safe across threads, gh-106905), and ``fixed_secrets`` gives each grading
    its own sequence of secrets, whatever thread runs it.
    """
    order = sorted(range(len(items)), key=lambda index: cost(items[index]), reverse=True)
    with ThreadPoolExecutor(max_workers=GRADINGS_AT_ONCE) as pool:
        futures = {index: pool.submit(grade, items[index]) for index in order}
    return [futures[index].result() for index in range(len(items))]


def disagreements(warm: dict[str, Outcome | None], sandboxed: dict[str, Outcome | None]) -> list[str]:
    """The checks, by name, whose outcomes differ between a warm and a sandboxed grading, each with
    both outcomes: the status, and the message except for a trained network's figures (``TRAINED``)."""

    def verdict(name: str, outcome: Outcome | None) -> tuple[str, str] | None:
        if outcome is None:
            return None
        return outcome.status, "" if name.split(".")[0] in TRAINED else outcome.message

    return [
        f"{name}: warm {warm.get(name)}\n  sandbox {sandboxed.get(name)}"
        for name in sorted(warm.keys() | sandboxed.keys())
        if verdict(name, warm.get(name)) != verdict(name, sandboxed.get(name))
    ]
