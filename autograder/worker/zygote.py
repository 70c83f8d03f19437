"""The worker: import torch once, then fork one child per probe request.

The zygote itself never runs a submission's code: each request gets a fresh child,
forked from the clean zygote, which sets its limits, imports the submission's files,
runs one probe and sends back what it computed. A child that crashes, exits early, is
killed or runs out of memory costs only its own request.

Started by the judge as ``python -I -S -B -c BOOT CONFIG`` (``BOOT`` below); the
configuration is JSON: ``path`` (sys.path), ``submission`` (the root of the
submission's copy), ``tmp`` (a private writable folder), ``limits``. Requests arrive
on stdin and responses leave on the original stdout, both as ``codec`` frames.
"""

from __future__ import annotations

import contextlib
import faulthandler
import gc
import importlib
import json
import os
import resource
import selectors
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import confine

if TYPE_CHECKING:
    from .loader import KitTraces

BOOT = "import sys; sys.path[:0] = [sys.argv[1]]; from worker.zygote import main; main(sys.argv[2])"
PR_SET_DUMPABLE = 4  # from <linux/prctl.h>
NO_BYTECODE = "/dev/null/bytecode"  # below a file, so it never exists and can never be made
OUTPUT_TAIL = 2000  # characters of a child's printed output sent back
WARM_MODULES = ("gzip", "torch.nn.functional", "torch.utils.data", "tqdm.auto")  # loaded before any child
CALIBRATION_ROUNDS = 3
CALIBRATION_STEPS = 3000  # about 20 ms on an idle 2-core machine of 2026
STACK_WAIT = 0.5  # seconds a child may take to write its stack once asked
STACK_LIMIT = 20_000  # bytes of a stack sent back
DRAIN_LIMIT = 64 * 2**20  # bytes read from a result pipe once its child has exited
MADV_COLLAPSE = 25  # from <linux/mman.h> (Linux 6.1): back a range with huge pages now
HUGE_PAGES = Path("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size")


def main(config_text: str) -> None:
    """Run the zygote until stdin closes."""
    config = json.loads(config_text)
    set_up(config)
    channel = os.dup(1)
    os.dup2(2, 1)  # stray prints go to stderr, never into the channel
    serve(config, boot(config), channel)


def set_up(config: dict) -> None:
    """Prepare this process before it imports anything: its path, no bytecode, non-dumpable, the
    parent of every orphan its children leave."""
    sys.path[:0] = config["path"]
    sys.dont_write_bytecode = True
    private_process()
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)  # until a child listens for it (watch_stack)
    confine.adopt_orphans()


def boot(config: dict) -> dict[str, Any]:
    """Import torch and what every child needs, warm up, and block the kit's imports; return the probes."""
    import torch

    from . import channel, codec, loader, no_autograd  # noqa: F401 (loaded before any child and the blocking)
    from .probes import PROBES

    torch.set_num_threads(config.get("threads", 1))
    torch.set_num_interop_threads(1)
    warm_up(torch, config.get("optimizers", False))
    loader.block_kit_imports()
    gc.freeze()  # a child's collections leave the zygote's objects alone: their pages stay shared
    return PROBES


