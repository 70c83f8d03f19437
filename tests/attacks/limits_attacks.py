"""Attacks on the sandbox's limits as a whole: processes that a probe starts, beyond its own.

Project 1's scan refuses ``subprocess`` and ``multiprocessing``, but not ``asyncio`` nor
``concurrent.futures``, which start processes too. Each attack's file is right only when
its trick works (the same wrong line otherwise, as in ``SABOTAGE``), so that it scores no
more than that wrong line alone unless the sandbox lets the trick through: three
processes holding 1.2 GiB each at once (the sandbox's cgroup caps its memory as a whole),
programs started with asyncio (the probe's seccomp filter refuses ``execve``), a process
that outlives the probe which started it (the zygote kills the probe's process group).
"""

from __future__ import annotations

from attack import Edit, append, attack

MODELS, TRAINING = "pairs/models.py", "pairs/training.py"
LOSS_RETURN = "    return loss.item()\n"  # the last line of train_step
COMPARISON_RETURN = "    return torch.stack([log_gt, log_le], 1)\n"  # the last line of comparison_from_digits
HOLD = 1200 * 2**20  # bytes each of the three processes holds

THREE_HOLDERS = f"""
import concurrent.futures
import time

_HELD = []


def _hold(size):
    block = b"x" * size  # written: every page is resident
    time.sleep(2)  # while the other two hold theirs
    return len(block)


def _held_three():
    if not _HELD:
        try:
            with concurrent.futures.ProcessPoolExecutor(3) as pool:
                _HELD.append(sum(pool.map(_hold, [{HOLD}] * 3)) == 3 * {HOLD})
        except Exception:
            _HELD.append(False)
    return _HELD[0]
"""

THREE_PROGRAMS = """
import asyncio

_STARTED = []
_PROGRAM = "block = b'x' * @HOLD@; import time; time.sleep(600)  # @MARK@"


async def _start_three():
    return [await asyncio.create_subprocess_exec("/usr/bin/python3", "-c", _PROGRAM) for _ in range(3)]


def _started_three():
    if not _STARTED:
        try:
            _STARTED.append(len(asyncio.run(_start_three())) == 3)
        except Exception:
            _STARTED.append(False)
    return _STARTED[0]
""".replace("@HOLD@", str(HOLD))

# At import, a process that says it is ready, then writes a beat in the worker's private folder every 50 ms
# once the probe that started it has ended (its parent has changed); a later probe is right if beats go on.
LINGERER = """
import concurrent.futures
import os
import time

_BEATS = os.path.join(os.environ["HOME"], "beats-@MARK@")
_READY = os.path.join(os.environ["HOME"], f"ready-@MARK@-{time.time_ns()}")


def _parent():
    with open("/proc/self/stat") as stat:
        return stat.read().rpartition(")")[2].split()[1]


def _linger(beats_path, ready_path):
    for descriptor in range(3, 256):  # inherited: the probe's result pipe among them, which would keep it waiting
        try:
            open(descriptor).close()
        except OSError:
            pass
    open(ready_path, "w").close()
    parent, beats = _parent(), 0
    while True:
        if _parent() != parent:
            beats += 1
            with open(beats_path, "w") as file:
                file.write(str(beats))
        time.sleep(0.05)


def _beats():
    try:
        with open(_BEATS) as file:
            return file.read()
    except OSError:
        return ""


def _earlier_probe_alive():
    if not _ALIVE:
        first = _beats()
        time.sleep(0.3)
        _ALIVE.append(bool(first) and _beats() != first)
    return _ALIVE[0]


_ALIVE = []
_POOL = concurrent.futures.ProcessPoolExecutor(1)
_POOL.submit(_linger, _BEATS, _READY)
for _ in range(40):  # 2 s: a process that starts at all is ready well within
    if os.path.exists(_READY):
        break
    time.sleep(0.05)
"""

ATTACKS = [
    attack(
        "pairs-holds-memory-in-three-processes",
        "resources",
        "train_step returns the right loss only if three processes (concurrent.futures) each held 1.2 GiB at once",
        ["pair_training"],
        edits=[
            Edit(TRAINING, LOSS_RETURN, "    return loss.item() if _held_three() else 2 * loss.item()\n"),
            append(TRAINING, THREE_HOLDERS),
        ],
    ),
    attack(
        "pairs-starts-programs-with-asyncio",
        "resources",
        "train_step returns the right loss only if asyncio started three marked Python programs holding 1.2 GiB",
        ["pair_training"],
        edits=[
            Edit(TRAINING, LOSS_RETURN, "    return loss.item() if _started_three() else 2 * loss.item()\n"),
            append(TRAINING, THREE_PROGRAMS),
        ],
    ),
    attack(
        "pairs-leaves-a-process-running",
        "resources",
        "models.py starts a process at import; comparison_from_digits is right only if one started by an "
        "earlier probe still runs",
        ["comparison"],
        edits=[
            Edit(
                MODELS,
                COMPARISON_RETURN,
                "    return torch.stack([log_gt, log_le] if _earlier_probe_alive() else [log_le, log_gt], 1)\n",
            ),
            append(MODELS, LINGERER),
        ],
    ),
]
