"""Attack submissions: a copy of the reference with the edits a cheating student makes.

An ``Attack`` names the tasks it attacks and says how to make it from a copy of the
reference: text edits, files added, removed or linked, and ``@NAME@`` placeholders that
``Context.fill`` replaces with this machine's paths (a student who knows where the kit,
the Python installation or the report lies). Attacks whose files do not meet are graded
together, in one submission (``pack``), so that one grading checks several of them.
"""

from __future__ import annotations

import functools
import importlib.util
import marshal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from grading import ROOT, copy_reference

from autograder import manifest
from autograder.judge.scan import scan_project

MAX_BATCH = 8

# One wrong line per graded file: the attack must not rescue it.
SABOTAGE = {
    "framework/activations.py": ("        derivative = 1 - y * y\n", "        derivative = 1 - y\n"),
    "framework/linear.py": (
        "        return grad_output @ self.weight\n",
        "        return grad_output @ self.weight * 2\n",
    ),
    "framework/sequential.py": (
        "        for module in reversed(self.modules):\n",
        "        for module in self.modules:\n",
    ),
    "framework/loss.py": ("        return difference.pow(2).mean()\n", "        return difference.pow(2).sum()\n"),
    "framework/optim.py": ("alpha=self.momentum, out=velocity)", "alpha=self.momentum / 2, out=velocity)"),
    "framework/training.py": ("    return correct\n", "    return correct + 1\n"),
    "pairs/models.py": (
        "    return torch.stack([log_gt, log_le], 1)\n",
        "    return torch.stack([log_le, log_gt], 1)\n",
    ),
    "pairs/training.py": ("    return loss.item()\n", "    return 2 * loss.item()\n"),
}
# The task each sabotaged file loses.
SABOTAGED_TASK = {
    "framework/activations.py": "activations",
    "framework/linear.py": "linear",
    "framework/sequential.py": "sequential",
    "framework/loss.py": "loss",
    "framework/optim.py": "sgd",
    "framework/training.py": "training",
    "pairs/models.py": "comparison",
    "pairs/training.py": "pair_training",
}


@dataclass(frozen=True)
class Edit:
    """Replace the one occurrence of ``old`` in ``file`` by ``new`` (``old`` empty: append ``new``)."""

    file: str
    old: str
    new: str


def sabotage(file: str) -> Edit:
    """The wrong line of ``file``."""
    return Edit(file, *SABOTAGE[file])


def append(file: str, code: str) -> Edit:
    """Module-level code at the end of ``file``: it runs when the file is imported."""
    return Edit(file, "", "\n\n" + code.strip("\n") + "\n")


def inside(file: str, line: str, code: str) -> Edit:
    """``code`` (indented like ``line``) just before ``line`` of ``file``: it runs when that line would."""
    indent = line[: len(line) - len(line.lstrip())]
    body = "".join(f"{indent}{row}\n" if row else "\n" for row in code.strip("\n").splitlines())
    return Edit(file, line, body + line)


@dataclass(frozen=True)
class Context:
    """What a student could know of the machine, for the ``@NAME@`` placeholders."""

    kit: Path
    site: Path
    stdlib: Path
    home: Path
    tmp: Path
    mark: str
    json: Path | None = None
    outside: Path | None = None  # a folder of the student's, outside the submission

    def fill(self, text: str) -> str:
        """``text`` with every placeholder replaced."""
        values = {
            "KIT": self.kit,
            "SITE": self.site,
            "STDLIB": self.stdlib,
            "HOME": self.home,
            "TMP": self.tmp,
            "MARK": self.mark,
            "JSON": self.json or "",
            "OUTSIDE": self.outside or "",
            "TAG": sys.implementation.cache_tag,
        }
        for name, value in values.items():
            text = text.replace(f"@{name}@", str(value))
        return text


Build = Callable[[Path, Context], None]


