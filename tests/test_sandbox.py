"""The worker's isolation itself, below the scan: what code running in the sandbox can do.

A submission folder is built by hand (no copy, no scan), one worker is started on it with
``sandbox.start``, and each probe file's module-level code finds out one thing and says it
in the message of the exception it raises, which comes back in the answer's ``error``.
"""

from __future__ import annotations

import json
import os
import selectors
import sys
import time
from pathlib import Path

import pytest
from grading import ROOT

from autograder import sandbox
from autograder.worker import codec, confine
from autograder.worker.channel import FrameReader, write_all

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not sandbox.isolation().full,
        reason=f"the sandbox does not run here ({sandbox.isolation().reason}): nothing to test below the scan",
    ),
]

ANSWER_LIMIT = 120.0  # seconds for a worker to start, or a probe to answer
LIMITS = sandbox.Limits()
HOLD = 1200 * 2**20  # bytes each of three processes tries to hold at once

# Each probe's module-level code: ``found`` is what it reports (JSON, in the exception's message).
PROBES = {
    "network": """
import socket

found = {}
for host, port in (("1.1.1.1", 53), ("8.8.8.8", 53), ("pypi.org", 443)):
    try:
        socket.create_connection((host, port), timeout=3).close()
        found[host] = "connected"
    except OSError as error:
        found[host] = type(error).__name__
""",
    "visible": """
import os
import sys

found = {
    path: os.path.exists(path)
    for path in (
        "@KIT@/reference",
        "@KIT@/autograder",
        "@KIT@/autograder/judge",
        "@KIT@/.git",
        "@KIT@/course",
        "@KIT@/datasets",
        "@SUBMISSION@",
        "@JUDGE_TMP_FILE@",
        "/data",
    )
}
found["kit"] = sorted(os.listdir("@KIT@")) if os.path.isdir("@KIT@") else []
found["grader"] = sorted(os.listdir("/grader"))
found["worker"] = sorted(name for name in os.listdir("/grader/worker") if name.endswith(".py"))
system = {"/proc", "/sys", "/dev", "/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/etc"}
found["judge code"] = []
for folder, subfolders, files in os.walk("/"):
    subfolders[:] = [
        name
        for name in subfolders
        if os.path.join(folder, name) not in system | {sys.prefix, sys.base_prefix}
    ]
    found["judge code"] += [os.path.join(folder, name) for name in files if name.startswith(("checks_", "grading"))]
""",
    "writable": """
import os
import sys

found = {}
folders = (sys.prefix, os.path.dirname(os.__file__), "/grader/worker", "/submission", "/submission/framework", "/tmp")
for folder in folders:
    try:
        with open(os.path.join(folder, "written-by-the-sandbox"), "w") as file:
            file.write("x")
        os.remove(os.path.join(folder, "written-by-the-sandbox"))
        found[folder] = "written"
    except OSError as error:
        found[folder] = type(error).__name__
""",
    "user": """
import os

status = dict(line.split(":\\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\\t" in line)
found = {"uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(), "capabilities": status["CapEff"].strip()}
""",
    "processes": """
import os

found = {}
for entry in os.listdir("/proc"):
    if entry.isdigit():
        try:
            found[entry] = open(f"/proc/{entry}/cmdline", "rb").read().replace(b"\\0", b" ").decode()[:60]
        except OSError:
            pass
""",
    "environment": """
import os

found = dict(os.environ)
""",
    "memory": """
found = {}
for size in (2**20 * 100, @MEMORY@ * 2):
    try:
        block = bytearray(size)
        found[str(size)] = "allocated"
        del block
    except MemoryError:
        found[str(size)] = "MemoryError"
""",
    "fork": """
import os
import time

children, found = [], {"error": None}
for number in range(@PROCESSES@ + 64):
    try:
        pid = os.fork()
    except OSError as error:
        found["error"] = type(error).__name__
        break
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    children.append(pid)
found["forked"] = len(children)
for pid in children:
    os.kill(pid, 9)
for pid in children:
    os.waitpid(pid, 0)
""",
    "kit_modules": """
import importlib
import sys

found = {}
for name in (
    "worker",
    "worker.trusted",
    "worker.reference_parts",
    "worker.probes_pairs",
    "autograder",
    "reference.pairs",
):
    try:
        importlib.import_module(name)
        found[name] = "imported"
    except ModuleNotFoundError as error:
        found[name] = str(error)
kit = ("worker", "autograder", "reference")
found["loaded"] = sorted(name for name in sys.modules if name.partition(".")[0] in kit)
found["path"] = [entry for entry in sys.path if "grader" in entry]
""",
    "programs": """
import asyncio
import os
import subprocess

import torch

found = {}


async def start_true():
    process = await asyncio.create_subprocess_exec("/bin/true")
    return await process.wait()


for name, start in (
    ("subprocess.run", lambda: subprocess.run(["/bin/true"]).returncode),
    ("os.posix_spawn", lambda: os.posix_spawn("/bin/true", ["true"], {})),
    ("asyncio", lambda: asyncio.run(start_true())),
    ("os.setsid", os.setsid),
):
    try:
        found[name] = start()
    except OSError as error:
        found[name] = type(error).__name__
found["os.system"] = os.waitstatus_to_exitcode(os.system("/bin/true"))
pid = os.fork()
if pid == 0:
    os._exit(3)
found["fork"] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
found["torch"] = float(torch.ones(3).sum())
""",
    "daemon": """
import os
import time

found = {"pids": []}
read, write = os.pipe()
first = os.fork()
if first == 0:  # a daemon: a new session, a second fork, and the first child ends
    try:
        os.setsid()
    except OSError:
        pass
    second = os.fork()
    if second == 0:
        os.closerange(3, 256)  # the probe's result pipe among them: the probe must end without it
        time.sleep(120)
        os._exit(0)
    os.write(write, str(second).encode())
    os._exit(0)
os.waitpid(first, 0)
found["pids"].append(int(os.read(read, 64)))
sleeper = os.fork()
if sleeper == 0:
    os.closerange(3, 256)
    time.sleep(120)
    os._exit(0)
found["pids"].append(sleeper)
""",
    "listing": """
import os

found = {}
for entry in os.listdir("/proc"):
    if entry.isdigit():
        try:
            state = open(f"/proc/{entry}/stat").read().rpartition(")")[2].split()[0]
            line = open(f"/proc/{entry}/cmdline", "rb").read().replace(b"\\0", b" ").decode()[:60]
            found[entry] = f"{state} {line}"
        except OSError:
            pass
""",
    "hoard": """
import os
import select
import time

read, write = os.pipe()
holders = []
for number in range(3):
    pid = os.fork()
    if pid == 0:
        block = b"x" * @HOLD@  # written: every page is resident
        os.write(write, str(number).encode())
        time.sleep(60)
        os._exit(0)
    holders.append(pid)
reported, ended, deadline = set(), {}, time.monotonic() + 60
while len(reported | set(ended)) < 3 and time.monotonic() < deadline:
    if select.select([read], [], [], 0.1)[0]:
        reported |= {holders[int(number)] for number in os.read(read, 3).decode()}
    for pid in holders:
        if pid not in ended:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                ended[pid] = status
found = {"held at once": len(reported - set(ended)), "killed": sum(map(os.WIFSIGNALED, ended.values()))}
""",
    "files": """
import os

found = {}
handles = []
try:
    for _ in range(@OPEN_FILES@ + 10):
        handles.append(open("/dev/null"))
    found["open"] = "opened all"
except OSError as error:
    found["open"] = type(error).__name__
for handle in handles:
    handle.close()
try:
    with open("/tmp/large", "wb") as file:
        file.write(bytes(@FILE_SIZE@ + 2**20))
    found["large"] = "written"
except OSError as error:
    found["large"] = type(error).__name__
""",
}


