"""A grading server: a warm lane kept between a student's runs of the grader.

``python -m autograder serve``, left running in a terminal of its own, boots one lane
(``judge/lanes.py``: two sandboxes that import torch once) and listens on a socket that only
this user can open. While it runs, ``python -m autograder [grade] ...`` sends its command line
there instead of starting fresh sandboxes: the server grades in its lane, exactly as
``grade-class`` grades each student of a class (the sandboxes reset between gradings), streams
the command's output back, and the command exits with the grading's status. With no server, a
server that does not answer, or a kit changed since the server started (the server then
stops), the command grades on its own as before; ``--cold`` always does.

The socket is ``grader-<kit>.sock`` in a folder of this user's (``$XDG_RUNTIME_DIR`` or the
temporary folder, ``autograder-<uid>``, mode 0700), one per copy of the kit; no sandbox mounts
it. The server answers only processes of its own user in its own mount and PID namespaces (graded
code, sandboxed, has others), one at a time.

Protocol, one JSON object per line: the command sends ``{"argv", "cwd", "tty"}``; the server
answers ``{"out": text}`` and ``{"err": text}`` lines, then ``{"exit": status}``, or a single
``{"refused": reason}``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import select
import signal
import socket
import stat
import struct
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .judge.lanes import Lane

KIT = Path(__file__).resolve().parent.parent
WATCHED = ("autograder", "reference")  # the judge's code and the reference parts its checks use
CONNECT_LIMIT = 2.0  # seconds to reach a server before grading alone
REQUEST_LIMIT = 10.0  # seconds for a connected command to send its request
REQUEST_BYTES = 1 << 20
CHANGED = "the kit changed since the grading server started"


class ServerError(RuntimeError):
    """The server cannot start; the message says why and what to do."""


def socket_path() -> Path:
    """The socket of this copy of the kit's server, in this user's folder (``autograder-<uid>``
    under ``$XDG_RUNTIME_DIR`` or the temporary folder); nothing is made."""
    base = Path(os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir())
    return base / f"autograder-{os.getuid()}" / f"grader-{hashlib.sha256(str(KIT).encode()).hexdigest()[:16]}.sock"


def private(folder: Path) -> bool:
    """Whether ``folder`` is a folder (not a link) of this user's that no one else may open."""
    info = folder.lstat()
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not stat.S_IMODE(info.st_mode) & 0o077


def make_folder(folder: Path) -> None:
    """Make the socket's folder (mode 0700) if absent.

    Raises:
        ServerError: it cannot be made, or another user owns it, or others may open it.
    """
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        pass
    except OSError as error:
        reason = f"cannot make {folder} ({error.strerror})"
        raise ServerError(f"{reason}: set XDG_RUNTIME_DIR to a folder of yours") from None
    if not private(folder):
        raise ServerError(f"{folder} must be a folder of yours that only you may open (chmod 700 {folder})")


def kit_fingerprint() -> str:
    """A digest of the name, size and modification time of every Python file the judge may run."""
    digest = hashlib.sha256()
    for folder in WATCHED:
        for path in sorted((KIT / folder).rglob("*.py")):
            info = path.stat()
            digest.update(f"{path.relative_to(KIT)}:{info.st_size}:{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def send(connection: socket.socket, message: dict[str, Any]) -> None:
    """Write one message, a JSON line."""
    connection.sendall(json.dumps(message).encode() + b"\n")


class Relay(io.TextIOBase):
    """A text stream whose writes go to the command as ``{key: text}`` lines; after the command has
    gone, writes are dropped, so the grading finishes and the lane is left as it should be."""

    def __init__(self, connection: socket.socket, key: str, tty: bool) -> None:
        self.connection, self.key, self.tty, self.gone = connection, key, tty, False

    def write(self, text: str) -> int:
        if text and not self.gone:
            try:
                send(self.connection, {self.key: text})
            except OSError:
                self.gone = True
        return len(text)

    def isatty(self) -> bool:
        return self.tty


def trusted_peer(connection: socket.socket) -> bool:
    """Whether the process at the other end is this user's and outside any sandbox: its user id is
    this process's, and so are its mount and PID namespaces (a sandboxed process has its own)."""
    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, _ = struct.unpack("3i", credentials)
    try:
        namespaces = [(Path(f"/proc/{pid}/ns") / kind, Path("/proc/self/ns") / kind) for kind in ("mnt", "pid")]
        shared = all(theirs.stat().st_ino == ours.stat().st_ino for theirs, ours in namespaces)
    except OSError:  # gone, or not ours to look at
        return False
    return uid == os.getuid() and shared


def read_request(connection: socket.socket) -> dict[str, Any]:
    """The command's request line, checked: ``argv`` (strings), ``cwd`` (a folder), ``tty``."""
    connection.settimeout(REQUEST_LIMIT)
    data = b""
    while not data.endswith(b"\n") and len(data) < REQUEST_BYTES:
        chunk = connection.recv(1 << 16)
        if not chunk:
            break
        data += chunk
    connection.settimeout(None)
    request = json.loads(data)
    argv, cwd = (request.get("argv"), request.get("cwd")) if isinstance(request, dict) else (None, None)
    if not (isinstance(argv, list) and all(isinstance(item, str) for item in argv) and isinstance(cwd, str)):
        raise ValueError("a request holds argv, a list of strings, and cwd, a folder")
    return {"argv": argv, "cwd": cwd, "tty": bool(request.get("tty"))}


def serve(grade: Callable[[list[str], Lane], int], idle_minutes: float) -> int:
    """Boot a lane and grade every command that connects, until Ctrl-C, ``idle_minutes`` without
    one, or a change of the kit; ``grade(argv, lane)`` runs one command line in the lane.

    Raises:
        ServerError: no full isolation (bubblewrap), a server of this kit already runs, the lane did
            not start, or no socket can be made.
    """
    from . import sandbox
    from .judge.lanes import Lane, LaneError

    isolation = sandbox.isolation()
    if not isolation.full:
        raise ServerError(f"a grading server needs bubblewrap's sandbox ({isolation.reason})")
    path = socket_path()
    make_folder(path.parent)
    if path.exists() or path.is_symlink():
        with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX) as probe:
            probe.connect(str(path))
            raise ServerError(f"a grading server of this kit already runs ({path})")
        path.unlink()  # left by a server that did not stop cleanly
    fingerprint = kit_fingerprint()
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C, even where a shell started it ignoring it
    signal.signal(signal.SIGTERM, interrupt)  # and kill PID the same way
    lane = Lane()
    try:
        try:
            lane.settle()  # both sandboxes boot now, not at the first command
        except LaneError as error:
            raise ServerError(str(error)) from None
        with socket.socket(socket.AF_UNIX) as listener:
            try:
                listener.bind(str(path))
            except OSError as error:  # a path too long for a socket, say
                raise ServerError(f"cannot listen on {path} ({error}): set XDG_RUNTIME_DIR to another folder") from None
            path.chmod(0o600)
            listener.listen(8)
            print(f"grading server ready ({path}); stop it with Ctrl-C", flush=True)
            while select.select([listener], [], [], idle_minutes * 60)[0]:
                connection, _ = listener.accept()
                with connection:
                    stop = answer(connection, grade, lane, fingerprint)
                if stop:
                    print(f"{stop}: stopped", flush=True)
                    return 0
            print(f"no grading for {idle_minutes:g} minutes: stopped", flush=True)
    except KeyboardInterrupt:
        print("stopped", flush=True)
    finally:
        path.unlink(missing_ok=True)
        lane.close()
    return 0


