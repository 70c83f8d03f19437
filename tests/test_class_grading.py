"""Grading a class: intake (folders, zips, notebooks), the gradebook, the report, resuming,
the cluster scripts and the Gradescope zip.

The quick tests build results without grading. The slow ones grade through the judge:
a class of 30 submissions (every kind of hand-in and of mishap), a small class that is
killed halfway and resumed, graded again by the Kubernetes command run here for every index
(the Slurm script runs on a real cluster: tests/test_slurm.py), and Gradescope's layout
rebuilt in a temporary root. The
report and its screenshot land in ``build/classroom/`` (``report.html``, ``report.png``), to look at.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from grading import ROOT, copy_reference, edit

from autograder import manifest
from autograder.__main__ import main
from autograder.classroom import batch, from_notebooks, gradebook, gradescope_zip, intake, report, unit
from autograder.judge.report import Report
from autograder.judge.runner import Outcome

sys.path.insert(0, str(ROOT / "tests" / "mutants"))
from mutants import MUTANTS

CLUSTER = ROOT / "autograder" / "classroom" / "cluster"
NOTEBOOKS = ROOT / "course" / "source"
SMALL_TASKS = "linear,sgd"  # a comma, not "or": the Kubernetes command splits its options on spaces
SCREENSHOT = ROOT / "build" / "classroom" / "report.png"
SHOTS = Path("/tmp/shots")  # the gradebook and the similar pairs at 1280 px, to look at


def kit(*arguments: str, env: dict[str, str] | None = None, timeout: float = 1800) -> subprocess.CompletedProcess:
    """``python -m autograder ARGUMENTS`` in the kit's folder."""
    return subprocess.run(
        [sys.executable, "-m", "autograder", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def without_seconds(path: Path) -> list[dict[str, str]]:
    """A gradebook's rows without the column that measures time (it differs from run to run)."""
    return [{key: value for key, value in row.items() if key != "seconds"} for row in gradebook.read_gradebook(path)]


def zip_folder(folder: Path, archive: Path, prefix: str = "") -> Path:
    """Zip ``folder``'s files into ``archive``, under ``prefix`` (a wrapping folder) if given."""
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                zipped.write(path, prefix + path.relative_to(folder).as_posix())
    return archive


def stub_notebook(source: Path, destination: Path) -> Path:
    """The course's notebook with its solution cells replaced by the scaffold's stubs (a fresh hand-out)."""
    notebook = json.loads(source.read_text())
    project = source.stem
    stubs = {chunk.grade_id: chunk.stub for module in from_notebooks.project_maps()[project] for chunk in module.chunks}
    for cell in notebook["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in stubs:
            cell["source"] = stubs[grade_id]
    destination.write_text(json.dumps(notebook))
    return destination


# Intake -------------------------------------------------------------------------------------------


def write_zip(path: Path, members: dict[str, bytes], links: tuple[str, ...] = ()) -> Path:
    """A zip with ``members`` (name -> bytes) and symbolic-link entries named ``links``."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, data in members.items():
            zipped.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o120777 << 16
            zipped.writestr(info, "/etc/passwd")
    return path


@pytest.mark.parametrize(
    ("members", "links", "said"),
    [
        ({"../evil.py": b"x = 1"}, (), "outside the folder"),
        ({"/tmp/evil.py": b"x = 1"}, (), "outside the folder"),
        ({"framework/linear.py": b"x = 1"}, ("framework/module.py",), "symbolic link"),
        ({"framework/big.py": b"0" * (intake.MAX_MEMBER_BYTES + 1)}, (), "MiB"),
        ({"framework/bomb.py": b"\0" * (4 * 2**20)}, (), "compressed more than"),
    ],
    ids=["dot-dot", "absolute", "link", "large", "bomb"],
)
def test_an_unsafe_zip_is_refused_with_a_message_and_nothing_written_outside(tmp_path, members, links, said):
    archive = write_zip(tmp_path / "mallory.zip", members, links)
    with pytest.raises(intake.NotASubmission, match=said):
        intake.prepare(intake.Entry("mallory", archive), tmp_path / "scratch")
    assert not (tmp_path / "evil.py").exists() and not Path("/tmp/evil.py").exists()


def test_a_zip_that_is_not_one_is_not_a_submission(tmp_path):
    (tmp_path / "broken.zip").write_bytes(b"PK this is no zip")
    with pytest.raises(intake.NotASubmission, match="cannot be read as a zip"):
        intake.prepare(intake.Entry("broken", tmp_path / "broken.zip"), tmp_path / "scratch")


def test_a_zip_with_its_folder_inside_is_found_below_the_wrapping(tmp_path):
    archive = zip_folder(ROOT / "exercises", tmp_path / "alice.zip", prefix="alice/solution/")
    submission, notes = intake.prepare(intake.Entry("alice", archive), tmp_path / "scratch")
    assert submission.label == "alice" and submission.projects == ("pairs", "framework") and not notes
    assert (submission.path / "framework" / "linear.py").read_text() == (
        ROOT / "exercises/framework/linear.py"
    ).read_text()


def test_students_are_named_after_their_entries_and_hidden_entries_are_left_out(tmp_path):
    for name in ("bob", "carol.zip", "dave.ipynb", "erin.ZIP", ".DS_Store", "frank", "frank.zip", "report.html"):
        (tmp_path / name).mkdir() if "." not in name else (tmp_path / name).write_text("")
    students = [entry.student for entry in intake.entries(tmp_path)]
    assert students == ["bob", "carol", "dave", "erin", "frank", "frank.zip", "report.html~1"]


def claims(name: str) -> set[str]:
    """The names an entry could be graded as: its plain name and its whole name."""
    return {intake.student_name(Path(name)), name}


@pytest.mark.parametrize(
    ("names", "students"),
    [
        (["bob.zip", "bob.ipynb", "bob.zip.zip"], ["bob.zip", "bob.ipynb", "bob.zip.zip"]),
        (["bob.zip", "bob.zip.zip"], ["bob", "bob.zip.zip"]),
        (["alice", "alice.zip", "alice.ipynb"], ["alice", "alice.zip", "alice.ipynb"]),
        (["Bob", "bob.ZIP", "carol.ipynb", "Carol.ipynb.zip"], ["Bob", "bob.ZIP", "carol", "Carol.ipynb.zip"]),
        (["Dave.zip", "dave.zip", "dave.zip~1"], ["Dave.zip~2", "dave.zip~3", "dave.zip~1"]),
        (["erin.ZIP", "erin.Ipynb", "frank.zip.ipynb"], ["erin.ZIP", "erin.Ipynb", "frank.zip"]),
        (
            ["Report.HTML", "gradebook.csv.zip", "report.html~1"],
            ["Report.HTML~2", "gradebook.csv.zip", "report.html~1"],
        ),
    ],
    ids=["bob", "nested-zip", "folder-zip-notebook", "case", "whole-names-by-case", "suffix-case", "reserved"],
)
def test_every_entry_gets_a_name_of_its_own_and_entries_that_would_share_one_are_told(names, students):
    named = intake.student_names(names)
    assert [named[name][0] for name in names] == students
    assert len({student.casefold() for student in students} | {"gradebook.csv", "report.html"}) == len(names) + 2
    for name in names:
        plain = intake.student_name(Path(name))
        rivals = [other for other in names if plain.casefold() in {claim.casefold() for claim in claims(other)}]
        note = named[name][1]
        if len(rivals) > 1:
            assert all(rival in note for rival in rivals) and repr(named[name][0]) in note, note
        elif named[name][0] == plain:
            assert not note
        else:
            assert "a file of the class's results" in note


@pytest.mark.grading
def test_entries_that_would_share_a_name_are_graded_into_folders_of_their_own_with_a_note(tmp_path, capsys):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    zip_folder(copy_reference(tmp_path / "reference"), submissions / "bob.zip")
    stub_notebook(NOTEBOOKS / "framework" / "framework.ipynb", submissions / "bob.ipynb")
    zip_folder(ROOT / "exercises", submissions / "bob.zip.zip")
    students = intake.entries(submissions)
    assert [(entry.student, entry.path.name) for entry in students] == [
        ("bob.ipynb", "bob.ipynb"),
        ("bob.zip", "bob.zip"),
        ("bob.zip.zip", "bob.zip.zip"),
    ]
    assert main(["grade-class", str(submissions), "--out", str(tmp_path / "out"), "-m", "linear"]) == 0
    said = capsys.readouterr()
    rows = gradebook.read_gradebook(tmp_path / "out" / batch.GRADEBOOK)
    assert sorted((row["student"], row["linear"]) for row in rows) == [
        ("bob.ipynb", "0"),
        ("bob.zip", f"{sum(check.points for check in manifest.checks_of(('linear',))):g}"),
        ("bob.zip.zip", "0"),
    ]
    for entry in students:
        results = json.loads((tmp_path / "out" / entry.student / "results.json").read_text())
        assert float(next(row["total"] for row in rows if row["student"] == entry.student)) == results["score"]
        assert entry.note in results["output"] and entry.note in said.err


def test_the_content_hash_changes_with_any_file_and_only_then(tmp_path):
    student = copy_reference(tmp_path / "alice")
    entry = intake.Entry("alice", student)
    first = intake.content_hash(entry)
    (student / "framework" / "__pycache__").mkdir()
    (student / "framework" / "__pycache__" / "x.pyc").write_bytes(b"cache")
    assert intake.content_hash(entry) == first
    edit(student, "framework/linear.py", "return grad_output @ self.weight", "return -grad_output @ self.weight")
    assert intake.content_hash(entry) != first


def test_a_folder_without_a_project_or_a_stray_file_is_not_a_submission(tmp_path):
    (tmp_path / "dave").mkdir()
    (tmp_path / "dave" / "answers.txt").write_text("42")
    (tmp_path / "essay.pdf").write_bytes(b"%PDF")
    for name in ("dave", "essay.pdf"):
        with pytest.raises(intake.NotASubmission):
            intake.prepare(intake.Entry(name, tmp_path / name), tmp_path / f"scratch-{name}")


# Notebooks ----------------------------------------------------------------------------------------


def test_the_course_notebooks_map_back_to_the_reference_files_exactly(tmp_path):
    notebooks = [NOTEBOOKS / project / f"{project}.ipynb" for project in ("framework", "pairs")]
    projects, notes = from_notebooks.rebuild(notebooks, tmp_path / "rebuilt")
    assert projects == ("pairs", "framework") and len(notes) == 2
    for project in projects:
        inserted = {f"{module.name}.py" for module in from_notebooks.project_maps()[project]}
        for path in (ROOT / "exercises" / project).glob("*.py"):
            source = ROOT / ("reference" if path.name in inserted else "exercises") / project / path.name
            assert (tmp_path / "rebuilt" / project / path.name).read_text() == source.read_text(), path


def test_only_solution_cells_come_from_the_notebook(tmp_path):
    notebook = json.loads((NOTEBOOKS / "framework" / "framework.ipynb").read_text())
    for cell in notebook["cells"]:
        nbgrader = cell["metadata"].get("nbgrader", {})
        if nbgrader.get("grade_id") == "module-Module":  # a locked cell: editing it changes nothing
            cell["source"] = "class Module:\n    pass\n"
        if nbgrader.get("grade_id") == "linear-Linear":
            cell["source"] = "class Linear:\n    pass  # mine\n"
    path = tmp_path / "hand-in.ipynb"
    path.write_text(json.dumps(notebook))
    submission, notes = intake.prepare(intake.Entry("alice", path), tmp_path / "scratch")
    assert submission.projects == ("framework",) and "hand-in.ipynb" in notes[0]
    folder = submission.path / "framework"
    assert (folder / "module.py").read_text() == (ROOT / "exercises/framework/module.py").read_text()
    assert "class Linear:\n    pass  # mine\n" in (folder / "linear.py").read_text()


def test_a_notebook_of_another_course_says_so(tmp_path):
    path = tmp_path / "other.ipynb"
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "source": "x = 1", "metadata": {}}]}))
    with pytest.raises(intake.NotASubmission, match="none of the solution cells"):
        intake.prepare(intake.Entry("other", path), tmp_path / "scratch")


# Gradebook and report, from results made here -----------------------------------------------------


def fake_student(out: Path, name: str, passed: Callable[[str], bool], status: str = "graded") -> None:
    """A student's folder as the unit of work writes it, with ``passed`` deciding each check."""
    outcomes = {
        check.name: Outcome("passed")
        if passed(check.name)
        else Outcome("failed", f"{check.name} is wrong\n  obtained: {name}")
        for check in manifest.CHECKS
    }
    result = Report(name, tuple(task.name for task in manifest.TASKS), outcomes, seconds=len(name))
    folder = out / name
    folder.mkdir(parents=True)
    (folder / unit.RESULTS).write_text(json.dumps(result.gradescope()))
    (folder / unit.FEEDBACK).write_text(result.feedback())
    record = unit.Record(name, name, status, result.score, result.max_score, result.seconds, "key")
    (folder / unit.RECORD).write_text(json.dumps(record.__dict__))


def test_the_gradebook_has_a_column_per_task_and_totals_that_add_up(tmp_path):
    fake_student(tmp_path, "alice", lambda name: True)
    fake_student(tmp_path, "bob", lambda name: not name.startswith("linear."))
    fake_student(tmp_path, "carol", lambda name: False, "timed out")
    rows = batch.merge(tmp_path)
    table = gradebook.read_gradebook(tmp_path / batch.GRADEBOOK)
    assert list(table[0]) == [
        "student",
        *(task.name for task in manifest.TASKS),
        "total",
        "max_score",
        "status",
        "seconds",
    ]
    assert [row["student"] for row in table] == ["alice", "bob", "carol"]
    assert [row["status"] for row in table] == ["graded", "graded", "timed out"]
    assert {row["max_score"] for row in table} == {f"{manifest.TOTAL:g}"}
    for row in table:
        assert float(row["total"]) == sum(float(row[task.name]) for task in manifest.TASKS)
    linear = sum(check.points for check in manifest.checks_of(("linear",)))
    assert table[1]["linear"] == "0" and float(table[1]["total"]) == manifest.TOTAL - linear
    assert rows[1].failures.keys() == {check.name for check in manifest.CHECKS if check.task == "linear"}


def test_a_results_file_alone_gives_its_status_from_its_messages(tmp_path):
    outcomes = {"linear.forward": Outcome("timed out", "this check took longer than 20 s and was stopped")}
    (tmp_path / "alice").mkdir()
    Report("alice", ("linear",), outcomes).write_gradescope(tmp_path / "alice" / "results.json")
    [row] = gradebook.read_class(tmp_path)
    assert row.status == "timed out" and row.max_score == sum(check.points for check in manifest.checks_of(("linear",)))


def test_the_report_is_one_page_with_its_figures_inlined_and_counts_the_failures(tmp_path):
    fake_student(tmp_path, "alice", lambda name: True)
    for name in ("bob", "carol", "dave"):
        fake_student(tmp_path, name, lambda check: check != "sgd.momentum")
    fake_student(tmp_path, "erin", lambda name: False, "not a submission")
    batch.merge(tmp_path)
    page = (tmp_path / batch.REPORT).read_text()
    assert page.count('src="data:image/png;base64,') == 3
    assert "http://" not in page and "https://" not in page and "<script" not in page and "<link" not in page
    # the three students' messages differ in what they obtained only: one failure, three students
    assert report.frequent_failures(gradebook.read_class(tmp_path))[0] == (
        "sgd.momentum is wrong",
        ["sgd.momentum"],
        ["bob", "carol", "dave"],
    )
    assert "1 not a submission" in page and "erin" in page


def test_a_grading_whose_worker_could_not_start_is_the_kits_failure_and_is_graded_again(tmp_path, monkeypatch):
    def failing(submission, tasks, jobs, progress, time_scale, lane=None):
        outcome = Outcome("crashed", f"{unit.WORKER_FAILED}, so this check did not run: no cgroup")
        progress("import framework/linear.py", outcome)
        return Report(submission.label, tasks, {"linear.forward": outcome})

    monkeypatch.setattr(unit, "grade", failing)
    entry = intake.Entry("alice", copy_reference(tmp_path / "alice"))
    record, reused = unit.grade_student(entry, tmp_path / "out", ("linear",))
    assert record.status == "crashed" and record.kit_error.startswith(unit.WORKER_FAILED) and not reused
    _, reused = unit.grade_student(entry, tmp_path / "out", ("linear",))
    assert not reused, "a grading the kit failed is never reused"
    assert batch.grade_class([entry], tmp_path / "out", tasks=("linear",), show_progress=False).kit_errors == ["alice"]


# The command line ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["grade-class", "nowhere", "--out", "out"], "is not a folder"),
        (["grade-class", "SUBMISSIONS"], "needs --out"),
        (["grade-class", "SUBMISSIONS", "--out", "out", "-m", "nonsense"], "unknown task"),
        (["grade-class", "SUBMISSIONS", "--out", "out", "--only", "nobody"], "no such student"),
        (["grade-class", "SUBMISSIONS", "--out", "out", "--index", "7"], "no such student"),
        (["merge", "nowhere"], "is not a folder"),
    ],
)
def test_usage_errors_exit_2_and_say_what_is_wrong(tmp_path, capsys, monkeypatch, arguments, said):
    (tmp_path / "SUBMISSIONS" / "alice").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert main(arguments) == 2
    assert said in capsys.readouterr().err


def test_list_prints_the_students_in_index_order(tmp_path, capsys):
    for name in ("carol", "alice.zip", "bob"):
        (tmp_path / name).mkdir() if "." not in name else (tmp_path / name).write_bytes(b"")
    assert main(["grade-class", str(tmp_path), "--list"]) == 0
    assert capsys.readouterr().out.split() == ["alice", "bob", "carol"]


# Gradescope's zip ---------------------------------------------------------------------------------


def test_the_gradescope_zip_holds_its_scripts_and_the_kit_and_setup_installs_the_dependencies(tmp_path):
    import tomllib

    path = gradescope_zip.build(tmp_path / "autograder.zip")
    with zipfile.ZipFile(path) as zipped:
        names = set(zipped.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in zipped.infolist()}
        setup = zipped.read("setup.sh").decode()
    assert {"setup.sh", "run_autograder", "autograder/__main__.py", "reference/pairs/mnist.py"} <= names
    assert "exercises/framework/linear.py" in names and "datasets/MNIST/raw/t10k-images-idx3-ubyte.gz" in names
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    assert not [name for name in names if "__pycache__" in name or name.startswith(("tests/", ".git"))]
    assert gradescope_zip.build(tmp_path / "again.zip").read_bytes() == path.read_bytes()
    for dependency in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]:
        if not dependency.startswith("pytest"):  # the students' test runner: the judge does not use it
            assert f'"{dependency}"' in setup, dependency
    assert "bubblewrap" in setup and "nbformat" in setup
    for script in ("setup.sh", "run_autograder"):
        text = (ROOT / "autograder/classroom/gradescope" / script).read_text()
        assert subprocess.run(["bash", "-n"], input=text, text=True).returncode == 0


