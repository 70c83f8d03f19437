"""Warm lanes (``autograder/judge/lanes.py``): one sandbox grades students one after another, and
nothing one student's code starts or writes is there when the next student's code runs.

Below the judge, each probe file's module-level code does or finds one thing and says it in the
message of the exception it raises, as in test_sandbox.py, whose ``Worker`` drives a lane's guest
as it drives a sandbox. Through the judge, attack submissions are graded in a class between
reference copies (with the scan made blind to them, so that their code runs: the lane must hold
where graded code gets past the scan). The attack suite (tests/attacks) grades every attack and
the clean copy after it in one warm lane too, and the class tests grade through lanes.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from grading import copy_reference
from test_sandbox import Worker

from autograder import sandbox
from autograder.classroom import batch, intake
from autograder.judge import grading, lanes
from autograder.judge.scan import ProjectScan
from autograder.judge.submission import locate
from autograder.worker import codec
from autograder.worker.channel import write_all

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sandbox.isolation().full, reason="warm lanes need bubblewrap"),
]

MARK = "lane-litter"
PROBES = {
    # Leave what could outlive a student's grading: files in /tmp and /dev/shm (one in a locked
    # folder), a System V segment and queue.
    "litter": f"""
import ctypes
import os

libc = ctypes.CDLL(None, use_errno=True)
found = {{}}
for folder in ("/tmp", "/dev/shm"):
    try:
        with open(f"{{folder}}/{MARK}", "w") as file:
            file.write("left for the next student")
        os.makedirs(f"{{folder}}/{MARK}-locked/inside")
        os.chmod(f"{{folder}}/{MARK}-locked", 0)
        found[folder] = True
    except OSError as error:
        found[folder] = str(error)
found["shm"] = libc.shmget(0, 1 << 20, 0o1600)  # IPC_PRIVATE, IPC_CREAT | 0600
found["msg"] = libc.msgget(0, 0o1600)
""",
    # Start a process that keeps writing in /tmp, and never answer: the grading ends around it.
    "linger": f"""
import os
import time

if os.fork() == 0:
    while True:
        with open("/tmp/{MARK}-beat", "w") as beat:
            beat.write(str(time.time()))
        time.sleep(0.05)
time.sleep(3600)
found = {{}}
""",
    # What is there from before: processes besides the probe's own line, files, IPC objects.
    "look": """
import os

own = {os.getpid(), os.getppid(), 1}
with open(f"/proc/{os.getppid()}/stat") as stat:
    own.add(int(stat.read().rpartition(")")[2].split()[1]))  # the lane's server, the zygote's parent
found = {
    "others": sorted(int(name) for name in os.listdir("/proc") if name.isdigit() and int(name) not in own),
    "/tmp": sorted(name for name in os.listdir("/tmp") if not name.startswith(("output-", "stack-"))),
    "/dev/shm": sorted(os.listdir("/dev/shm")),
}
for kind in ("shm", "msg", "sem"):
    with open(f"/proc/sysvipc/{kind}") as table:
        found[kind] = len(table.read().splitlines()) - 1