def interrupt(number: int, frame: Any) -> None:
    """Stop the server as Ctrl-C does: its lane stopped, its socket removed."""
    raise KeyboardInterrupt


def answer(connection: socket.socket, grade: Callable[[list[str], Lane], int], lane: Lane, fingerprint: str) -> str:
    """Grade one command's request in the lane; return why the server must stop, or "" to go on."""
    try:
        if not trusted_peer(connection):  # another user's process, or graded code
            send(connection, {"refused": "this process may not use the grading server"})
            print("refused a process of another user or namespace", flush=True)
            return ""
        request = read_request(connection)
    except (OSError, ValueError) as error:
        with contextlib.suppress(OSError):
            send(connection, {"refused": f"unreadable request ({error})"})
        return ""
    if kit_fingerprint() != fingerprint:
        with contextlib.suppress(OSError):
            send(connection, {"refused": f"{CHANGED}: it stopped"})
        return CHANGED
    here = os.getcwd()
    try:
        os.chdir(request["cwd"])
    except OSError as error:
        with contextlib.suppress(OSError):
            send(connection, {"refused": f"the grading server cannot work in {request['cwd']} ({error.strerror})"})
        return ""
    start = time.perf_counter()
    out, err = Relay(connection, "out", request["tty"]), Relay(connection, "err", request["tty"])
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = grade(request["argv"], lane)
    except Exception as error:  # the kit's own failure, or a lane that broke: the run grades alone
        traceback.print_exc()
        reason = f"the grading server failed ({type(error).__name__}: {error})"
        with contextlib.suppress(OSError):
            send(connection, {"refused": f"{reason}: it stopped"})
        return reason
    finally:
        os.chdir(here)
    with contextlib.suppress(OSError):
        send(connection, {"exit": status})
    print(f"graded: {' '.join(request['argv'])} (exit {status}, {time.perf_counter() - start:.1f} s)", flush=True)
    return ""


def ask(argv: list[str]) -> int | None:
    """Have this kit's server run the command line ``argv`` and relay its output; return its exit
    status, or None where no server answers (the caller then grades on its own)."""
    path = socket_path()
    try:
        if not (private(path.parent) and stat.S_ISSOCK(path.lstat().st_mode)):
            return None
    except OSError:  # no folder or no socket: no server
        return None
    with socket.socket(socket.AF_UNIX) as connection:
        try:
            connection.settimeout(CONNECT_LIMIT)
            connection.connect(str(path))
            connection.settimeout(None)
            send(connection, {"argv": argv, "cwd": os.getcwd(), "tty": sys.stderr.isatty()})
            return relay(connection)
        except (OSError, ValueError, TypeError):  # no server there, or not one that speaks this protocol
            return None


def relay(connection: socket.socket) -> int | None:
    """Print the server's output as it comes; return the exit status (None if it never came)."""
    streams = {"out": sys.stdout, "err": sys.stderr}
    with connection.makefile("rb") as lines:
        for line in lines:
            message = json.loads(line)
            if "exit" in message:
                return int(message["exit"])
            if "refused" in message:
                print(f"note: {message['refused']}; grading without it", file=sys.stderr)
                return None
            for key, stream in streams.items():
                if key in message:
                    stream.write(message[key])
                    stream.flush()
    print("note: the grading server stopped before the end; grading without it", file=sys.stderr)
    return None
