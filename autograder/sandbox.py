"""Start the worker: under bubblewrap where it runs, else as a plain process with the same limits.

Under bubblewrap the worker has no network, its own PID, IPC and UTS namespaces, the
unprivileged user 65534, a private ``/tmp``, and read-only views of the system's
libraries, of the Python installation (the directories on the judge's ``sys.path``, minus
the kit's own folders), of the worker package (``/grader/worker``) and of the
submission's copy (``/submission``). Nothing else of the machine exists for it.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .worker.lane import BOOT as LANE_BOOT
from .worker.zygote import BOOT

KIT = Path(__file__).resolve().parent.parent
WORKER_PACKAGE = Path(__file__).resolve().parent / "worker"
SYSTEM_PATHS = (
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/alternatives",
)
SANDBOX_USER = 65534  # nobody
SANDBOX_TMP = Path("/tmp")  # the sandbox's private, writable folder
SANDBOX_TMP_BYTES = 512 * 2**20
GiB = 2**30
# The whole sandbox's memory, where a cgroup caps it: grading the reference, a sandbox peaks at 654 MiB
# (cgroup v1's memory.max_usage_in_bytes, page cache included; the main and data workers, 2-core machine,
# 2026), so about four times that.
SANDBOX_MEMORY = 5 * GiB // 2
DATA_MOUNT = "/data"
DATA_DIR_VARIABLE = "MINIPROJECTS_DATA_DIR"  # read by the pair loader (reference/pairs/mnist.py)
CGROUP_ROOT = Path("/sys/fs/cgroup")
SWAP_CAPS = ("memory.memsw.limit_in_bytes", "memory.swap.max")  # absent where swap is not accounted
JOIN = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'  # enter each cgroup
INSTALL_HINT = "install bubblewrap (Debian and Ubuntu: apt-get install bubblewrap) for full isolation"


@dataclass(frozen=True)
class Limits:
    """What one probe's process may use: bytes of memory beyond the worker's own, bytes per
    written file, open files, and processes (threads included; 0 leaves it unset); and what
    the whole sandbox may hold, where the judge can make a cgroup: bytes of memory, and the
    same number of processes (0 leaves either unset)."""

    memory: int = 3 * GiB // 2  # below sandbox_memory: one child that asks too much gets a MemoryError first
    file_size: int = 64 * 2**20
    open_files: int = 256
    processes: int = 512
    sandbox_memory: int = SANDBOX_MEMORY


@dataclass(frozen=True)
class Isolation:
    """How the worker is isolated: ``full`` under bubblewrap, ``partial`` without, and why."""

    level: str
    reason: str

    @property
    def full(self) -> bool:
        """Whether the worker runs in the sandbox."""
        return self.level == "full"

    def line(self) -> str:
        """One line for the score table."""
        if self.full:
            return "isolation: full (bubblewrap: no network, private files, unprivileged user)"
        return f"isolation is partial ({self.reason}): fine for checking your own work, not for grading others'"


@dataclass(frozen=True)
class WorkerSpec:
    """Everything needed to start a worker for one submission: its copy, the MNIST folder
    its probes may read (None: no dataset at all), the limits, torch's thread count, and
    whether the zygote loads ``torch.optim`` before its first child (worth it when the
    submission's code trains with torch's optimisers)."""

    submission: Path
    data_dir: Path | None = None
    limits: Limits = field(default_factory=Limits)
    threads: int = 1
    optimizers: bool = False


def worker_specs(main: WorkerSpec) -> dict[str, WorkerSpec]:
    """The two workers of a grading: ``main``, without any dataset, and one like it that sees the
    MNIST files (and runs no training)."""
    from .mnist_cache import mnist_root

    data = WorkerSpec(main.submission, data_dir=mnist_root(), threads=main.threads)
    return {"main": main, "data": data}


def default_jobs() -> int:
    """Probes run at once: the cores this process may use, at most 2 (checks are small)."""
    return max(1, min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


@functools.cache
def bubblewrap() -> tuple[str | None, str]:
    """The path of a bubblewrap that works here, or None with the reason it cannot be used."""
    if os.environ.get("AUTOGRADER_NO_SANDBOX"):
        return None, "AUTOGRADER_NO_SANDBOX is set"
    if not sys.platform.startswith("linux"):
        return None, f"no bubblewrap on {sys.platform}"
    path = shutil.which("bwrap")
    if path is None:
        return None, f"bubblewrap is not installed; {INSTALL_HINT}"
    probe = [path, "--unshare-all", "--unshare-user", "--uid", str(SANDBOX_USER), "--ro-bind", "/", "/", "true"]
    try:
        subprocess.run(probe, check=True, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as error:
        detail = getattr(error, "stderr", b"") or b""
        return None, f"bubblewrap cannot start here ({detail.decode(errors='replace').strip() or error})"
    return path, ""


def isolation() -> Isolation:
    """The isolation a worker started now would have."""
    path, reason = bubblewrap()
    return Isolation("full", "") if path else Isolation("partial", reason)


def python_paths() -> list[Path]:
    """The folders of the Python installation the worker needs: sys.path without the kit's own."""
    paths = []
    for entry in sys.path:
        path = Path(entry or ".").resolve()
        if not path.is_dir() or path in (KIT, *KIT.parents):
            continue
        if path.is_relative_to(KIT) and not path.is_relative_to(Path(sys.prefix).resolve()):
            continue  # the kit's folders (the venv inside the kit is the Python installation)
        paths.append(path)
    return paths