# A class of 30, graded through the judge------------------------------------------------------------

HANG = (
    "framework/activations.py",
    "        e = torch.exp(-s.abs())\n        y = torch.where",
    "        while bool((s.abs() > 1000).any()):  # keep exp from overflowing\n"
    "            s.clamp(-1000, 1000)\n        e = torch.exp(-s.abs())\n        y = torch.where",
)
HOG = (
    "framework/loss.py",
    "        (difference,) = self.pop_saved()\n",
    "        (difference,) = self.pop_saved()\n        kept = []\n        while True:\n"
    "            kept.append(torch.ones(2**24))\n",
)

# Every fourth mutant, of those whose pairs model still learns and stops early: one that never gets
# 90% of its monitor pairs right trains all 25 epochs twice, two to three times a copy of the
# reference's grading (those that lose pair_accuracy, and a comparison wrong at ties, 10% of pairs).
FULL_EPOCHS = {"pair_accuracy", "comparison"}
CLASS_MUTANTS = [mutant for mutant in MUTANTS if not FULL_EPOCHS & {*mutant.tasks, *mutant.also}][::4]

# The hanging student waits out its check's limit, a busy loop on one of the two slots: at the
# default scale 20 s times the measured slowdown (43.5 s of a 96 s class). A quarter keeps ten
# times the reference's time on its quick checks, and 75 s for the accuracy training (3 to 6 s).
CLASS_OPTIONS = ("--jobs", "2", "--time-scale", "0.25")