class Worker:
    """A worker started on a folder, and the answers it gave, by request."""

    def __init__(self, started: sandbox.Sandbox) -> None:
        self.sandbox = started
        self.process, self.scratch = started.process, started.scratch
        self.reader = FrameReader(self.process.stdout.fileno())
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.reader.fd, selectors.EVENT_READ)
        self.pending: list[dict] = []
        self.answers: dict[str, dict] = {}
        self.hello = self.receive()

    def receive(self) -> dict:
        """The next message of the worker."""
        deadline = time.monotonic() + ANSWER_LIMIT
        while not self.pending:
            assert not self.reader.closed, f"the worker ended: {self.stderr()}"
            assert time.monotonic() < deadline, f"the worker did not answer: {self.stderr()}"
            if self.selector.select(deadline - time.monotonic()):
                self.pending += [codec.decode(frame) for frame in self.reader.read()]
        return self.pending.pop(0)

    def stderr(self) -> str:
        return (Path(self.scratch.name) / "stderr.txt").read_text(errors="replace")[-2000:]

    def found(self, probe: str) -> dict:
        """What ``probe`` reported (asked once)."""
        if probe not in self.answers:
            request = {"id": len(self.answers) + 1, "probe": "framework.imported", "project": "framework"}
            write_all(self.process.stdin.fileno(), codec.encode({**request, "files": [probe], "args": {}}))
            answer = self.receive()
            assert answer["id"] == request["id"] and "error" in answer, answer
            message = answer["error"]["message"]
            assert message.startswith("found "), answer
            self.answers[probe] = json.loads(message.removeprefix("found "))
        return self.answers[probe]

    def close(self) -> None:
        self.sandbox.close()


