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
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

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
DATA_MOUNT = "/data"
DATA_DIR_VARIABLE = "MINIPROJECTS_DATA_DIR"  # read by the pair loader (reference/pairs/mnist.py)
INSTALL_HINT = "install bubblewrap (Debian and Ubuntu: apt-get install bubblewrap) for full isolation"


@dataclass(frozen=True)
class Limits:
    """What one probe's process may use: bytes of memory beyond the worker's own, bytes per
    written file, open files, and processes (threads included; 0 leaves it unset)."""

    memory: int = 3 * GiB
    file_size: int = 64 * 2**20
    open_files: int = 256
    processes: int = 512


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


def command(spec: WorkerSpec, scratch: Path) -> tuple[list[str], dict[str, str] | None, Path]:
    """The worker's command line, its environment (None under bubblewrap) and working folder."""
    python = str(Path(sys.executable).absolute())
    path, _ = bubblewrap()
    if path is None:
        grader = scratch / "grader"
        shutil.copytree(WORKER_PACKAGE, grader / "worker", ignore=shutil.ignore_patterns("__pycache__"))
        tmp = scratch / "tmp"
        tmp.mkdir()
        config = worker_config(str(spec.submission), str(tmp), spec)
        env = environment(str(tmp), str(spec.data_dir) if spec.data_dir else None)
        return [python, "-I", "-S", "-B", "-c", BOOT, str(grader), config], env, tmp
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
        BOOT,
        "/grader",
        worker_config("/submission", str(SANDBOX_TMP), spec),
    ]
    return argv, None, scratch


@dataclass
class Sandbox:
    """A running worker: its process, its scratch folder (``stderr.txt`` holds what it printed
    there), and the cgroup that caps its processes, if the judge could make one."""

    process: subprocess.Popen
    scratch: tempfile.TemporaryDirectory
    cap: ProcessCap | None

    def close(self) -> None:
        """Kill the worker's whole process group, wait for it, and remove what it left."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                stream.close()
        if self.cap:
            self.cap.remove()
        self.scratch.cleanup()


def start(spec: WorkerSpec) -> Sandbox:
    """Start a worker in its own session, so that killing its process group kills all of it.

    Under bubblewrap, where the judge can make a cgroup (root), the worker enters it
    before it starts (a shell moves itself into it, then becomes bubblewrap), so that
    every process the submission forks counts against ``spec.limits.processes``.
    """
    scratch = tempfile.TemporaryDirectory(prefix="autograder-worker-")
    argv, env, cwd = command(spec, Path(scratch.name))
    cap = ProcessCap.create(spec.limits.processes) if env is None else None
    if cap:
        argv = ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(cap.folder / "cgroup.procs"), *argv]
    with open(Path(scratch.name) / "stderr.txt", "wb") as stderr:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env or {},
            cwd=cwd,
            start_new_session=True,
        )
    return Sandbox(process, scratch, cap)


class ProcessCap:
    """A cgroup that caps the number of a worker's processes, where the judge may make one.

    ``RLIMIT_NPROC`` caps the processes of one user, but not those of root: a judge run as
    root (a CI machine, Gradescope) maps the sandbox's user onto root. There a cgroup's
    ``pids.max`` takes its place, when the pids controller is mounted and writable
    (cgroup v1's ``/sys/fs/cgroup/pids``, or v2 with pids enabled at the root).
    """

    ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def create(cls, limit: int) -> ProcessCap | None:
        """A new cgroup allowing ``limit`` processes, or None where none can be made."""
        if os.geteuid() != 0 or not limit:
            return None
        for root in cls.ROOTS:
            if not (root / "pids.max").exists() and not (root / "cgroup.procs").exists():
                continue
            try:
                folder = Path(tempfile.mkdtemp(prefix=f"autograder-{os.getpid()}-", dir=root))  # a unique name
            except OSError:
                continue
            try:
                (folder / "pids.max").write_text(str(limit))
                return cls(folder)
            except OSError:
                with contextlib.suppress(OSError):
                    folder.rmdir()
        return None

    def remove(self, patience: float = 5.0) -> None:
        """Remove the cgroup once its processes are gone (killed ones take a moment to go)."""
        deadline = time.monotonic() + patience
        while True:
            try:
                self.folder.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                if time.monotonic() > deadline:
                    return
                time.sleep(0.02)
