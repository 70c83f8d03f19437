"""Warm lanes: the judge's side of ``worker/lane.py``, for grading many students in a row.

A lane is a folder the judge fills with one student's files and two warm sandboxes that see
it read-only at ``/submission``: ``main`` and ``data`` (which also sees the MNIST files), the
two worker roles of a grading. Each sandbox imports torch once for the whole class. For each
student, ``Lane.fill`` waits until both sandboxes have finished their reset (no process, no
file of the previous student left in them), then copies the student's files; ``Lane.guest``
forks the student's zygote in a sandbox and hands the runner something that works like a
started ``sandbox.Sandbox``; closing it asks that sandbox to reset. A sandbox that does not
answer in time, or died (a student may kill its server), is started again, cold.

Lanes need bubblewrap (``sandbox.isolation().full``): the reset relies on the sandbox's own
PID namespace and private ``/tmp``. ``grade-class`` uses one lane per job.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .. import sandbox
from ..worker.lane import READY, RESET, STUDENT
from .submission import Submission, copy_sources

BOOT_LIMIT = 120.0  # seconds for a lane's sandbox to import torch and say ready
RESET_LIMIT = 10.0  # seconds for a reset (it kills processes and empties folders)


class LaneError(RuntimeError):
    """A lane's sandbox could not be started, even cold: the kit's fault, not the student's."""


@dataclass
class Pipes:
    """The ends of a guest's channel the runner writes to and reads from (as a ``Popen``'s)."""

    stdin: BinaryIO
    stdout: BinaryIO


@dataclass
class Guest:
    """One student's zygote in a lane's sandbox: what the runner needs of a started sandbox."""

    process: Pipes
    scratch: tempfile.TemporaryDirectory  # stderr.txt: what the zygote printed there
    home: WarmSandbox

    def close(self) -> None:
        """Close the channel and have the sandbox reset (every process of the student killed)."""
        if self.home.guest is not self:  # closed already
            return
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                stream.close()
        self.home.guest = None
        self.home.reset()
        self.scratch.cleanup()


class WarmSandbox:
    """A lane's sandbox for one worker role: booted once, reset after each student."""

    def __init__(self, spec: sandbox.WorkerSpec) -> None:
        self.spec = spec
        self.started: sandbox.Sandbox | None = None
        self.control: socket.socket | None = None
        self.waiting = 0.0  # seconds the answer it owes may take (0: it owes none)
        self.guest: Guest | None = None  # the student's zygote running in it, if any

    def start(self) -> None:
        """Start the sandbox (cold): it imports torch, then says ready."""
        self.stop()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.started = sandbox.start(self.spec, control=theirs)
        finally:
            theirs.close()
        self.control, self.waiting = ours, BOOT_LIMIT

    def settle(self) -> None:
        """Close the guest still open, if any (a reset), start the sandbox if it does not run, and
        wait for the answer it owes (boot or reset); start it again where none comes."""
        if self.guest is not None:
            self.guest.close()
        if self.started is None:
            self.start()
        if self.waiting and self.answer() != READY:
            self.start()
            if self.answer() != READY:
                raise LaneError(f"a lane's sandbox did not start: {self.stderr() or 'no message'}")

    def answer(self) -> bytes:
        """The answer the sandbox owes, waited for as long as it may take (empty where none came)."""
        self.control.settimeout(self.waiting)
        try:
            return self.control.recv(16)
        except OSError:  # no answer in time, or the sandbox is gone
            return b""
        finally:
            self.waiting = 0.0

    def fork(self) -> Guest:
        """Fork a student's zygote, once the sandbox is ready (any guest before it closed), and
        return its channel."""
        self.settle()
        requests_read, requests_write = os.pipe()
        responses_read, responses_write = os.pipe()
        scratch = tempfile.TemporaryDirectory(prefix="autograder-guest-")
        with open(Path(scratch.name) / "stderr.txt", "wb") as stderr:
            try:
                socket.send_fds(self.control, [STUDENT], [requests_read, responses_write, stderr.fileno()])
            except OSError:  # it died since it said ready: once more, cold
                self.start()
                self.settle()
                socket.send_fds(self.control, [STUDENT], [requests_read, responses_write, stderr.fileno()])
            finally:
                os.close(requests_read)
                os.close(responses_write)
        pipes = Pipes(os.fdopen(requests_write, "wb", buffering=0), os.fdopen(responses_read, "rb", buffering=0))
        self.guest = Guest(pipes, scratch, self)
        return self.guest

    def reset(self) -> None:
        """Ask for a reset; ``settle`` waits for it."""
        with contextlib.suppress(OSError):  # dead: the next settle hears nothing and starts it again
            self.control.send(RESET)
        self.waiting = RESET_LIMIT

    def stderr(self) -> str:
        """The end of what the sandbox printed."""
        try:
            return (Path(self.started.scratch.name) / "stderr.txt").read_text(errors="replace")[-2000:].strip()
        except (OSError, AttributeError):
            return ""

    def stop(self) -> None:
        """Kill the sandbox, if it runs (and its guest)."""
        if self.guest is not None:
            self.guest.close()
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.started is not None:
            self.started.close()
            self.started = None


class Lane:
    """A folder for one student's files and a warm sandbox per worker role that sees it."""

    def __init__(self) -> None:
        self.folder = tempfile.TemporaryDirectory(prefix="autograder-lane-")
        self.copy = Path(self.folder.name) / "submission"
        self.copy.mkdir()
        self.copy.chmod(0o755)
        self.specs = sandbox.worker_specs(sandbox.WorkerSpec(self.copy, optimizers=True))  # any student may train
        self.sandboxes = {role: WarmSandbox(spec) for role, spec in self.specs.items()}

    def settle(self) -> None:
        """Wait until no code of the previous student runs: every sandbox is reset (or booted:
        both boot side by side the first time)."""
        for warm in self.sandboxes.values():
            if warm.started is None:
                warm.start()
        for warm in self.sandboxes.values():
            warm.settle()

    def fill(self, submission: Submission) -> list[str]:
        """Once no code of the previous student runs, put ``submission``'s files in the lane's
        folder; return the notes on what was left out."""
        self.settle()
        for entry in list(self.copy.iterdir()):  # emptied in place: the sandboxes see this very folder
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        return copy_sources(submission, self.copy)

    def guest(self, role: str) -> Guest:
        """The student's zygote in the sandbox of ``role``."""
        return self.sandboxes[role].fork()

    def close(self) -> None:
        """Stop both sandboxes and remove the folder."""
        for warm in self.sandboxes.values():
            warm.stop()
        self.folder.cleanup()
