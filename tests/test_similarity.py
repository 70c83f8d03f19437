"""The similarity report: disguised copies are flagged with their source, independent solutions are not.

What "independent" means here: the kit's equivalent solutions (tests/equivalents) are each
the reference with a few functions rewritten, so built whole they are copies of most of
the reference, and score 0.88 to 1.0 with it. Their independent part is what they rewrote:
an independent student here is the scaffold (``exercises/``) with one equivalent's changes
made, and the reference itself is one more student: 44 students, 946 pairs.

Measured (fingerprints of 19 tokens, the kit's removed): the written parts hold 0 to 224
fingerprints (the reference 224). Between independent students, 99% of the pairs score
0.17 or less; the highest is 0.38 (19 fingerprints in common: a rewritten file that keeps
a few of the reference's lines), the next 0.28 (8 in common); that one pair alone shares
``MIN_SHARED`` (15) fingerprints. A disguised copy (``disguise``: variables and parameters
renamed, functions reordered, comments added, the layout of ``ast.unparse``) scores 0.97
to 1.0 with its source when the source wrote 30 fingerprints or more (13 students), and
0.76 to 1.0 below that; a copy of a part under 2 x MIN_SHARED fingerprints (a function or
two) may share too few to be flagged, by design.
``similarity.THRESHOLD`` (0.5) lies between.

No grading here: the similarity step reads folders.
"""

from __future__ import annotations

import ast
import shutil
import sys
from pathlib import Path

import pytest
from grading import ROOT, copy_reference

from autograder import manifest
from autograder.__main__ import main
from autograder.classroom import batch, report, similarity
from autograder.judge.report import Report
from autograder.judge.runner import Outcome

sys.path.insert(0, str(ROOT / "tests" / "equivalents"))
from equivalent import Equivalent, apply, build
from framework_equivalents import FRAMEWORK
from pairs_equivalents import PAIRS

EQUIVALENTS: tuple[Equivalent, ...] = FRAMEWORK + PAIRS
INDEPENDENT_AT_MOST = 0.45  # the highest score measured between independent solutions is 0.38
COPY_AT_LEAST = 0.9
COPIED_FROM = 2 * similarity.MIN_SHARED  # the written parts that get a disguised copy: this many fingerprints


class Renamer(ast.NodeTransformer):
    """Rename every parameter and local variable of each function, as a student hiding a copy does."""

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        """Rename the function's own names (parameters, assigned names) everywhere in its body."""
        arguments = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
        local = {argument.arg for argument in arguments} - {"self", "cls"}
        local |= {name.id for name in ast.walk(node) if isinstance(name, ast.Name) and isinstance(name.ctx, ast.Store)}
        renamed = {name: f"my_{name}_{len(name)}" for name in local}
        for part in ast.walk(node):
            if isinstance(part, ast.Name) and part.id in renamed:
                part.id = renamed[part.id]
            elif isinstance(part, ast.arg) and part.arg in renamed:
                part.arg = renamed[part.arg]
        return node


def reordered(body: list[ast.stmt]) -> list[ast.stmt]:
    """``body`` with its functions in reverse order, in the places functions held; classes' too."""
    for node in body:
        if isinstance(node, ast.ClassDef):
            node.body = reordered(node.body)
    functions = [node for node in body if isinstance(node, ast.FunctionDef)]
    backwards = iter(reversed(functions))
    return [next(backwards) if isinstance(node, ast.FunctionDef) else node for node in body]


def disguise(source: str) -> str:
    """``source`` with renamed variables, reordered functions, new comments and another layout."""
    tree = ast.parse(source)
    tree.body = reordered(tree.body)
    lines = ast.unparse(Renamer().visit(tree)).splitlines()  # unparse: another layout, no comments
    commented = [f"{line}  # see my notes" if line.rstrip().endswith(":") else line for line in lines]
    return "\n\n".join(commented) + "\n"


def disguised_copy(source: Path, destination: Path) -> Path:
    """A copy of the submission ``source`` with every Python file disguised."""
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns("__pycache__"))
    for path in similarity.python_files(destination):
        path.write_text(disguise(path.read_text()))
    return destination


def scaffold_with(equivalent: Equivalent, destination: Path) -> Path:
    """The scaffold with ``equivalent``'s changes made: only what that solution rewrote is written."""
    shutil.copytree(ROOT / "exercises", destination, ignore=shutil.ignore_patterns("__pycache__"))
    apply(equivalent.changes, destination)
    return destination


@pytest.fixture(scope="module")
def independent(tmp_path_factory) -> dict[str, Path]:
    """The reference once, and the scaffold completed by each equivalent's rewritten code."""
    folder = tmp_path_factory.mktemp("independent")
    students = {"reference": copy_reference(folder / "reference")}
    for equivalent in EQUIVALENTS:
        students[equivalent.name] = scaffold_with(equivalent, folder / equivalent.name)
    return students


@pytest.fixture(scope="module")
def copies(independent, tmp_path_factory) -> dict[str, tuple[Path, str]]:
    """Disguised copies of the students with COPIED_FROM fingerprints or more: copy -> (its folder, its source)."""
    folder = tmp_path_factory.mktemp("copies")
    sources = [name for name, path in independent.items() if len(similarity.written(name, path).hashes) >= COPIED_FROM]
    assert len(sources) > 10
    return {
        f"copy_of_{name}": (disguised_copy(independent[name], folder / f"copy_of_{name}"), name) for name in sources
    }


