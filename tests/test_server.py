"""The grading server (``python -m autograder serve``): a student's runs of the grader take its warm
lane, print what a cold run prints and exit with its status, grade the files as they are at each
run, and fall back to grading alone when the kit has changed (the server then stops) or no server
answers. Each server here has a socket folder of its own (``XDG_RUNTIME_DIR``), never a user's.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from grading import ROOT, copy_reference, edit

from autograder import sandbox

pytestmark = [
    pytest.mark.grading,
    pytest.mark.skipif(not sandbox.isolation().full, reason="a grading server needs bubblewrap"),
]

START_LIMIT = 120  # seconds for a server to boot its lane


class Server:
    """A grading server run from ``kit``, with its environment and what it printed."""

    def __init__(self, kit: Path, runtime: Path) -> None:
        self.kit = kit
        self.environment = os.environ | {"XDG_RUNTIME_DIR": str(runtime)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "autograder", "serve", "--idle", "10"],
            cwd=kit,
            env=self.environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        if not select.select([self.process.stdout], [], [], START_LIMIT)[0]:
            self.process.kill()
        self.lines = [self.process.stdout.readline()]
        assert "grading server ready" in self.lines[0], self.lines[0] + self.process.stdout.read()

    def grade(self, *arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        """``python -m autograder ARGUMENTS`` in the server's environment."""
        return subprocess.run(
            [sys.executable, "-m", "autograder", *arguments],
            cwd=cwd or self.kit,
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=600,
        )

    def graded(self) -> str:
        """The line the server printed for the request just answered (``graded: ...`` or ``refused ...``);
        any other line it printed meanwhile (a warning) stays in ``lines``."""
        while line := self.process.stdout.readline():
            self.lines.append(line)
            if line.startswith(("graded: ", "refused ")):
                return line
        return "the server ended:\n" + "".join(self.lines)

    def stop(self) -> str:
        """Stop it as Ctrl-C does; return the rest of what it printed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        rest, _ = self.process.communicate(timeout=60)
        return rest


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """A server of this kit."""
    running = Server(ROOT, tmp_path_factory.mktemp("runtime"))
    yield running
    said = running.stop()
    assert "stopped" in said and running.process.returncode == 0, said
    assert not list(Path(running.environment["XDG_RUNTIME_DIR"]).rglob("*.sock")), "its socket is left"


def test_a_run_taken_by_the_server_prints_and_exits_as_a_cold_run(server):
    served = server.grade("--solution", "reference", "-m", "linear or loss")
    assert "graded: grade --solution reference -m linear or loss (exit 0" in server.graded()
    cold = server.grade("--solution", "reference", "-m", "linear or loss", "--cold")
    assert served.returncode == cold.returncode == 0
    assert served.stdout == cold.stdout and "14 / 14" in served.stdout


def test_paths_are_the_commands_own_and_a_failing_grade_exits_1(server, tmp_path):
    failing = server.grade("--solution", "exercises", "-m", "linear", "--grade-json", "results.json", cwd=tmp_path)
    assert "(exit 1" in server.graded() and failing.returncode == 1
    assert "not implemented yet" in failing.stdout and (tmp_path / "results.json").is_file()


def test_each_run_grades_the_files_as_they_are_then(server, tmp_path):
    student = copy_reference(tmp_path / "student")
    assert server.grade("--solution", ".", "-m", "linear", cwd=student).returncode == 0
    assert "(exit 0" in server.graded()
    edit(student, "framework/linear.py", "return grad_output @ self.weight", "return -grad_output @ self.weight")
    broken = server.grade("--solution", ".", "-m", "linear", cwd=student)
    assert "(exit 1" in server.graded() and broken.returncode == 1, broken.stdout
    assert "FAILED linear.backward_input" in broken.stdout


def test_a_process_in_namespaces_of_its_own_is_refused(server):
    """As graded code would be, were the socket visible in its sandbox (it is not)."""
    path = next(Path(server.environment["XDG_RUNTIME_DIR"]).rglob("*.sock"))
    request = {"argv": ["grade", "--solution", "reference", "-m", "linear"], "cwd": "/"}
    code = (
        f"import json, socket; s = socket.socket(socket.AF_UNIX); s.connect({str(path)!r}); "
        f"s.sendall(json.dumps({request!r}).encode() + b'\\n'); print(s.recv(4096).decode())"
    )
    isolated = [shutil.which("bwrap"), "--bind", "/", "/", "--dev", "/dev", "--unshare-pid", "--proc", "/proc"]
    answered = subprocess.run([*isolated, sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "may not use the grading server" in answered.stdout, answered.stdout + answered.stderr
    assert "refused a process" in server.graded()


def test_a_malformed_request_is_refused_and_the_server_goes_on(server):
    path = next(Path(server.environment["XDG_RUNTIME_DIR"]).rglob("*.sock"))
    with socket.socket(socket.AF_UNIX) as connection:
        connection.connect(str(path))
        connection.sendall(b"[1, 2]\n")
        assert "unreadable request" in connection.recv(4096).decode()
    assert server.grade("--solution", "reference", "-m", "sgd").returncode == 0
    assert "(exit 0" in server.graded()


def test_a_kit_changed_since_the_server_started_stops_it_and_the_run_grades_alone(tmp_path, tmp_path_factory):
    kit = tmp_path / "kit"
    for folder in ("autograder", "reference", "exercises"):
        shutil.copytree(ROOT / folder, kit / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (kit / "datasets").symlink_to(ROOT / "datasets")
    changed = Server(kit, tmp_path_factory.mktemp("runtime"))  # a short path: a socket's is at most 107 bytes
    try:
        assert changed.grade("--solution", "reference", "-m", "sgd").returncode == 0
        assert "(exit 0" in changed.graded()
        manifest = kit / "autograder" / "manifest.py"
        manifest.write_text(manifest.read_text() + "\n")
        alone = changed.grade("--solution", "reference", "-m", "sgd")
        assert alone.returncode == 0 and "5 / 5" in alone.stdout, alone.stdout + alone.stderr
        assert "the kit changed since the grading server started" in alone.stderr
        assert changed.process.wait(timeout=60) == 0
    finally:
        said = changed.stop()
    assert "the kit changed since the grading server started: stopped" in said


def test_a_socket_folder_others_may_open_is_refused(tmp_path):
    (tmp_path / f"autograder-{os.getuid()}").mkdir(mode=0o777)
    (tmp_path / f"autograder-{os.getuid()}").chmod(0o777)
    environment = os.environ | {"XDG_RUNTIME_DIR": str(tmp_path)}
    refused = subprocess.run(
        [sys.executable, "-m", "autograder", "serve"], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert refused.returncode == 2 and "only you may open (chmod 700" in refused.stderr