def read_only_roots() -> list[Path]:
    """Python's prefixes and path folders, without those inside another one.

    They are mounted over the sandbox's private ``/tmp``, so that an installation below
    ``/tmp`` (a virtual environment made there) works; none of them may be ``/tmp`` or above
    it, and a path folder below ``/tmp`` outside the installation (a working folder) is left out.
    """
    installation = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(sys.executable).resolve().parent}
    roots: list[Path] = []
    for path in sorted(installation | set(python_paths())):
        if any(path.is_relative_to(root) for root in roots) or KIT.is_relative_to(path):
            continue
        if SANDBOX_TMP.is_relative_to(path):
            continue
        if path.is_relative_to(SANDBOX_TMP) and not any(path.is_relative_to(folder) for folder in installation):
            continue
        roots.append(path)
    return roots


def worker_config(submission: str, tmp: str, spec: WorkerSpec) -> str:
    """The zygote's JSON configuration."""
    limits = spec.limits.__dict__ | ({} if isolation().full else {"processes": 0})
    paths = [str(path) for path in python_paths()]
    return json.dumps(
        {
            "path": paths,
            "submission": submission,
            "tmp": tmp,
            "limits": limits,
            "threads": spec.threads,
            "optimizers": spec.optimizers,
        }
    )


def environment(home: str, data_dir: str | None) -> dict[str, str]:
    """The worker's whole environment: nothing of the judge's."""
    variables = {
        "HOME": home,
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "MPLCONFIGDIR": home,
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "TORCH_HOME": home,
    }
    if data_dir is not None:
        variables[DATA_DIR_VARIABLE] = data_dir
    return variables