def serve(config: dict, probes: dict[str, Any], channel: int) -> None:
    """Say hello on ``channel``, then fork a child for each request read on stdin until it closes."""
    import torch

    from . import codec, errors, loader, no_autograd  # noqa: F401 (every child's imports, before kit_traces)
    from .channel import FrameReader, write_all

    traces = loader.kit_traces()
    hello = {"hello": {"calibration": calibrate(torch), "python": sys.version.split()[0], "torch": torch.__version__}}
    write_all(channel, codec.encode(hello))

    selector = selectors.DefaultSelector()
    requests = FrameReader(0)
    selector.register(0, selectors.EVENT_READ, None)
    children: dict[int, dict[str, Any]] = {}  # result pipe fd -> the child's state
    while not requests.closed or children:
        for key, _ in selector.select():
            if key.data is None:
                for frame in requests.read():
                    request = codec.decode(frame)
                    if "stack" in request:  # the judge asks where a child is
                        write_all(channel, codec.encode(stack_of(request["stack"], children, config)))
                        continue
                    if "stop" in request:  # the judge stops a child stuck where another was stopped
                        stop_child(request["stop"], children)
                        continue
                    child = fork_child(request, config, probes, channel, traces)
                    children[child["fd"]] = child
                    for descriptor in (child["fd"], child["exit"]):
                        if descriptor is not None:
                            selector.register(descriptor, selectors.EVENT_READ, child)
                if requests.closed:
                    selector.unregister(0)
                continue
            child = key.data
            if children.get(child["fd"]) is not child:  # ended by its other descriptor in this same batch
                continue
            if key.fd == child["fd"]:
                chunk = os.read(child["fd"], 1 << 20)
                if chunk:
                    child["data"] += chunk
                    continue
            else:  # it exited; a process it started may still hold the result pipe open: never wait for that one
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child["pid"], signal.SIGKILL)
                child["data"] += drain(child["fd"])
            for descriptor in (child["fd"], child["exit"]):
                if descriptor is not None:
                    selector.unregister(descriptor)
                    os.close(descriptor)
            del children[child["fd"]]
            with contextlib.suppress(ProcessLookupError):  # it has said all it will: never wait on it
                os.kill(child["pid"], signal.SIGKILL)
            response = finish(child, config)
            confine.end_probe(child["pid"])  # every process it started
            write_all(channel, codec.encode(response))


