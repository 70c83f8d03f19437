"""The nbgrader notebooks: generated from reference/, current, valid, and graded end to end by nbgrader."""

import csv
import re
import shutil
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
import torch
from alembic.script import ScriptDirectory
from nbgrader import api as gradebook_api
from nbgrader.apps import ExportApp, NbGraderAPI
from nbgrader.dbutil import ALEMBIC_DIR
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.utils import capture_log
from traitlets.config.loader import PyFileConfigLoader

from autograder import exercises, notebooks
from autograder.__main__ import main
from autograder.exercises import BEGIN, REFERENCE, solution_lines, strip_solutions
from autograder.kernel import check, notebook_findings
from autograder.manifest import CHECKS, TASKS_BY_NAME, TOTAL
from autograder.named_stubs import NamedStubs

ROOT = Path(__file__).resolve().parent.parent
AUTOGRADER = ROOT / "autograder"
COMPLETE, UNTOUCHED = "complete", "untouched"  # the reference-complete notebook, the release as released
EPOCHS = re.compile(r"\bepochs=\d+")  # the setting of a not-graded demonstration cell's training


def read(project, folder=notebooks.SOURCE):
    """A project's notebook under ``folder`` (source or release)."""
    return nbformat.read(folder / project / f"{project}.ipynb", as_version=4)


def nbgrader_cells(notebook, key):
    """The cells whose nbgrader metadata has ``key`` true."""
    return [cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get(key)]


def manifest_points(project):
    """nbgrader test cell id -> points of every check of a project in the manifest."""
    return {
        notebooks.grade_id(item.name): item.points for item in CHECKS if TASKS_BY_NAME[item.task].project == project
    }


def project_total(project):
    """The points of a project's checks in the manifest."""
    return sum(manifest_points(project).values())


def named_stubs(lines):
    """The stubs' raise lines among ``lines``, stripped and sorted."""
    return sorted(line.strip() for line in lines if line.strip().startswith('raise NotImplementedError("task '))


def exercise_stubs(project):
    """The raise lines of a project's stubs in exercises/."""
    return named_stubs(
        line for path in (exercises.EXERCISES / project).glob("*.py") for line in path.read_text().splitlines()
    )


def release_stubs(notebook):
    """The raise lines of a released notebook's stubs; nbgrader's bare stub must not be among its lines."""
    lines = [line for cell in nbgrader_cells(notebook, "solution") for line in cell.source.splitlines()]
    assert "raise NotImplementedError()" not in {line.strip() for line in lines}
    return named_stubs(lines)


def test_the_notebooks_are_current():
    assert notebooks.compare() == [], "run: python -m autograder build-notebooks"