@dataclass(frozen=True)
class Attack:
    """One cheating submission.

    Attributes:
        name: the test's id.
        family: the family of issue 10 it belongs to (1 to 11, or "resources").
        summary: what the student does, in one line.
        tasks: the tasks it attacks: each must lose points.
        edits: text edits of the reference's files, in order.
        files: files written whole (relative path, text with placeholders).
        remove: files deleted.
        build: anything else (links, bytecode), done last.
        touches: files whose code it changes beyond those it edits (a file it rewrites at run time).
        time_scale: the grading's time scale (0.1 for attacks that hang).
        route: how it is graded: "judge" (in process), "cli" (``python -m autograder``),
            "cli-here" (the same, run inside the submission's folder) or "pytest"
            (``pytest autograder``), all three with ``--grade-json``.
        alone: graded in a submission of its own (it breaks the judge, or the machine).
        isolation: it is stopped by the sandbox, not by the scan or the judge: skipped
            where bubblewrap does not run.
        expect: a text the failure messages of its tasks must hold (why it lost).
        xfail: the autograder's weakness that lets it through, while there is one.
        sign: a text of the failure that shows it got through that way (with ``xfail``).
    """

    name: str
    family: str
    summary: str
    tasks: tuple[str, ...]
    edits: tuple[Edit, ...] = ()
    files: tuple[tuple[str, str], ...] = ()
    remove: tuple[str, ...] = ()
    build: Build | None = None
    touches: tuple[str, ...] = ()
    time_scale: float = 1.0
    route: str = "judge"
    alone: bool = False
    isolation: bool = False
    expect: str = ""
    xfail: str = ""
    sign: str = "kept"

    @property
    def touched(self) -> set[str]:
        """Every file whose code the attack changes."""
        return {
            *(edit.file for edit in self.edits),
            *(path for path, _ in self.files),
            *self.remove,
            *self.touches,
        }

    def apply(self, folder: Path, context: Context) -> None:
        """Make the attack in ``folder``, a copy of the reference."""
        for edit in self.edits:
            path = folder / edit.file
            source = path.read_text()
            new = context.fill(edit.new)
            if not edit.old:
                path.write_text(source + new)
                continue
            assert source.count(edit.old) == 1, f"{self.name}: {edit.old!r} must occur once in {edit.file}"
            path.write_text(source.replace(edit.old, new))
        for relative, text in self.files:
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(context.fill(text))
        for relative in self.remove:
            (folder / relative).unlink()
        if self.build:
            self.build(folder, context)


def attack(*args: object, **keywords: object) -> Attack:
    """An ``Attack`` whose edits, files and tasks may be given as lists."""
    made = Attack(*args, **keywords)  # type: ignore[arg-type]
    return replace(made, edits=tuple(made.edits), files=tuple(made.files), tasks=tuple(made.tasks))


def bytecode(source: str, filename: str) -> bytes:
    """A .pyc of ``source`` that Python runs without comparing it to any source file
    (an unchecked hash-based .pyc, PEP 552)."""
    code = compile(source, filename, "exec")
    flags = (1).to_bytes(4, "little")  # hash-based, not checked against the source
    return importlib.util.MAGIC_NUMBER + flags + importlib.util.source_hash(source.encode()) + marshal.dumps(code)


def reference_text(file: str) -> str:
    """The reference's text of ``project/file``."""
    return (ROOT / "reference" / file).read_text()


@functools.cache
def footprints() -> dict[str, set[str]]:
    """For each task, the reference's files (``project/file``) that its checks import."""
    scans = {project: scan_project(ROOT / "reference" / project, project) for project in ("framework", "pairs")}
    result: dict[str, set[str]] = {}
    for check in manifest.CHECKS:
        project = manifest.TASKS_BY_NAME[check.task].project
        files = scans[project].closure(manifest.files_of(check))
        result.setdefault(check.task, set()).update(f"{project}/{file}" for file in files)
    return result


@dataclass
class Batch:
    """Attacks graded together in one submission."""

    attacks: list[Attack] = field(default_factory=list)

    @property
    def tasks(self) -> tuple[str, ...]:
        """The graded tasks, in the manifest's order."""
        chosen = {task for attack in self.attacks for task in attack.tasks}
        return tuple(task.name for task in manifest.TASKS if task.name in chosen)

    @property
    def route(self) -> str:
        return self.attacks[0].route

    @property
    def time_scale(self) -> float:
        return self.attacks[0].time_scale

    def make(self, folder: Path, context: Context) -> Path:
        """The submission: a copy of the reference with every attack of the batch made in it."""
        copy_reference(folder)
        for member in self.attacks:
            member.apply(folder, context)
        return folder


def fits(candidate: Attack, batch: Batch, reach: dict[str, set[str]]) -> bool:
    """Whether ``candidate`` can be graded with ``batch`` without either changing the other's tasks."""
    if not batch.attacks:
        return True
    if candidate.alone or any(member.alone for member in batch.attacks) or len(batch.attacks) >= MAX_BATCH:
        return False
    if candidate.route != batch.route or candidate.time_scale != batch.time_scale:
        return False
    for member in batch.attacks:
        if set(member.tasks) & set(candidate.tasks) or member.touched & candidate.touched:
            return False
        mine = set().union(*(reach[task] for task in candidate.tasks)) | candidate.touched
        theirs = set().union(*(reach[task] for task in member.tasks)) | member.touched
        if member.touched & mine or candidate.touched & theirs:
            return False
    return True


def pack(attacks: list[Attack]) -> list[Batch]:
    """Group the attacks into as few submissions as fit (first fit, in the given order)."""
    reach = footprints()
    batches: list[Batch] = []
    for candidate in attacks:
        batch = next((batch for batch in batches if fits(candidate, batch, reach)), None)
        if batch is None:
            batch = Batch()
            batches.append(batch)
        batch.attacks.append(candidate)
    return batches