def private_process() -> None:
    """Make this process and its children non-dumpable: no child can open the zygote's file
    descriptors (its channel to the judge) through /proc, nor trace another child."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the sandbox is partial there anyway
        pass


def warm_up(torch: Any, optimizers: bool) -> None:
    """Import, once, what solutions commonly use beside torch, and with ``optimizers`` take one
    step of each usual optimiser: these modules load lazily, and a child compiles every module
    it imports from source (no bytecode), which costs 1 to 4 s a child for ``torch.optim``
    alone. The environment is left as the judge set it (torch's compiler adds to it)."""
    environment = dict(os.environ)
    for name in WARM_MODULES:
        with contextlib.suppress(ImportError):  # absent here: a child that needs it says so itself
            importlib.import_module(name)
    if optimizers:
        parameter = torch.nn.Parameter(torch.zeros(1))
        parameter.grad = torch.zeros(1)
        for optimizer in (torch.optim.SGD([parameter], lr=0.0, momentum=0.9), torch.optim.Adam([parameter], lr=0.0)):
            optimizer.step()
    os.environ.clear()
    os.environ.update(environment)


def collapse_memory() -> int:
    """Back this process's private anonymous memory (the heap and torch's arenas, about 300 MiB once
    torch is warm) with huge pages where the kernel can (``MADV_COLLAPSE``, Linux 6.1; elsewhere
    nothing changes); return the bytes collapsed. A fork then copies one page-table entry per 2 MiB
    instead of 512, and a child still copies only the small pages it writes: a small probe's child
    (fork, run, exit) costs about 9 CPU-ms instead of 23 (``benchmarks/fork.py``). It costs about
    0.9 CPU-s once, which a long-lived server (a warm lane's) repays with its first students; a
    zygote started for one grading would not (some 80 probes, and it delays the first)."""
    try:
        size = int(HUGE_PAGES.read_text())
    except (OSError, ValueError):  # no sysfs in the sandbox: the size of x86_64's and 4 KiB-page arm64's
        size = 2**21 if resource.getpagesize() == 4096 else 0
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        with open("/proc/self/maps") as maps:
            regions = [line.split() for line in maps]
    except (OSError, AttributeError):  # not Linux
        return 0
    collapsed = 0
    for fields in regions if size else []:
        anonymous = len(fields) == 5 or fields[5] == "[heap]"
        if anonymous and fields[1][1] == "w" and fields[1][3] == "p":  # private and writable
            low, high = (int(bound, 16) for bound in fields[0].split("-"))
            start, end = -(-low // size) * size, high // size * size  # the whole huge pages inside
            if end > start and libc.madvise(start, end - start, MADV_COLLAPSE) == 0:
                collapsed += end - start
    return collapsed


def calibrate(torch: Any) -> float:
    """Seconds of a fixed mix of small tensor operations and Python: the machine's speed now."""
    weight = torch.randn(64, 64, generator=torch.Generator().manual_seed(0))
    best = float("inf")
    for _ in range(CALIBRATION_ROUNDS):
        start = time.perf_counter()
        x = torch.ones(32, 64)
        for _ in range(CALIBRATION_STEPS):
            x = torch.tanh(x @ weight) * 0.5
        best = min(best, time.perf_counter() - start)
    return best


def fork_child(request: dict, config: dict, probes: dict, channel: int, traces: KitTraces) -> dict[str, Any]:
    """Fork a child that runs ``request``; return its state (pid, result pipe, start time)."""
    read_end, write_end = os.pipe()
    output = Path(config["tmp"]) / f"output-{request['id']}.txt"
    pid = os.fork()
    if pid == 0:  # the child
        try:
            os.close(read_end)
            os.close(channel)
            os.close(0)
            run_child(request, config, probes, write_end, output, traces)
        finally:
            os._exit(0)
    os.close(write_end)
    return {
        "id": request["id"],
        "pid": pid,
        "fd": read_end,
        "exit": exit_descriptor(pid),
        "data": bytearray(),  # appended to in place: a result of megabytes arrives 64 KiB at a time
        "start": time.perf_counter(),
        "output": output,
    }


def exit_descriptor(pid: int) -> int | None:
    """A descriptor that becomes readable when process ``pid`` exits (None where the system has none)."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):  # not Linux 5.3 or later: the result pipe's end is the only sign
        return None


def drain(descriptor: int, most: int = DRAIN_LIMIT) -> bytearray:
    """What is left in an exited child's result pipe, read without waiting (at most ``most`` bytes)."""
    os.set_blocking(descriptor, False)
    data = bytearray()
    with contextlib.suppress(BlockingIOError):
        while len(data) < most and (chunk := os.read(descriptor, 1 << 20)):
            data += chunk
    return data


def run_child(request: dict, config: dict, probes: dict, result_fd: int, output: Path, traces: KitTraces) -> None:
    """In the child: limit, import the submission's files, run the probe, send the result; ``traces``
    (``loader.kit_traces``) are what it forgets of the worker before the submission runs."""
    from . import codec, loader, no_autograd
    from .channel import write_all
    from .errors import describe

    sys.pycache_prefix = NO_BYTECODE  # compile every file from its source: no bytecode to plant or read
    descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)
    os.close(descriptor)
    set_limits(config["limits"])
    watch_stack(config, request["id"])
    confine.confine_probe()
    root = Path(config["submission"])
    loader.hide_kit(traces)
    framework = request["project"] == "framework"
    sentinel = no_autograd.guard(root) if framework else contextlib.nullcontext()
    try:
        with sentinel:
            namespace = loader.load(root, request["project"], request["files"], request.get("run_init", False))
            result = {"ok": probes[request["probe"]](namespace, **request.get("args", {}))}
    except BaseException as error:  # everything the submission raises is its answer
        result = {"error": describe(error, root)}
    if framework and sentinel.found:  # whatever the submission made of the sentinel's exception
        result = {"error": no_autograd.describe_use(sentinel.found)}
    try:
        frame = codec.encode(result)
    except BaseException as error:
        frame = codec.encode({"error": describe(error, root)})
    write_all(result_fd, frame)


def set_limits(limits: dict[str, int]) -> None:
    """Cap the child's memory (beyond what the zygote holds), processes, files and core dumps, and
    make it and what it forks the first that an out-of-memory killer picks, before the zygote."""
    with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w") as score:
        score.write("1000")
    page = os.sysconf("SC_PAGE_SIZE")
    with open("/proc/self/statm") as statm:
        mapped = int(statm.read().split()[0]) * page
    caps = {
        resource.RLIMIT_AS: mapped + limits["memory"],
        resource.RLIMIT_FSIZE: limits["file_size"],
        resource.RLIMIT_NOFILE: limits["open_files"],
        resource.RLIMIT_CORE: 0,
        resource.RLIMIT_MSGQUEUE: 0,  # no POSIX message queue: nothing that outlives the probe unseen
    }
    if limits.get("processes"):
        caps[resource.RLIMIT_NPROC] = limits["processes"]
    for kind, value in caps.items():
        resource.setrlimit(kind, (value, value))


def stack_file(config: dict, identifier: int) -> Path:
    """The file where the child of request ``identifier`` writes its stack when asked."""
    return Path(config["tmp"]) / f"stack-{identifier}.txt"


def watch_stack(config: dict, identifier: int) -> None:
    """In the child: on SIGUSR1, append every thread's stack to the stack file (faulthandler writes
    it from the signal handler, so even a child stuck in a C call answers). The file stays open
    for the child's life: faulthandler holds it."""
    faulthandler.register(signal.SIGUSR1, file=open(stack_file(config, identifier), "a"), all_threads=True)  # noqa: SIM115


def stack_of(identifier: Any, children: dict[int, dict[str, Any]], config: dict) -> dict[str, Any]:
    """Ask the child running request ``identifier`` for its stack; the response for the judge:
    ``stack`` (faulthandler's text, empty if the child is gone or silent) and the ``root`` of the
    submission's files in it."""
    child = next((child for child in children.values() if child["id"] == identifier), None)
    text = ""
    if child is not None:
        path = stack_file(config, identifier)
        start = path.stat().st_size if path.exists() else 0
        with contextlib.suppress(ProcessLookupError):
            os.kill(child["pid"], signal.SIGUSR1)
        deadline, size = time.perf_counter() + STACK_WAIT, -1
        while time.perf_counter() < deadline:
            time.sleep(0.01)
            grown = path.stat().st_size if path.exists() else 0
            if start < grown == size:  # written, and no longer growing
                break
            size = grown
        with contextlib.suppress(OSError):
            descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a pipe put there never blocks the zygote
            try:
                os.lseek(descriptor, start, os.SEEK_SET)
                text = os.read(descriptor, STACK_LIMIT).decode(errors="replace")
            finally:
                os.close(descriptor)
    return {"id": identifier, "stack": text, "root": config["submission"]}


def stop_child(identifier: Any, children: dict[int, dict[str, Any]]) -> None:
    """Kill the child running request ``identifier``; its response follows as for any death."""
    for child in children.values():
        if child["id"] == identifier:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child["pid"], signal.SIGKILL)


