"""The kit's suite of attack submissions: nothing a submission does earns it points it did
not earn, breaks its report, or survives into the next grading.

Every attack of ``framework_attacks`` and ``pairs_attacks`` is graded (several at a time,
in submissions where their files do not meet), then a clean copy of the reference is graded
on the same tasks, all in the session's warm lane (``lane``, tests/conftest.py), one after
the other, as ``grade-class`` grades a class (so the clean copy is the next student of a
class after the attack). For each attack:

(a) each task it attacks loses points;
(b) the report lists every check of the graded tasks, and its maximum is the manifest's;
(c) the clean copy graded right after it gets every point;

and after each grading nothing of the attack is left: the kit's files and the Python
installation are unchanged, no file or process carries the attack's mark, and no message
says that the attack found what it looked for (``LEAK-<mark>``). The last test grades a
clean copy of the whole reference with workers of its own (as one student's grading does):
every point, and the kit still unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import sysconfig
import tempfile
import time
import traceback
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import disk_accuracy_attacks
import framework_attacks
import limits_attacks
import pair_accuracy_attacks
import pairs_attacks
import pytest
import scan_attacks
from attack import Attack, Batch, Context, pack
from grading import ROOT, copy_reference, grade

from autograder import manifest, sandbox
from autograder.judge.runner import MAX_SLOWDOWN

pytestmark = pytest.mark.slow

FULL = sandbox.isolation().full
ALL_ATTACKS: list[Attack] = [
    *framework_attacks.ATTACKS,
    *pairs_attacks.ATTACKS,
    *scan_attacks.ATTACKS,
    *disk_accuracy_attacks.ATTACKS,
    *pair_accuracy_attacks.ATTACKS,
    *limits_attacks.ATTACKS,
]
# Without the sandbox, attacks that only the sandbox stops would really change this machine: leave them out.
RUNNABLE = [attack for attack in ALL_ATTACKS if FULL or not attack.isolation]
BATCHES = pack(RUNNABLE)
BATCH_OF = {attack.name: number for number, batch in enumerate(BATCHES) for attack in batch.attacks}
KIT_FOLDERS = (ROOT / "autograder", ROOT / "reference")
COMMAND_LIMIT = 900  # seconds for one grading through the command line
LATE_WRITERS = 2.0  # seconds to wait after the command, for a writer that outlives it


@dataclass
class Result:
    """What a grading reported, however it was run: per check (earned, points, message), the
    totals, and the text the student reads."""

    tasks: tuple[str, ...]
    checks: dict[str, tuple[float, float, str]]
    score: float
    max_score: float
    text: str
    seconds: float
    notes: str = ""
    returncode: int | None = None

    def task_score(self, task: str) -> tuple[float, float]:
        """(earned, possible) of one task."""
        rows = [value for name, value in self.checks.items() if name.partition(".")[0] == task]
        return sum(row[0] for row in rows), sum(row[1] for row in rows)

    def messages(self, task: str) -> str:
        """The messages of one task's checks, and the notes at the top of the report."""
        rows = [row[2] for name, row in self.checks.items() if name.partition(".")[0] == task]
        return "\n".join([*rows, self.notes])


def from_report(report: Any, seconds: float) -> Result:
    """A ``Result`` of the judge's ``Report``; its three renderings must work."""
    rendered = report.gradescope()
    json.dumps(rendered)
    assert len(rendered["tests"]) == len(report.checks) and rendered["max_score"] == report.max_score
    checks = {
        check.name: (report.earned(check), check.points, report.outcome(check).message) for check in report.checks
    }
    text = report.feedback()
    return Result(report.tasks, checks, report.score, report.max_score, text, seconds, "\n".join(report.notes))


def from_json(data: dict, tasks: tuple[str, ...], text: str, seconds: float, returncode: int) -> Result:
    """A ``Result`` of a Gradescope results.json."""
    checks = {
        test["name"].partition(":")[0]: (test["score"], test["max_score"], test["output"]) for test in data["tests"]
    }
    return Result(tasks, checks, data["score"], data["max_score"], text, seconds, data["output"], returncode)