SEGFAULT = """

import numpy
from numpy.lib.stride_tricks import as_strided

# windows over a buffer, their count wrong: they read far past its end
WINDOWS = as_strided(numpy.zeros(4), shape=(2**30,), strides=(4096,)).sum()
"""


def copy_project(destination: Path, project: str) -> Path:
    """A student who hands in ``project`` of the reference alone (at ``destination``)."""
    student = copy_reference(destination)
    shutil.rmtree(student / ("pairs" if project == "framework" else "framework"))
    return student


def make_class(folder: Path) -> dict[str, tuple[str, str]]:
    """Write a class of 30 into ``folder``: student -> (status, score: "full", "zero" or "partial").

    A student whose mistake is in one project hands in that project alone: the other one, graded
    in full five times already (the copies of the reference), would add nothing but time."""
    expected = {}
    for number in range(1, 4):  # with the zipped one and the notebooks, five copies of the reference
        copy_reference(folder / f"reference{number}")
        expected[f"reference{number}"] = ("graded", "full")
    shutil.copytree(ROOT / "exercises", folder / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    expected["exercises"] = ("graded", "zero")
    for number, mutant in enumerate(CLASS_MUTANTS):
        student = copy_project(folder / f"mutant{number:02d}", mutant.file.partition("/")[0])
        for old, new in mutant.edits:
            edit(student, mutant.file, old, new)
        expected[f"mutant{number:02d}"] = ("graded", "partial")
    broken = copy_project(folder / "syntax_error", "framework")
    edit(broken, "framework/linear.py", "def backward(self, grad_output", "def backward(self grad_output")
    missing = copy_project(folder / "missing_file", "pairs")
    (missing / "pairs" / "models.py").unlink()
    copy_project(folder / "pairs_only", "pairs")
    hanging = copy_project(folder / "hanging", "framework")
    edit(hanging, *HANG)
    hog = copy_project(folder / "memory_hog", "framework")  # the memory limit refuses the allocation: its checks fail
    edit(hog, *HOG)
    # The worker reports SystemExit: a note, and the checks of the file lost.
    quits = copy_project(folder / "exits_at_import", "pairs")
    with open(quits / "pairs" / "training.py", "a") as stream:
        stream.write('\n\nraise SystemExit("done")\n')
    crashes = copy_project(folder / "segfault_at_import", "pairs")  # the child dies of SIGSEGV: crashed
    with open(crashes / "pairs" / "training.py", "a") as stream:
        stream.write(SEGFAULT)
    expected |= {name: ("graded", "partial") for name in ("syntax_error", "missing_file", "pairs_only", "memory_hog")}
    expected |= {"exits_at_import": ("graded", "partial"), "hanging": ("timed out", "partial")}
    expected["segfault_at_import"] = ("crashed", "partial")
    zip_folder(copy_reference(folder / "zipped.tmp"), folder / "zipped.zip", prefix="zipped/")
    shutil.rmtree(folder / "zipped.tmp")
    expected["zipped"] = ("graded", "full")
    write_zip(folder / "zip_escape.zip", {"framework/linear.py": b"x = 1", "../../evil.py": b"x = 1"})
    (folder / "no_project").mkdir()
    (folder / "no_project" / "answers.txt").write_text("42")
    (folder / "essay.pdf").write_bytes(b"%PDF-1.4")
    expected |= {name: ("not a submission", "zero") for name in ("zip_escape", "no_project", "essay.pdf")}
    (folder / "notebooks").mkdir()
    for project in ("framework", "pairs"):
        shutil.copy(NOTEBOOKS / project / f"{project}.ipynb", folder / "notebooks")
    expected["notebooks"] = ("graded", "full")
    stub_notebook(NOTEBOOKS / "framework" / "framework.ipynb", folder / "notebook_stubs.ipynb")
    expected["notebook_stubs"] = ("graded", "zero")
    return expected


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory) -> tuple[Path, dict[str, tuple[str, str]], subprocess.CompletedProcess]:
    """The class graded by ``grade-class`` with ``CLASS_OPTIONS``: its OUT, the expectations, the process."""
    folder = tmp_path_factory.mktemp("class")
    expected = make_class(folder / "submissions")
    process = kit("grade-class", str(folder / "submissions"), "--out", str(folder / "out"), *CLASS_OPTIONS)
    return folder / "out", expected, process