@pytest.fixture(scope="module")
def submission(tmp_path_factory) -> Path:
    """A submission whose framework/ holds the probes, and a file in the judge's /tmp."""
    folder = tmp_path_factory.mktemp("sandboxed")
    judge_file = tmp_path_factory.mktemp("judge") / "report-in-progress.json"
    judge_file.write_text("{}")
    values = {
        "@KIT@": str(ROOT),
        "@SUBMISSION@": str(folder),
        "@JUDGE_TMP_FILE@": str(judge_file),
        "@MEMORY@": str(LIMITS.memory),
        "@PROCESSES@": str(LIMITS.processes),
        "@OPEN_FILES@": str(LIMITS.open_files),
        "@FILE_SIZE@": str(LIMITS.file_size),
        "@HOLD@": str(HOLD),
    }
    (folder / "framework").mkdir()
    for name, code in PROBES.items():
        for key, value in values.items():
            code = code.replace(key, value)
        (folder / "framework" / f"{name}.py").write_text(code + '\nraise RuntimeError("found " + json_text(found))\n')
        source = (folder / "framework" / f"{name}.py").read_text()
        (folder / "framework" / f"{name}.py").write_text("from json import dumps as json_text\n" + source)
    folder.chmod(0o755)
    return folder


@pytest.fixture(scope="module")
def worker(submission):
    """A worker on the probes' submission."""
    started = Worker(sandbox.start(sandbox.WorkerSpec(submission)))
    yield started
    started.close()


def capped_by_a_cgroup() -> tuple[bool, bool]:
    """Whether the judge can cap a worker's processes, and its memory, with a cgroup here (it runs as root)."""
    cgroup = sandbox.Cgroup.create(LIMITS)
    if cgroup is None:
        return False, False
    cgroup.remove()
    return True, cgroup.memory is not None