""",
}

PROBES["look_during"] = PROBES["look"]  # test_sandbox's Worker asks each probe once


def probe_folder(folder: Path) -> Path:
    """A framework submission whose files are the probes (found in the exception's message)."""
    (folder / "framework").mkdir(parents=True)
    for name, code in PROBES.items():
        text = f"from json import dumps as json_text\n{code}\nraise RuntimeError('found ' + json_text(found))\n"
        (folder / "framework" / f"{name}.py").write_text(text)
    return folder


@pytest.fixture(scope="module")
def lane():
    """A warm lane for the module's students, stopped at the end."""
    made = lanes.Lane()
    yield made
    made.close()


def guest_worker(lane: lanes.Lane) -> Worker:
    """The next student's zygote in the lane's main sandbox, driven like a sandbox's."""
    return Worker(lane.guest("main"))


def test_the_next_student_finds_no_process_file_or_ipc_object_of_the_one_before(lane, tmp_path):
    lane.fill(locate(probe_folder(tmp_path / "student")))
    first = guest_worker(lane)
    clean = first.found("look")  # what a student finds in a lane before anyone wrote in it
    assert clean["others"] == [] and not [name for name in clean["/tmp"] + clean["/dev/shm"] if MARK in name]
    left = first.found("litter")
    assert left["/tmp"] is True and left["/dev/shm"] is True and left["shm"] >= 0 and left["msg"] >= 0, left
    request = {"id": 99, "probe": "framework.imported", "project": "framework", "files": ["linger"], "args": {}}
    write_all(first.process.stdin.fileno(), codec.encode(request))
    time.sleep(1.0)
    running = first.found("look_during")
    assert len(running["others"]) >= 2 and f"{MARK}-beat" in running["/tmp"], "the probe and its child still run"
    first.close()  # the grading ends while they run

    found = guest_worker(lane).found("look")
    assert found == clean | {"shm": 0, "msg": 0, "sem": 0}, found


def test_the_lane_grades_the_files_of_the_student_it_was_filled_with(lane, tmp_path):
    """Filling empties the folder in place (the sandboxes see that very folder): the next
    student's files replace the previous one's, none is left."""
    first = probe_folder(tmp_path / "first")
    lane.fill(locate(first))
    assert (lane.copy / "framework" / "look.py").exists()
    second = tmp_path / "second" / "framework"
    second.mkdir(parents=True)
    shutil.copy(first / "framework" / "look.py", second / "only.py")
    lane.fill(locate(second.parent))
    assert sorted(path.name for path in (lane.copy / "framework").iterdir()) == ["only.py"]
    assert guest_worker(lane).found("only")["others"] == []


# Appended to pairs/models.py and pairs/data.py of a reference copy: run in both sandboxes of a
# lane (the main one and the one that sees MNIST), at every import.
ATTACK_MARK = "an attack on the next student of the lane"
LANE_ATTACKS = {
    "kills-the-lanes-server": """
import os as _os
import signal as _signal

with open(f"/proc/{_os.getppid()}/stat") as _stat:
    _os.kill(int(_stat.read().rpartition(")")[2].split()[1]), _signal.SIGKILL)
""",
    "stops-the-lanes-server": """
import os as _os
import signal as _signal

with open(f"/proc/{_os.getppid()}/stat") as _stat:
    _os.kill(int(_stat.read().rpartition(")")[2].split()[1]), _signal.SIGSTOP)
""",
    # Memory that outlives the process: a System V segment of 1 GiB, touched, at each import; left
    # there, the next student's probes would meet the sandbox's memory cap.
    "hoards-system-v-memory": """
import ctypes as _ctypes

_libc = _ctypes.CDLL(None, use_errno=True)
_libc.shmat.restype = _ctypes.c_void_p
_segment = _libc.shmget(0, 1 << 30, 0o1600)
_address = _libc.shmat(_segment, None, 0)
if _address not in (None, _ctypes.c_void_p(-1).value):
    _ctypes.memset(_address, 1, 1 << 30)
    _libc.shmdt(_ctypes.c_void_p(_address))
""",
    # Fill the sandbox's /tmp, where the next student's probes write what they print.
    "fills-tmp": """
try:
    with open("/tmp/filler", "ab") as _filler:
        for _ in range(600):
            _filler.write(bytes(1 << 20))
except OSError:
    pass
""",
}


def without_findings_in_attacks(real_scan: Callable[[Path, str], ProjectScan]) -> Callable[[Path, str], ProjectScan]:
    """The scan, blind to the files that carry an attack: as if the attack had got past it."""

    def scan(folder: Path, project: str) -> ProjectScan:
        result = real_scan(folder, project)
        for name, scanned in result.files.items():
            if ATTACK_MARK in (folder / name).read_text():
                scanned.findings = []
        return result

    return scan


def test_attacks_graded_in_a_class_between_reference_copies_leave_each_copy_every_point(tmp_path, monkeypatch):
    """Each attack is graded between two reference copies in one lane (the scan made blind to it:
    the lane holds where graded code gets past the scan), and every copy gets every point."""
    monkeypatch.setattr(lanes, "RESET_LIMIT", 2.0)  # a stopped server never answers: wait less
    monkeypatch.setattr(grading, "scan_project", without_findings_in_attacks(grading.scan_project))
    submissions = tmp_path / "submissions"
    copy_reference(submissions / "00-reference")
    for number, (name, code) in enumerate(LANE_ATTACKS.items(), start=1):
        solution = copy_reference(submissions / f"{number:02d}a-{name}")
        for file in ("pairs/models.py", "pairs/data.py"):
            with open(solution / file, "a") as source:
                source.write(f"\n_ATTACK = {ATTACK_MARK!r}\n{code}")
        copy_reference(submissions / f"{number:02d}b-reference")
    tasks = ("pair_data", "comparison")
    summary = batch.grade_class(intake.entries(submissions), tmp_path / "out", jobs=1, tasks=tasks, show_progress=False)
    scores = {name: (record.score, record.max_score) for name, record in summary.records.items()}
    references = {name: score for name, score in scores.items() if name.endswith("reference")}
    assert len(references) == len(LANE_ATTACKS) + 1
    assert all(score == most for score, most in references.values()), scores
    assert not summary.kit_errors, summary.records