@pytest.mark.grading
def test_a_class_of_30_gets_the_right_status_totals_that_add_up_and_full_marks_for_the_reference(graded_class):
    out, expected, process = graded_class
    assert len(expected) >= 30
    assert process.returncode == 0, process.stdout + process.stderr
    table = {row["student"]: row for row in gradebook.read_gradebook(out / batch.GRADEBOOK)}
    assert sorted(table) == sorted(expected)
    assert {row["max_score"] for row in table.values()} == {f"{manifest.TOTAL:g}"}
    problems = []
    for student, (status, score) in expected.items():
        row = table[student]
        results = json.loads((out / student / "results.json").read_text())
        total = float(row["total"])
        if row["status"] != status:
            problems.append(f"{student}: {row['status']}, expected {status}")
        if not total == results["score"] == sum(test["score"] for test in results["tests"]):
            problems.append(f"{student}: total {total}, results {results['score']}")
        if total != sum(float(row[task.name]) for task in manifest.TASKS):
            problems.append(f"{student}: the task columns do not add up to {total}")
        if len(results["tests"]) != len(manifest.CHECKS) or results["max_score"] != manifest.TOTAL:
            problems.append(f"{student}: results.json does not list every check of the manifest")
        wanted = {"full": total == manifest.TOTAL, "zero": total == 0, "partial": 0 < total < manifest.TOTAL}[score]
        if not wanted:
            problems.append(f"{student}: {total:g} points, expected {score}")
        if not (out / student / "feedback.txt").read_text().startswith(f"score of {student}"):
            problems.append(f"{student}: feedback.txt")
    assert not problems, "\n".join(problems)
    feedback = (out / "hanging" / "feedback.txt").read_text()
    assert "FAILED activations.sigmoid_stable" in feedback and "took longer than" in feedback
    assert "refused" in (out / "zip_escape" / "feedback.txt").read_text()
    assert "killed by SIGSEGV" in (out / "segfault_at_import" / "feedback.txt").read_text()
    assert f"{len(expected)} students (0 unchanged" in process.stdout