def worker_tree(pid: int) -> list[str]:
    """The command lines of the host's processes below ``pid``: the worker's tree, seen from the judge."""
    parents, lines = {}, {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
                lines[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:100]
            except (OSError, IndexError):
                continue
    tree, frontier = [], [pid]
    while frontier:
        below = [child for child, parent in parents.items() if parent in frontier]
        tree += [f"{child}: {lines[child]}" for child in below]
        frontier = below
    return tree


def test_no_network(worker):
    found = worker.found("network")
    assert "connected" not in found.values(), found


def test_the_kit_and_the_judge_are_not_visible(worker):
    found = worker.found("visible")
    hidden = [path for path, seen in found.items() if path.startswith("/") and path != "/data"]
    assert not [path for path in hidden if found[path]], found
    assert set(found["kit"]) <= {".venv"}, "only the Python installation inside the kit is visible"
    assert found["/data"] is False, "the main worker sees no dataset"
    assert found["grader"] == ["worker"]
    assert not [name for name in found["worker"] if name.startswith("checks")], found["worker"]
    assert found["judge code"] == []


def test_the_python_installation_and_the_submission_are_read_only(worker):
    found = worker.found("writable")
    assert found.pop("/tmp") == "written"
    assert set(found.values()) <= {"OSError", "PermissionError", "FileNotFoundError"}, found


def test_an_unprivileged_user(worker):
    found = worker.found("user")
    assert found["uid"] != 0 and found["euid"] != 0
    if os.getuid() == 0:
        assert found["uid"] == found["gid"] == sandbox.SANDBOX_USER
    assert int(found["capabilities"], 16) == 0, found


def test_its_own_process_namespace(worker):
    found = worker.found("processes")
    assert len(found) <= 5, found
    assert not [line for line in found.values() if "pytest" in line], found


def test_the_environment_holds_nothing_of_the_judge(worker):
    assert "PYTEST_CURRENT_TEST" in os.environ
    found = worker.found("environment")
    assert found.pop("PWD", "/tmp") == "/tmp"
    assert set(found) <= set(sandbox.environment("/tmp", None)), found
    assert found["HOME"] == "/tmp"


def test_memory_beyond_the_limit_fails_in_the_child(worker):
    found = worker.found("memory")
    assert found == {str(2**20 * 100): "allocated", str(LIMITS.memory * 2): "MemoryError"}


def test_too_many_processes_fail(worker):
    found = worker.found("fork")
    assert found["error"] is not None and found["forked"] <= LIMITS.processes, found


def test_open_files_and_file_sizes_are_limited(worker):
    assert worker.found("files") == {"open": "OSError", "large": "OSError"}


@pytest.mark.skipif(os.uname().machine not in confine.ARCHITECTURES, reason="no seccomp filter for this machine")
def test_a_probe_cannot_start_programs_but_may_fork(worker):
    assert worker.found("programs") == {
        "subprocess.run": "PermissionError",
        "os.posix_spawn": "PermissionError",
        "asyncio": "PermissionError",
        "os.setsid": "PermissionError",
        "os.system": 127,  # the shell could not be started
        "fork": 3,
        "torch": 3.0,
    }


def test_no_process_a_probe_started_outlives_it(worker):
    started = worker.found("daemon")["pids"]
    listed = worker.found("listing")  # the sandbox's processes, seen by the next probe
    survivors = [f"{pid}: {line}" for pid, line in listed.items() if int(pid) in started]
    assert len(started) == 2 and not survivors, f"started {started}; in the sandbox during the next probe: {listed}"
    tree = worker_tree(worker.process.pid)
    pythons = [line for line in tree if line.partition(": ")[2].startswith(str(Path(sys.executable).absolute()))]
    assert len(pythons) == 1, f"the worker's processes on the host (the zygote alone is Python): {tree}"


def test_processes_holding_memory_together_never_exceed_the_sandbox_cap(submission):
    """Three processes try to hold 1.2 GiB each at once: the cgroup's out-of-memory killer stops
    them, and the cgroup's peak (read when the sandbox closes) stays within the cap."""
    if not capped_by_a_cgroup()[1]:
        pytest.skip("the judge cannot make a memory cgroup here (not root, or no memory controller)")
    started = sandbox.start(sandbox.WorkerSpec(submission))
    try:
        found = Worker(started).found("hoard")
    finally:
        started.close()
    assert found["held at once"] < 3 and found["killed"] >= 1, found
    assert HOLD < started.memory_peak <= LIMITS.sandbox_memory, f"peak {started.memory_peak} bytes; {found}"


def test_the_worker_says_hello_first(worker):
    assert set(worker.hello["hello"]) == {"calibration", "python", "torch"}


def test_two_workers_started_one_after_the_other_both_start_capped(submission):
    started = [sandbox.start(sandbox.WorkerSpec(submission)) for _ in range(2)]
    try:
        workers = [Worker(each) for each in started]
        assert all(set(each.hello["hello"]) == {"calibration", "python", "torch"} for each in workers)
        if capped_by_a_cgroup()[0]:
            assert all(each.cgroup is not None for each in started)
    finally:
        for each in started:
            each.close()


def test_a_python_installation_below_tmp_is_mounted_over_the_private_tmp(tmp_path, monkeypatch):
    """A virtual environment made below /tmp is mounted after the worker's own /tmp, so the
    worker can run; a working folder below /tmp stays hidden, and /tmp itself is never mounted."""
    venv, work = tmp_path / "venv", tmp_path / "work"
    for folder in (venv / "bin", venv / "lib" / "site-packages", work):
        folder.mkdir(parents=True)
    monkeypatch.setattr(sys, "prefix", str(venv))
    monkeypatch.setattr(sys, "executable", str(venv / "bin" / "python"))
    monkeypatch.setattr(sys, "path", [str(venv / "lib" / "site-packages"), str(work), "/tmp"])
    argv, _, _ = sandbox.command(sandbox.WorkerSpec(tmp_path / "submission"), tmp_path)
    mounts = [argv[index + 1] for index, word in enumerate(argv) if word == "--ro-bind"]
    private_tmp = argv.index("--tmpfs")
    assert argv[private_tmp + 1] == "/tmp"
    assert str(venv.resolve()) in mounts and argv.index(str(venv.resolve())) > private_tmp
    assert str(work.resolve()) not in mounts and "/tmp" not in mounts and "/" not in mounts


def test_the_kit_s_own_modules_cannot_be_imported(worker):
    found = worker.found("kit_modules")
    for name in (
        "worker",
        "worker.trusted",
        "worker.reference_parts",
        "worker.probes_pairs",
        "autograder",
        "reference.pairs",
    ):
        assert found[name] == f"No module named {name.partition('.')[0]!r}", found
    assert found["loaded"] == [] and found["path"] == [], found


def test_a_cgroup_v2_folder_is_made_beside_the_judges_own_with_both_controllers(tmp_path, monkeypatch):
    """cgroup v2 (simulated in a folder): the judge's own cgroup holds processes, so it may not
    hand controllers down; the sandbox's folder goes beside it, capped, its parent passing them on."""
    (tmp_path / "cgroup.controllers").write_text("cpu memory pids")
    judge = tmp_path / "judge.slice" / "grading.scope"
    judge.mkdir(parents=True)
    monkeypatch.setattr(sandbox, "CGROUP_ROOT", tmp_path)
    monkeypatch.setattr(sandbox, "own_cgroup", lambda controller: "/judge.slice/grading.scope")
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    cgroup = sandbox.Cgroup.create(LIMITS)
    assert cgroup is not None and cgroup.folders == (cgroup.memory,)
    assert cgroup.memory.parent == judge.parent
    assert (judge.parent / "cgroup.subtree_control").read_text() == "+memory +pids"
    assert (cgroup.memory / "pids.max").read_text() == str(LIMITS.processes)
    assert (cgroup.memory / "memory.max").read_text() == str(LIMITS.sandbox_memory)
    (cgroup.memory / "memory.peak").write_text("1234\n")
    assert cgroup.memory_peak() == 1234
