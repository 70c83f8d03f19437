"""A warm lane: one sandbox that grades many students one after another (``grade-class``).

The lane's server boots like a zygote (torch imported and warmed up) once, then waits on its
control socket (standard input, a Unix socket of the judge). Two messages come there:

- ``student``, with three descriptors (the requests' pipe, the responses' pipe, a file for
  standard error): the server forks that student's zygote on them, which serves the student's
  grading exactly as a zygote started alone would (``zygote.serve``) and ends when the requests'
  pipe closes. The student's files are at ``/submission``, a read-only view of a folder the judge
  fills while nothing runs in the lane.
- ``reset``: the server kills every other process of the sandbox (its own PID namespace), removes
  everything left in ``/tmp``, ``/dev/shm`` and System V IPC, then answers ``ready``.

So nothing one student's code starts or writes is there when the next student's code runs. The
server is non-dumpable (no process may trace it or open its descriptors) and closes the control
socket in every zygote it forks; a student who kills or stops it costs the lane a restart by
the judge, never another student's grade. Started as ``python -I -S -B -c BOOT GRADER CONFIG``
(``BOOT`` below) under bubblewrap only: the reset's ``kill(-1)`` is the sandbox's alone there.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import stat
import time
import traceback
from pathlib import Path
from typing import Any

from . import confine, zygote

BOOT = "import sys; sys.path[:0] = [sys.argv[1]]; from worker.lane import main; main(sys.argv[2])"
STUDENT, RESET, READY = b"student", b"reset", b"ready"
SCRATCH = ("/dev/shm",)  # written by anyone in the sandbox besides its /tmp
SYSTEM_V = {"shm": "shmctl", "msg": "msgctl", "sem": "semctl"}  # /proc/sysvipc/<kind> -> its control call
IPC_RMID = 0
KILL_PATIENCE = 5.0  # seconds the reset may take to see every other process gone


def main(config_text: str) -> None:
    """Serve students on the control socket until the judge closes it."""
    config = json.loads(config_text)
    zygote.set_up(config)
    control = socket.socket(fileno=0)
    os.dup2(2, 1)  # stray prints go to stderr
    probes = zygote.boot(config)
    zygote.collapse_memory()  # every student's zygote and probe is a fork of this server
    control.send(READY)
    while True:
        message, descriptors, _, _ = socket.recv_fds(control, 64, 3)
        if not message:
            return
        if message == STUDENT and len(descriptors) == 3:
            start_student(control, descriptors, config, probes)
        elif message == RESET:
            reset(config)
            control.send(READY)
        for descriptor in descriptors:
            with contextlib.suppress(OSError):
                os.close(descriptor)


def start_student(control: socket.socket, descriptors: list[int], config: dict, probes: dict[str, Any]) -> None:
    """Fork a zygote whose requests, responses and standard error are ``descriptors``."""
    if os.fork():
        return
    try:
        control.close()
        for target, descriptor in enumerate(descriptors):
            os.dup2(descriptor, target)
        for descriptor in descriptors:
            if descriptor > 2:
                os.close(descriptor)
        confine.adopt_orphans()  # not inherited through fork
        channel = os.dup(1)
        os.dup2(2, 1)
        zygote.serve(config, probes, channel)
    except BaseException:  # the judge shows the end of standard error as the reason
        traceback.print_exc()
    finally:
        os._exit(0)


def reset(config: dict) -> None:
    """Leave the sandbox as the next student must find it: no other process, nothing written."""
    end_every_other_process()
    for folder in (config["tmp"], *SCRATCH):
        empty(Path(folder))
    remove_system_v_objects()


def others() -> list[int]:
    """The processes of this PID namespace besides this one and its init (bubblewrap's)."""
    own = os.getpid()
    return [int(name) for name in os.listdir("/proc") if name.isdigit() and int(name) not in (1, own)]


def end_every_other_process() -> None:
    """Kill every other process (again, while any is left: one may fork as the first dies) and reap them."""
    deadline = time.monotonic() + KILL_PATIENCE
    while True:
        with contextlib.suppress(ProcessLookupError):
            os.kill(-1, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        if not others():
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"the reset left processes {others()}: the lane must be restarted")
        time.sleep(0.005)


def empty(folder: Path) -> None:
    """Remove everything inside ``folder``, whatever its permissions (all of it is this user's)."""
    if not folder.is_dir():
        return
    for entry in os.scandir(folder):
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(path, onerror=make_writable_and_retry)
        else:
            path.unlink(missing_ok=True)


def make_writable_and_retry(function: Any, path: str, _: object) -> None:
    """For ``rmtree``: open up the folder that holds ``path`` (and ``path`` itself), then try again."""
    for each in (os.path.dirname(path), path):
        with contextlib.suppress(OSError):
            if stat.S_ISDIR(os.lstat(each).st_mode):
                os.chmod(each, 0o700)
    function(path)


def remove_system_v_objects() -> None:
    """Remove every System V shared memory segment, message queue and semaphore set left."""
    libc = ctypes.CDLL(None, use_errno=True)
    for kind, call in SYSTEM_V.items():
        with contextlib.suppress(OSError):
            lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
            for line in lines:
                identifier = int(line.split()[1])
                arguments = (identifier, 0, IPC_RMID, None) if kind == "sem" else (identifier, IPC_RMID, None)
                getattr(libc, call)(*arguments)