@pytest.mark.grading
def test_grading_the_class_again_skips_every_student(graded_class):
    out, expected, _ = graded_class
    before = {name: (out / name / "results.json").stat().st_mtime_ns for name in expected}
    again = kit("grade-class", str(out.parent / "submissions"), "--out", str(out), *CLASS_OPTIONS)
    assert again.returncode == 0 and f"{len(expected)} students ({len(expected)} unchanged" in again.stdout
    assert before == {name: (out / name / "results.json").stat().st_mtime_ns for name in expected}


@pytest.mark.browser
@pytest.mark.grading
def test_the_class_report_renders_in_chromium_offline_with_its_figures(graded_class, tmp_path):
    from test_slides import CHROMIUM, CHROMIUM_ARGS, browser_or_skip

    out, _, _ = graded_class
    sync_playwright = browser_or_skip()
    requests, problems = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, "--headless"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda request: requests.append(request.url))
            page.on("console", lambda message: message.type == "error" and problems.append(message.text))
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.goto((out / batch.REPORT).as_uri())
            page.wait_for_load_state("load")
            figures = page.evaluate(
                "[...document.images].map(i => [i.alt, i.complete, i.naturalWidth, i.naturalHeight])"
            )
            headings = page.locator("h2").all_inner_texts()
            failures = page.locator("h2:has-text('Most frequent failures') + .scroll tbody tr").count()
            width = page.evaluate("document.documentElement.scrollWidth")
            gradebook_box = page.locator("h2:has-text('Gradebook') + .scroll")
            columns = gradebook_box.locator("th").all_inner_texts()
            fits = gradebook_box.evaluate("e => [e.scrollWidth, e.clientWidth, e.getBoundingClientRect().right]")
            similar = page.locator("h2:has-text('Similar submissions') + p + .scroll tbody tr").all_inner_texts()
            SHOTS.mkdir(parents=True, exist_ok=True)
            gradebook_box.screenshot(path=str(SHOTS / "gradebook.png"))
            page.locator("h2:has-text('Similar submissions')").scroll_into_view_if_needed()
            page.screenshot(path=str(SHOTS / "similar.png"))
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
            shutil.copy(out / batch.REPORT, SCREENSHOT.with_suffix(".html"))
        finally:
            browser.close()
    assert not problems, problems
    assert [url for url in requests if not url.startswith(("file:", "data:"))] == []
    assert [alt for alt, *_ in figures] == ["histogram of the scores", "pass rate per task", "pass rate per check"]
    assert all(complete and width > 300 and height > 100 for _, complete, width, height in figures), figures
    assert headings[:3] == ["Scores", "Pass rate per task", "Pass rate per check"] and failures > 5
    assert width <= 1280, f"the page is {width} px wide: a table overflows"
    tasks = gradebook.columns(gradebook.read_class(out))
    assert [name.strip() for name in columns] == ["student", *tasks, "total", "max_score", "status", "seconds"]
    assert fits[0] <= fits[1] and fits[2] <= 1280, f"the gradebook scrolls: {fits} (scroll width, width, right edge)"
    assert any("reference1\treference2" in row for row in similar), similar  # copies of one solution