def command(spec: WorkerSpec, scratch: Path, boot: str = BOOT) -> tuple[list[str], dict[str, str] | None, Path]:
    """The worker's command line, its environment (None under bubblewrap) and working folder;
    ``boot`` is the program the worker's Python runs (a zygote's, or a warm lane's)."""
    python = str(Path(sys.executable).absolute())
    path, _ = bubblewrap()
    if path is None:
        grader = scratch / "grader"
        shutil.copytree(WORKER_PACKAGE, grader / "worker", ignore=shutil.ignore_patterns("__pycache__"))
        tmp = scratch / "tmp"
        tmp.mkdir()
        config = worker_config(str(spec.submission), str(tmp), spec)
        env = environment(str(tmp), str(spec.data_dir) if spec.data_dir else None)
        return [python, "-I", "-S", "-B", "-c", boot, str(grader), config], env, tmp
    argv = [
        path,
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--uid",
        str(SANDBOX_USER),
        "--gid",
        str(SANDBOX_USER),
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--clearenv",
    ]
    for name, value in environment(str(SANDBOX_TMP), DATA_MOUNT if spec.data_dir else None).items():
        argv += ["--setenv", name, value]
    argv += ["--proc", "/proc", "--dev", "/dev", "--size", str(SANDBOX_TMP_BYTES), "--tmpfs", str(SANDBOX_TMP)]
    for system in SYSTEM_PATHS:
        if os.path.exists(system):
            argv += ["--ro-bind", system, system]
    for root in read_only_roots():
        argv += ["--ro-bind", str(root), str(root)]
    argv += ["--ro-bind", str(WORKER_PACKAGE), "/grader/worker", "--ro-bind", str(spec.submission), "/submission"]
    if spec.data_dir is not None:
        argv += ["--ro-bind", str(spec.data_dir), DATA_MOUNT]
    argv += [
        "--chdir",
        str(SANDBOX_TMP),
        python,
        "-I",
        "-S",
        "-B",
        "-c",
        boot,
        "/grader",
        worker_config("/submission", str(SANDBOX_TMP), spec),
    ]
    return argv, None, scratch


@dataclass
class Sandbox:
    """A running worker: its process, its scratch folder (``stderr.txt`` holds what it printed
    there), the cgroup that caps it as a whole, if the judge could make one, and, once closed,
    the most memory that cgroup held (bytes; None where it was not measured)."""

    process: subprocess.Popen
    scratch: tempfile.TemporaryDirectory
    cgroup: Cgroup | None
    memory_peak: int | None = None

    def close(self) -> None:
        """Kill the worker's whole process group and every process of its cgroup, wait for the
        worker, and remove what it left."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.cgroup:
            self.cgroup.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError, AttributeError):  # None for a lane's
                stream.close()
        if self.cgroup:
            self.memory_peak = self.cgroup.memory_peak()
            self.cgroup.remove()
        self.scratch.cleanup()


def start(spec: WorkerSpec, control: socket.socket | None = None) -> Sandbox:
    """Start a worker in its own session, so that killing its process group kills all of it.

    Where the judge can make a cgroup (root), the worker enters it before it starts (a
    shell moves itself into it, then becomes bubblewrap or the worker), so that every
    process the submission forks counts against the sandbox's caps. With ``control`` (a
    Unix socket, its standard input) the sandbox runs a warm lane (``worker/lane.py``) instead
    of a zygote, and prints on its standard error alone.
    """
    scratch = tempfile.TemporaryDirectory(prefix="autograder-worker-")
    argv, env, cwd = command(spec, Path(scratch.name), LANE_BOOT if control else BOOT)
    cgroup = Cgroup.create(spec.limits)
    if cgroup:
        argv = ["/bin/sh", "-c", JOIN, "sh", *(str(folder / "cgroup.procs") for folder in cgroup.folders), "--", *argv]
    with open(Path(scratch.name) / "stderr.txt", "wb") as stderr:
        process = subprocess.Popen(
            argv,
            stdin=control.fileno() if control else subprocess.PIPE,
            stdout=stderr if control else subprocess.PIPE,
            stderr=stderr,
            env=env or {},
            cwd=cwd,
            start_new_session=True,
        )
    return Sandbox(process, scratch, cgroup)


def own_cgroup(controller: str) -> str:
    """This process's cgroup in the hierarchy of ``controller`` ("" for cgroup v2's), or "/"."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if controller in controllers.split(","):
                return path
    return "/"