def test_every_disguised_copy_is_flagged_with_its_source_and_no_independent_pair_is(independent, copies):
    students = independent | {copy: path for copy, (path, _) in copies.items()}
    found = similarity.of_folders(students)
    flagged = {frozenset((pair.first.student, pair.second.student)): pair.score for pair in found.pairs}
    assert set(flagged) == {frozenset((copy, source)) for copy, (_, source) in copies.items()}, flagged
    assert min(flagged.values()) >= COPY_AT_LEAST
    assert found.compared == len(students)


def test_independent_solutions_score_low_and_whole_equivalents_are_copies_of_the_reference(independent, tmp_path):
    written = [similarity.written(name, path) for name, path in independent.items()]
    everything = similarity.compare(written, threshold=0.0)
    scores = [pair.score for pair in everything.pairs]
    assert scores and max(scores) <= INDEPENDENT_AT_MOST
    whole = similarity.written("whole", build(EQUIVALENTS[0], tmp_path / "whole"))
    [pair] = similarity.compare([written[0], whole]).pairs
    assert pair.score >= COPY_AT_LEAST


def test_the_kit_alone_is_no_written_code_and_a_copy_matches_function_by_function(tmp_path):
    assert not similarity.written("exercises", ROOT / "exercises").hashes
    source = copy_reference(tmp_path / "source")
    copy = disguised_copy(source, tmp_path / "copy")
    assert (copy / "framework" / "linear.py").read_text() != (source / "framework" / "linear.py").read_text()
    [pair] = similarity.of_folders({"source": source, "copy": copy}).pairs
    matches = {(match.first.file, match.first.name): match for match in pair.matches()}
    backward = matches["framework/linear.py", "Linear.backward"]
    assert (backward.second.file, backward.second.name) == ("framework/linear.py", "Linear.backward")
    assert backward.first_lines and backward.second_lines
    unit = backward.first
    assert all(unit.first <= line <= unit.last for line in backward.first_lines)


def test_names_comments_layout_and_docstrings_do_not_change_the_tokens_but_attributes_do():
    original = 'def f(x, y):\n    """Add."""\n    return x.grad + y  # sum\n'
    disguised = "def g(a,\n      b):\n    # a note\n\n    return a.grad + \\\n        b\n"
    assert [text for text, _ in similarity.tokens(original)] == [text for text, _ in similarity.tokens(disguised)]
    assert similarity.tokens("x.grad") != similarity.tokens("x.data")


def test_the_report_section_shows_each_pair_side_by_side_and_what_the_score_means(tmp_path):
    source = copy_reference(tmp_path / "alice")
    copy = disguised_copy(source, tmp_path / "bob")
    found = similarity.of_folders({"alice": source, "bob": copy})
    section = report.similar_section(found)
    assert f"alice and bob: {found.pairs[0].score:.0%}" in section
    assert "<mark>" in section and "Linear.backward" in section
    assert "share of the smaller" in section
    assert "Not compared" in report.similar_section(None)


def test_copies_of_one_source_are_one_group_and_the_report_names_it(independent, tmp_path):
    source = copy_reference(tmp_path / "alice")
    students = {"alice": source, "bob": disguised_copy(source, tmp_path / "bob")}
    students["carol"] = disguised_copy(students["bob"], tmp_path / "carol")
    other = next(name for name in independent if name != "reference")
    students["dave"] = independent[other]
    found = similarity.of_folders(students)
    assert len(found.pairs) == 3
    assert found.groups() == [["alice", "bob", "carol"]]
    assert "<li>alice, bob, carol</li>" in report.similar_section(found)


def test_merge_with_the_submissions_folder_compares_the_students_in_its_report(tmp_path):
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    copy_reference(submissions / "alice")
    disguised_copy(submissions / "alice", submissions / "bob")
    shutil.copytree(ROOT / "exercises", submissions / "carol", ignore=shutil.ignore_patterns("__pycache__"))
    for student in ("alice", "bob", "carol"):
        outcomes = {check.name: Outcome("passed") for check in manifest.checks_of(("linear",))}
        Report(student, ("linear",), outcomes).write_gradescope(out / student / "results.json")
    assert main(["merge", str(out), "--submissions", str(submissions)]) == 0
    page = (out / batch.REPORT).read_text()
    assert "3 students compared" in page and "<details open><summary>alice and bob: " in page
    assert main(["merge", str(out)]) == 0
    assert "Not compared" in (out / batch.REPORT).read_text()


def test_a_file_too_large_to_be_an_answer_is_left_out_of_the_comparison(tmp_path):
    source = copy_reference(tmp_path / "source")
    padded = tmp_path / "padded"
    shutil.copytree(source, padded)
    (padded / "framework" / "padding.py").write_text("x = 1\n" * (similarity.MAX_FILE_BYTES // 6 + 1))
    files = {path.relative_to(padded).as_posix() for path in similarity.python_files(padded)}
    assert "framework/padding.py" not in files and "framework/linear.py" in files
    [pair] = similarity.of_folders({"source": source, "padded": padded}).pairs
    assert pair.score == 1.0