def finish(child: dict[str, Any], config: dict) -> dict[str, Any]:
    """Reap a child whose result pipe closed; return the response for the judge."""
    from . import codec

    _, status = os.waitpid(child["pid"], 0)
    response: dict[str, Any] = {"id": child["id"], "seconds": time.perf_counter() - child["start"]}
    response["output"] = tail(child["output"])
    stack_file(config, child["id"]).unlink(missing_ok=True)
    try:
        result = codec.decode(child["data"]) if child["data"] else None
    except codec.CodecError:
        result = None
    answer = [key for key in ("ok", "error") if isinstance(result, dict) and key in result]
    if len(answer) == 1 and len(result) == 1:  # the child's answer, and nothing of the response's own
        response[answer[0]] = result[answer[0]]
    elif os.WIFSIGNALED(status):
        response["died"] = {"signal": signal.Signals(os.WTERMSIG(status)).name}
    else:
        response["died"] = {"exit_code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None}
    return response


def tail(path: Path) -> str:
    """The end of what a child printed, then remove the file."""
    try:
        with open(path, "rb") as file:
            file.seek(max(0, os.path.getsize(path) - 4 * OUTPUT_TAIL))
            text = file.read().decode(errors="replace")[-OUTPUT_TAIL:]
        path.unlink()
    except OSError:
        return ""
    return text