def test_the_check_command_passes(capsys):
    assert main(["build-notebooks", "--check"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_a_build_is_byte_identical_and_reports_stale_notebooks(tmp_path):
    assert sorted(notebooks.build(tmp_path)) == [f"{project}/{project}.ipynb" for project in sorted(notebooks.PROJECTS)]
    for project in notebooks.PROJECTS:
        name = f"{project}/{project}.ipynb"
        assert (tmp_path / name).read_bytes() == (notebooks.SOURCE / name).read_bytes()
    assert notebooks.build(tmp_path) == []
    (tmp_path / "pairs" / "pairs.ipynb").write_text("{}")
    assert notebooks.compare(tmp_path) == ["pairs/pairs.ipynb"]


@pytest.mark.parametrize("project", notebooks.PROJECTS)
def test_a_notebook_is_valid_and_worth_the_manifests_points(project):
    notebook = read(project)
    nbformat.validate(notebook)
    MetadataValidator().validate_nb(notebook)
    graded = [cell.metadata.nbgrader for cell in nbgrader_cells(notebook, "grade")]
    assert {metadata.grade_id: metadata.points for metadata in graded} == manifest_points(project)
    assert sum(metadata.points for metadata in graded) == project_total(project)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)


def test_the_notebooks_together_are_worth_the_manifests_total():
    assert sum(map(project_total, notebooks.PROJECTS)) == TOTAL


@pytest.mark.parametrize("project", notebooks.PROJECTS)
def test_the_release_names_each_stub_as_the_py_exercises_do(project):
    released, _ = NamedStubs().preprocess(read(project), {"nbgrader": {"notebook": project}})
    assert release_stubs(released) == exercise_stubs(project) != []


@pytest.mark.parametrize("project", notebooks.PROJECTS)
def test_every_solution_region_is_in_a_solution_cell(project):
    notebook = read(project)
    solution_sources = [cell.source for cell in nbgrader_cells(notebook, "solution")]
    assert all(BEGIN in source for source in solution_sources)
    assert not any(BEGIN in cell.source for cell in notebook.cells if cell.source not in solution_sources)
    expected = [line for path in sorted((REFERENCE / project).glob("*.py"))
                for _, line in solution_lines(path.read_text())]  # fmt: skip
    found = [line for source in solution_sources for _, line in solution_lines(source)]
    assert sorted(found) == sorted(expected)


@pytest.mark.parametrize(
    ("outline", "message"),
    [
        ("<!-- imports -->\n<!-- grading -->\n<!-- module: nowhere -->", r"reference/pairs/nowhere.py does not exist"),
        ("<!-- imports -->\n<!-- grading -->\n<!-- modules: models -->", r"outline.md:3: unknown directive"),
        ("<!-- imports -->\n<!-- grading -->", r"solution regions not inserted: data, models, training"),
        ("<!-- imports -->\n<!-- module: models -->\n<!-- module: training -->", r"<!-- grading --> must appear"),
        (
            "<!-- imports -->\n<!-- grading -->\n<!-- module: data -->\n<!-- module: models -->\n"
            "<!-- module: training -->\n<!-- tests: models -->",
            r"must name the tasks of pairs once each, in this order: pair_data, models",
        ),
        ("intro\n```python\nx = 1\n", r"outline.md:2: code block never closed"),
    ],
)
def test_a_bad_outline_is_refused_with_a_clear_message(outline, message):
    with pytest.raises(notebooks.OutlineError, match=message):
        notebooks.notebook_cells("pairs", outline, "outline.md")


class Cheating:
    """A module whose forward borrows PyTorch's layers."""

    def forward(self, x):
        return torch.nn.functional.relu(x)


Cheating.__module__ = "__main__"  # as if defined in a notebook


@dataclass
class Record:
    """A dataclass: its generated methods have no source to scan."""

    values: list


Record.__module__ = "__main__"


def test_the_notebook_scan_reads_the_notebooks_classes_and_functions_back():
    assert notebook_findings(SimpleNamespace(torch=torch, Record=Record), "framework") == []
    findings = notebook_findings(SimpleNamespace(torch=torch, Record=Record, Cheating=Cheating), "framework")
    assert [finding.message.split(":")[0] for finding in findings] == ["torch.nn"]


def test_a_kernel_check_gives_the_students_message():
    from reference import framework

    namespace = SimpleNamespace(**vars(framework))
    assert check("loss.forward", namespace) is None
    del namespace.MSELoss
    message = check("loss.forward", namespace)
    assert message.startswith("MSELoss is the mean") and "MSELoss is not defined" in message


def nbgrader_api(folder):
    """nbgrader's Python API with the configuration its commands read in ``folder``: its nbgrader_config.py.

    The steps run in this process, where nbgrader, the kit and torch are imported once, not once a
    command (seconds each); autograde still runs every notebook in a fresh kernel, as the command does.
    """
    config = PyFileConfigLoader("nbgrader_config.py", path=str(folder)).load_config()
    return NbGraderAPI(config=config)


def alembic_head():
    """The gradebook schema's newest revision, as ``alembic heads`` prints it, read in this process.

    nbgrader runs that command when it creates a gradebook: a Python start-up that took 6 s on a busy CPU.
    """
    return ScriptDirectory(ALEMBIC_DIR).get_current_head()


def succeeded(result):
    """Assert that a step of nbgrader's API succeeded, showing its log and traceback if not."""
    assert result["success"], result.get("log", "") + result.get("error", "")


def quick_demonstrations(notebook):
    """``notebook`` with its editable, not-graded cells training for one epoch, as a student may set them.

    The demonstrations train for seconds (the framework's for 200 epochs); the test cells train
    what they check themselves, so the points do not change.
    """
    for cell in notebook.cells:
        if cell.cell_type == "code" and "nbgrader" not in cell.metadata:
            cell.source = EPOCHS.sub("epochs=1", cell.source)
    return notebook


def submit(course, student, project, notebook):
    """Put ``notebook`` in nbgrader's submitted folder as ``student``'s hand-in of ``project``."""
    submission = course / "submitted" / student / project
    submission.mkdir(parents=True)
    nbformat.write(notebook, submission / f"{project}.ipynb")


def round_trip(api, course):
    """Release both assignments, submit them for two students, autograde and export the grades."""
    for project in notebooks.PROJECTS:
        succeeded(api.generate_assignment(project))
    with api.gradebook as gradebook:
        for student in (COMPLETE, UNTOUCHED):
            gradebook.add_student(student)
    for project in notebooks.PROJECTS:
        submit(course, COMPLETE, project, quick_demonstrations(read(project, course / "source")))
        submit(course, UNTOUCHED, project, read(project, course / "release"))
        for student in (COMPLETE, UNTOUCHED):
            succeeded(api.autograde(project, student))
    succeeded(capture_log(ExportApp(coursedir=api.coursedir, parent=api)))
    for project in notebooks.PROJECTS:
        succeeded(api.generate_feedback(project))


def errors(notebook):
    """The names of the exceptions that a notebook's cells raised."""
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    return [output.ename for output in outputs if output.output_type == "error"]


def leaked_lines(project, notebook):
    """Solution lines of the reference that appear in a notebook but nowhere in the reference's scaffold."""
    sources = [path.read_text() for path in (REFERENCE / project).glob("*.py")]
    scaffold = {line.strip() for source in sources for line in strip_solutions(source, project).splitlines()}
    present = {line.strip() for cell in notebook.cells for line in cell.source.splitlines()} - scaffold
    return [line.strip() for source in sources for _, line in solution_lines(source) if line.strip() in present]


def autograded_scores(gradebook):
    """(student, assignment) -> {test cell: points scored}, read from nbgrader's SQLite gradebook."""
    query = (
        "SELECT student.id, assignment.name, base_cell.name, grade.auto_score FROM grade "
        "JOIN base_cell ON grade.cell_id = base_cell.id "
        "JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id "
        "JOIN submitted_assignment ON submitted_notebook.assignment_id = submitted_assignment.id "
        "JOIN student ON submitted_assignment.student_id = student.id "
        "JOIN assignment ON submitted_assignment.assignment_id = assignment.id"
    )
    scores = {}
    with closing(sqlite3.connect(gradebook)) as database:
        for student, assignment, cell, score in database.execute(query):
            scores.setdefault((student, assignment), {})[cell] = score
    return scores


@pytest.mark.nbgrader
@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")  # nbgrader's autograde of a new hand-in warns so
def test_the_nbgrader_round_trip(tmp_path, capsys, monkeypatch):
    assert exercises.compare() == ([], []), "the notebooks import the exercises package: run build-exercises"
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    shutil.copytree(notebooks.SOURCE, tmp_path / "course" / "source")
    monkeypatch.setattr(gradebook_api, "get_alembic_version", alembic_head)
    # the kernels compute on one thread, as the autograder's workers do: on a busy CPU a second thread
    # mostly waits for its turn, and the disk check's tiny steps took 20 times longer
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    start = time.perf_counter()
    round_trip(nbgrader_api(tmp_path), tmp_path / "course")
    with capsys.disabled():
        print(f"\nnbgrader round trip, 2 assignments x 2 students: {time.perf_counter() - start:.1f} s")

    with open(tmp_path / "course" / "grades.csv", newline="") as file:
        exported = {(row["student_id"], row["assignment"]): float(row["score"]) for row in csv.DictReader(file)}
    scores = autograded_scores(tmp_path / "course" / "gradebook.db")
    for project in notebooks.PROJECTS:
        release = read(project, tmp_path / "course" / "release")
        assert errors(read(project, tmp_path / "course" / "autograded" / COMPLETE)) == []
        assert leaked_lines(project, release) == []
        assert release_stubs(release) == exercise_stubs(project)
        assert scores[COMPLETE, project] == manifest_points(project)
        assert exported[COMPLETE, project] == project_total(project)
        assert not any(scores[UNTOUCHED, project].values())
        assert exported[UNTOUCHED, project] == 0
        feedback = (tmp_path / "course" / "feedback" / UNTOUCHED / project / f"{project}.html").read_text()
        assert "not implemented yet" in feedback
        assert "autograder/judge" not in feedback and "expected = " not in feedback