def fingerprint() -> dict[str, str]:
    """A hash of every file of the kit's autograder/ and reference/, and of the listing of each
    folder of the Python installation with its .pth and customize files."""
    files: dict[str, str] = {}
    for folder in KIT_FOLDERS:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                files[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    for folder in installation():
        files[f"listing of {folder}"] = hashlib.sha256("\n".join(sorted(os.listdir(folder))).encode()).hexdigest()
        for path in [*folder.glob("*.pth"), folder / "sitecustomize.py", folder / "usercustomize.py"]:
            files[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"
    return files


def installation() -> list[Path]:
    """The folders of the Python installation where a .pth or a customize module would run."""
    paths = sysconfig.get_paths()
    return sorted({Path(paths[key]) for key in ("purelib", "platlib", "stdlib")})


def damage(before: dict[str, str], mark: str) -> list[str]:
    """How the kit and the Python installation differ from ``before`` because of an attack.

    The Python installation must be exactly as it was. The kit's files are shared with the
    people who work on it, whose edits may land during the suite: an attack's writes all
    carry its mark, and its deletions leave a file missing, so those are what count there.
    """
    after = fingerprint()
    problems = [
        f"the Python installation changed: {name}"
        for name in sorted(set(before) | set(after))
        if not name.startswith(tuple(map(str, KIT_FOLDERS))) and before.get(name) != after.get(name)
    ]
    for name in sorted(set(before) | set(after)):
        if not name.startswith(tuple(map(str, KIT_FOLDERS))) or before.get(name) == after.get(name):
            continue
        path = Path(name)
        if not path.exists():
            problems.append(f"deleted from the kit: {name}")
        elif mark in path.read_text(errors="replace") or mark in path.name:
            problems.append(f"written into the kit: {name}")
    return problems


def marked_processes(mark: str) -> list[str]:
    """The command lines of running processes that carry ``mark``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if mark in line:
                found.append(f"{entry.name}: {line}")
    return found


def leftovers(context: Context, before: dict[str, str], result: Result | None) -> list[str]:
    """What an attack left behind: changed kit files, marked files or processes, leaks in messages."""
    problems = damage(before, context.mark)
    for folder in (context.tmp, context.home, context.site):
        problems += [f"left a file: {path}" for path in folder.glob(f"*{context.mark}*")]
    problems += [f"left a process: {line}" for line in marked_processes(context.mark)]
    if result is not None and f"LEAK-{context.mark}" in result.text:
        problems.append(f"the attack found what it looked for:\n{result.text}")
    return problems


@dataclass
class Graded:
    """A batch's grading, what it left behind, and the clean grading right after it."""

    result: Result | None = None
    error: str = ""
    left: list[str] = field(default_factory=list)
    clean: Result | None = None
    clean_error: str = ""


def run_command(batch: Batch, solution: Path, report: Path) -> Result:
    """Grade through ``python -m autograder`` or ``pytest autograder``, with --grade-json; read the
    file after a pause, so that a writer that outlives the command is caught."""
    tasks, folder = " or ".join(batch.tasks), ROOT
    if batch.route == "cli":
        command = [sys.executable, "-m", "autograder", "--solution", str(solution), "-m", tasks]
    elif batch.route == "cli-here":  # graded from inside the submission's folder
        command, folder = [sys.executable, "-m", "autograder", "--solution", ".", "-m", tasks], solution
    else:
        command = [sys.executable, "-m", "pytest", "autograder", "--solution", str(solution), "-m", tasks]
        command += ["-p", "no:cacheprovider", "-q"]
    command += ["--grade-json", str(report), "--time-scale", str(batch.time_scale)]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=COMMAND_LIMIT)
    seconds = time.perf_counter() - start
    time.sleep(LATE_WRITERS)
    text = done.stdout + done.stderr
    assert done.returncode in (0, 1), f"{command} exited with {done.returncode}:\n{text}"
    data = json.loads(report.read_text())
    return from_json(data, batch.tasks, text, seconds, done.returncode)


@pytest.fixture(scope="module")
def context(tmp_path_factory) -> Context:
    """This machine's paths, and a mark that no file or process carries yet."""
    paths = sysconfig.get_paths()
    return Context(
        kit=ROOT,
        site=Path(paths["purelib"]),
        stdlib=Path(paths["stdlib"]),
        home=Path.home(),
        tmp=Path(tempfile.gettempdir()),
        mark=f"attack{uuid.uuid4().hex[:12]}",
        outside=tmp_path_factory.mktemp("outside"),
    )


@pytest.fixture(scope="module")
def kit_before() -> dict[str, str]:
    """The kit's fingerprint before any attack."""
    return fingerprint()


@pytest.fixture(scope="module")
def graded(tmp_path_factory, context, kit_before, lane):
    """Grade a batch on first use (its attack submission, then a clean copy, in the same warm lane),
    and remember it."""
    done: dict[int, Graded] = {}

    def get(number: int) -> Graded:
        if number in done:
            return done[number]
        batch = BATCHES[number]
        folder = tmp_path_factory.mktemp(f"batch{number}")
        report = folder / "results.json"
        batch_context = replace(context, json=report)
        solution = batch.make(folder / "submission", batch_context)
        outcome = Graded()
        start = time.perf_counter()
        try:
            if batch.route == "judge":
                outcome.result = from_report(grade(solution, " or ".join(batch.tasks), batch.time_scale, lane), 0.0)
                outcome.result.seconds = time.perf_counter() - start
            else:
                outcome.result = run_command(batch, solution, report)
        except Exception:
            outcome.error = traceback.format_exc()
        if lane is not None:
            lane.settle()  # reset: what the attack left in the lane is gone before the next student
        outcome.left = leftovers(context, kit_before, outcome.result)
        clean = copy_reference(folder / "clean")
        try:
            start = time.perf_counter()
            outcome.clean = from_report(grade(clean, " or ".join(batch.tasks), lane=lane), 0.0)
            outcome.clean.seconds = time.perf_counter() - start
        except Exception:
            outcome.clean_error = traceback.format_exc()
        done[number] = outcome
        return outcome

    return get


class Succeeded(AssertionError):
    """The attack got through: it kept points, broke or falsified the report, or left something behind."""


def stopped(condition: object, message: str) -> None:
    """Raise ``Succeeded`` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise Succeeded(message)


def case(attack: Attack) -> Any:
    """The attack as a test case; where the autograder still lets it through, a strict xfail that
    only its own way through satisfies (``Succeeded`` with ``attack.sign`` in its message)."""
    marks = [pytest.mark.xfail(strict=True, raises=Succeeded, reason=attack.xfail)] if attack.xfail else []
    return pytest.param(attack, marks=marks, id=attack.name)


CASES = [case(attack) for attack in sorted(RUNNABLE, key=lambda attack: BATCH_OF[attack.name])]


def test_every_family_has_two_attacks_and_both_projects_are_attacked():
    families: dict[str, set[str]] = {}
    for attack in ALL_ATTACKS:
        families.setdefault(attack.family, set()).add(attack.name.partition("-")[0])
    assert set(families) == {*(str(number) for number in range(1, 12)), "resources"}
    for family, projects in families.items():
        assert sum(attack.family == family for attack in ALL_ATTACKS) >= 2, family
        assert projects == ({"framework"} if family == "9" else {"framework", "pairs"}), family
    assert len({attack.name for attack in ALL_ATTACKS}) == len(ALL_ATTACKS)


def test_attacks_graded_together_touch_different_files():
    for batch in BATCHES:
        touched = [file for attack in batch.attacks for file in attack.touched]
        assert len(touched) == len(set(touched)), [attack.name for attack in batch.attacks]


@pytest.mark.parametrize("attack", CASES)
def test_attack(attack: Attack, graded, context):
    try:
        verdict(attack, graded(BATCH_OF[attack.name]), context)
    except Succeeded as error:
        if attack.xfail and attack.sign not in str(error):
            raise AssertionError(f"got through, but not the way the xfail says ({attack.sign!r}): {error}") from None
        raise


def verdict(attack: Attack, outcome: Graded, context: Context) -> None:
    """Raise ``Succeeded`` if the attack got anything out of its grading."""
    batch = BATCHES[BATCH_OF[attack.name]]
    stopped(not outcome.error, f"the grading broke:\n{outcome.error}")
    result = outcome.result
    # (a) every task it attacks loses points.
    for task in attack.tasks:
        earned, possible = result.task_score(task)
        stopped(possible > 0 and earned < possible, f"{task} kept {earned:g} of {possible:g} points")
        if attack.expect:
            assert attack.expect in result.messages(task), (
                f"lost, but not for {attack.expect!r}: {result.messages(task)}"
            )
    if result.returncode is not None:
        stopped(result.returncode == 1, f"the command exited with {result.returncode}:\n{result.text}")
    # (b) the report lists every check of the graded tasks, with the manifest's maximum, and nothing forged.
    checks = manifest.checks_of(batch.tasks)
    stopped(list(result.checks) == [check.name for check in checks], f"the report's checks: {list(result.checks)}")
    stopped([row[1] for row in result.checks.values()] == [check.points for check in checks], "the points changed")
    stopped(result.max_score == sum(check.points for check in checks), f"the maximum is {result.max_score}")
    stopped(result.score == sum(row[0] for row in result.checks.values()), f"the score is {result.score}")
    stopped(f"(100%) {context.mark}" not in result.text, f"a forged score table reached the report:\n{result.text}")
    for name, (_, _, message) in result.checks.items():
        for limit in re.findall(r"took longer than (\S+) s", message):
            cap = manifest.CHECKS_BY_NAME[name].limit * batch.time_scale * MAX_SLOWDOWN
            stopped(float(limit) < cap, f"{name}: its time limit was raised to {limit} s, the most a slow machine gets")
    # Nothing left behind.
    stopped(not outcome.left, "\n".join(outcome.left))
    # (c) a clean copy graded right after it gets every point.
    stopped(not outcome.clean_error, f"the clean grading after it broke:\n{outcome.clean_error}")
    stopped(outcome.clean.score == outcome.clean.max_score, f"the clean grading after it:\n{outcome.clean.text}")


def test_a_full_clean_grading_after_every_attack_gets_100_and_the_kit_is_unchanged(
    tmp_path, graded, context, kit_before
):
    for number in range(len(BATCHES)):
        graded(number)  # when run alone, or after a failure: every attack first
    report = grade(copy_reference(tmp_path / "clean"))
    assert report.complete and report.max_score == manifest.TOTAL
    assert report.score == report.max_score, report.feedback()
    assert not damage(kit_before, context.mark)
    assert not marked_processes(context.mark)