@dataclass
class Cgroup:
    """The cgroup that caps a whole sandbox's memory and processes, where the judge may make one.

    ``RLIMIT_AS`` and ``RLIMIT_NPROC`` cap one process (and the latter never root's, to
    which a judge run as root maps the sandbox's user); a cgroup caps the sandbox as a
    whole: ``pids.max`` processes, and memory without swap. With cgroup v1, each controller
    has its own hierarchy (``/sys/fs/cgroup/pids``, ``/sys/fs/cgroup/memory``) and the
    sandbox a folder in each, below the judge's own cgroup; with cgroup v2, one folder beside
    the judge's own cgroup (a cgroup holding processes may not hand controllers down), with
    the controllers enabled in its parent. Either falls back to the hierarchy's root.
    ``folders`` are where the sandbox's processes go; ``memory`` holds the memory files.
    """

    folders: tuple[Path, ...]
    memory: Path | None

    @classmethod
    def create(cls, limits: Limits) -> Cgroup | None:
        """A new cgroup with ``limits``' caps for the whole sandbox, or None where none can be made."""
        if os.geteuid() != 0 or not CGROUP_ROOT.is_dir():
            return None
        processes, memory = limits.processes, limits.sandbox_memory
        if (CGROUP_ROOT / "cgroup.controllers").exists():  # cgroup v2, alone
            caps = ({"pids.max": processes} if processes else {}) | (
                {"memory.max": memory, "memory.swap.max": 0} if memory else {}
            )
            folder = make_cgroup(v2_parents(), caps, ("memory", "pids"))
            return cls((folder,), folder) if folder else None
        pids = make_cgroup(v1_parents("pids"), {"pids.max": processes}) if processes else None
        memory_caps = {"memory.limit_in_bytes": memory, "memory.memsw.limit_in_bytes": memory}
        memory_folder = make_cgroup(v1_parents("memory"), memory_caps) if memory else None
        folders = tuple(folder for folder in (pids, memory_folder) if folder)
        return cls(folders, memory_folder) if folders else None

    def memory_peak(self) -> int | None:
        """The most memory the sandbox has held, in bytes (None where the kernel does not say)."""
        if self.memory is None:
            return None
        for name in ("memory.max_usage_in_bytes", "memory.peak"):
            with contextlib.suppress(OSError, ValueError):
                return int((self.memory / name).read_text())
        return None

    def kill(self, patience: float = 5.0) -> None:
        """Kill every process in the cgroup, until none is left or ``patience`` seconds have passed."""
        deadline = time.monotonic() + patience
        while time.monotonic() < deadline:
            try:
                pids = [int(line) for line in (self.folders[0] / "cgroup.procs").read_text().split()]
            except OSError:
                return
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def remove(self, patience: float = 5.0) -> None:
        """Remove the cgroup once its processes are gone (killed ones take a moment to go)."""
        deadline = time.monotonic() + patience
        for folder in self.folders:
            while True:
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.02)


def v1_parents(controller: str) -> tuple[Path, ...]:
    """Where a cgroup v1 folder of ``controller`` may go: below the judge's own, else below the root."""
    root = CGROUP_ROOT / controller
    return (root / own_cgroup(controller).strip("/"), root) if (root / "cgroup.procs").exists() else ()


def v2_parents() -> tuple[Path, ...]:
    """Where the cgroup v2 folder may go: beside the judge's own cgroup, else below the root."""
    own = CGROUP_ROOT / own_cgroup("").strip("/")
    return (own.parent, CGROUP_ROOT) if own != CGROUP_ROOT else (CGROUP_ROOT,)


def make_cgroup(parents: tuple[Path, ...], caps: dict[str, int], controllers: tuple[str, ...] = ()) -> Path | None:
    """A new folder with ``caps`` (file name -> value; the swap caps where the kernel accounts swap)
    below the first of ``parents`` where one can be made, after enabling ``controllers`` there
    (cgroup v2); None where none can be."""
    for parent in dict.fromkeys(parents):  # in order, once each
        try:
            if controllers:
                (parent / "cgroup.subtree_control").write_text(" ".join(f"+{name}" for name in controllers))
            folder = Path(tempfile.mkdtemp(prefix=f"autograder-{os.getpid()}-", dir=parent))  # a unique name
        except OSError:
            continue
        try:
            for name, value in caps.items():
                if name in SWAP_CAPS and not (folder / name).exists():
                    continue
                (folder / name).write_text(str(value))
            return folder
        except OSError:
            with contextlib.suppress(OSError):
                folder.rmdir()
    return None