# A small class: resumed after a kill, and fanned out as a job array ---------------------------------


def make_small_class(folder: Path) -> Path:
    """Seven students graded quickly on SMALL_TASKS: the reference, the exercises, mistakes, a non-submission."""
    for number in range(1, 4):
        copy_reference(folder / f"reference{number}")
    shutil.copytree(ROOT / "exercises", folder / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    chosen = {"sign": "linear: wrong sign of the input gradient", "momentum": "sgd: momentum buffer never updated"}
    for name, mutant in ((name, next(m for m in MUTANTS if m.name == wanted)) for name, wanted in chosen.items()):
        student = copy_reference(folder / name)
        for old, new in mutant.edits:
            edit(student, mutant.file, old, new)
    (folder / "empty").mkdir()
    return folder


@pytest.fixture(scope="module")
def small_class(tmp_path_factory) -> tuple[Path, Path]:
    """The small class and its gradebook from one uninterrupted grade-class run."""
    folder = tmp_path_factory.mktemp("small")
    submissions = make_small_class(folder / "submissions")
    process = kit("grade-class", str(submissions), "--out", str(folder / "out"), "--jobs", "2", "-m", SMALL_TASKS)
    assert process.returncode == 0, process.stdout + process.stderr
    return submissions, folder / "out" / batch.GRADEBOOK


@pytest.mark.grading
def test_a_run_killed_halfway_and_run_again_gives_the_same_gradebook(small_class, tmp_path):
    submissions, uninterrupted = small_class
    out = tmp_path / "out"
    command = [sys.executable, "-m", "autograder", "grade-class", str(submissions), "--out", str(out)]
    command += ["--jobs", "1", "-m", SMALL_TASKS]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 600
    while len(list(out.glob("*/grading.json"))) < 3 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done = sorted(path.parent.name for path in out.glob("*/grading.json"))
    count = len(intake.entries(submissions))
    assert 3 <= len(done) < count and not (out / batch.GRADEBOOK).exists()
    resumed = kit("grade-class", str(submissions), "--out", str(out), "--jobs", "2", "-m", SMALL_TASKS)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"{count} students ({len(done)} unchanged" in resumed.stdout
    assert without_seconds(out / batch.GRADEBOOK) == without_seconds(uninterrupted)


def side_by_side(run: Callable[[int], subprocess.CompletedProcess], count: int) -> list[subprocess.CompletedProcess]:
    """``run(index)`` for every index, two at a time, as a cluster runs an array's tasks side by side."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(run, range(count)))


@pytest.mark.grading
def test_the_kubernetes_job_command_run_for_every_index_then_merge_gives_the_same_gradebook(small_class, tmp_path):
    yaml = pytest.importorskip("yaml")
    submissions, uninterrupted = small_class
    job = yaml.safe_load((CLUSTER / "grade-class-job.yaml").read_text())
    assert job["kind"] == "Job" and job["spec"]["completionMode"] == "Indexed"
    [container] = job["spec"]["template"]["spec"]["containers"]
    shell, flag, line = container["command"]
    assert (shell, flag) == ("sh", "-c") and line.startswith("exec python -m autograder grade-class /class/submissions")
    line = line.replace("exec python ", f"exec {sys.executable} ").replace("/class/", f"{tmp_path}/class/")
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "submissions").symlink_to(submissions)

    def pod(index: int) -> subprocess.CompletedProcess:
        env = os.environ | {"JOB_COMPLETION_INDEX": str(index), "GRADE_OPTIONS": f"-m {SMALL_TASKS}"}
        return subprocess.run([shell, flag, line], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)

    for process in side_by_side(pod, len(intake.entries(submissions))):
        assert process.returncode == 0, process.stdout + process.stderr
    merged = kit("merge", str(tmp_path / "class" / "out"))
    assert merged.returncode == 0, merged.stderr
    assert without_seconds(tmp_path / "class" / "out" / batch.GRADEBOOK) == without_seconds(uninterrupted)


# Gradescope, in its layout rebuilt here -----------------------------------------------------------


@pytest.mark.grading
def test_run_autograder_in_gradescopes_layout_grades_the_reference_the_exercises_and_a_broken_one(tmp_path):
    made = kit("gradescope", "--out", str(tmp_path / "autograder.zip"))
    assert made.returncode == 0, made.stderr
    broken = copy_project(tmp_path / "broken", "framework")
    edit(broken, "framework/optim.py", "def step(self", "def step(self,,")
    submissions = {"reference": ROOT / "reference", "exercises": ROOT / "exercises", "broken": broken}
    scores = {}
    for name, submission in submissions.items():
        root = tmp_path / f"gradescope-{name}" / "autograder"
        with zipfile.ZipFile(tmp_path / "autograder.zip") as zipped:
            zipped.extractall(root / "source")
        for script in ("run_autograder", "setup.sh"):
            (root / "source" / script).chmod(0o755)
        shutil.copytree(submission, root / "submission", ignore=shutil.ignore_patterns("__pycache__"))
        (root / "results").mkdir()
        shutil.copy(root / "source" / "run_autograder", root / "run_autograder")  # where Gradescope puts it
        env = os.environ | {"GRADESCOPE_ROOT": str(root), "GRADESCOPE_PYTHON": sys.executable}
        process = subprocess.run(
            [str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True, timeout=1200
        )
        assert process.returncode == 0, process.stdout + process.stderr
        results = json.loads((root / "results" / "results.json").read_text())
        assert results["max_score"] == manifest.TOTAL and len(results["tests"]) == len(manifest.CHECKS)
        assert results["score"] == sum(test["score"] for test in results["tests"])
        scores[name] = results["score"]
    assert scores["reference"] == manifest.TOTAL and scores["exercises"] == 0
    assert 0 < scores["broken"] < manifest.TOTAL
