"""The exercise generator: stubs in place of solutions, nothing else changed, nothing leaked."""

import ast
import importlib
import inspect
import itertools
import json
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import exercises, manifest
from autograder.exercises import BEGIN, END, MarkerError, strip_solutions

pytestmark = pytest.mark.usefixtures("fixed_secrets")


def test_exercises_are_up_to_date():
    assert exercises.compare() == ([], []), "run: python -m autograder build-exercises"


def test_regions_become_indented_stubs_naming_their_task_and_function():
    source = f"class Linear:\n    def forward(self, x):\n        y = 1\n        {BEGIN}\n        return x + y\n"
    source += f"        {END}\n"
    assert strip_solutions(source, "reference/framework/linear.py") == (
        "class Linear:\n    def forward(self, x):\n        y = 1\n        # YOUR CODE HERE\n"
        '        raise NotImplementedError("task linear: write Linear.forward")\n'
    )


def test_every_stub_belongs_to_a_task_of_the_manifest():
    tasks = {task.name for task in manifest.TASKS}
    stubs = exercises.all_stubs()
    assert stubs and all(stub.task in tasks for stub in stubs), [stub for stub in stubs if stub.task not in tasks]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (f"{BEGIN}\nx = 1\n{BEGIN}\ny = 2\n{END}\n", r"m.py:3: .*inside the region opened at line 1"),
        (f"x = 1\n{END}\n", r"m.py:2: ### END SOLUTION without"),
        (f"x = 1\n  {BEGIN}\ny = 2\n", r"m.py:2: ### BEGIN SOLUTION is never closed"),
        (f"{BEGIN}\n{END}\n", r"m.py:1: empty solution region"),
    ],
)
def test_unbalanced_markers_are_refused_with_file_and_line(source, message):
    with pytest.raises(MarkerError, match=message):
        strip_solutions(source, "m.py")


def test_a_change_inside_a_solution_region_makes_the_check_fail(tmp_path):
    reference = tmp_path / "reference"
    shutil.copytree(exercises.REFERENCE, reference, ignore=shutil.ignore_patterns("__pycache__"))
    assert exercises.compare(exercises.EXERCISES, reference) == ([], [])
    linear = reference / "framework" / "linear.py"
    linear.write_text(
        linear.read_text().replace("return grad_output @ self.weight", "return grad_output.mm(self.weight)")
    )
    assert exercises.compare(exercises.EXERCISES, reference)[0] == [exercises.DIGEST_FILE]


def test_build_refuses_to_overwrite_edited_files_unless_forced(tmp_path):
    target = tmp_path / "exercises"
    shutil.copytree(exercises.EXERCISES, target)
    (target / "framework" / "linear.py").write_text("# a student's work\n")
    (target / "framework" / "stray.py").write_text("")
    with pytest.raises(exercises.EditedError, match=r"framework/linear\.py, framework/stray\.py"):
        exercises.build(target)
    assert (target / "framework" / "linear.py").read_text() == "# a student's work\n"
    assert sorted(exercises.build(target, force=True)) == ["framework/linear.py", "framework/stray.py"]
    assert exercises.compare(target) == ([], [])


def test_build_rewrites_files_the_reference_changed(tmp_path):
    reference, target = tmp_path / "reference", tmp_path / "exercises"
    shutil.copytree(exercises.REFERENCE, reference, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(exercises.EXERCISES, target)
    optim = reference / "framework" / "optim.py"
    optim.write_text(optim.read_text() + "\n# a new line\n")
    assert sorted(exercises.build(target, reference)) == [exercises.DIGEST_FILE, "framework/optim.py"]


def test_start_copies_the_exercises_and_never_overwrites(tmp_path):
    copy = exercises.start(tmp_path / "mine")
    assert (copy / "framework" / "linear.py").read_text() == (
        exercises.EXERCISES / "framework" / "linear.py"
    ).read_text()
    assert not (copy / exercises.DIGEST_FILE).exists()
    assert json.loads((copy / exercises.BASE_FILE).read_text())["files"] == exercises.course_files()
    with pytest.raises(exercises.StartError, match="exists already"):
        exercises.start(tmp_path / "mine")


STUB = '        raise NotImplementedError("task {task}: write {function}")\n'
FORWARD, BACKWARD, STATE_DICT = "Linear.forward", "Linear.backward", "Linear.state_dict"
WRITTEN = {  # what the student writes in place of a stub's raise
    FORWARD: "        return x @ self.weight.T + self.bias  # mine\n",
    BACKWARD: "        self.weight_grad += grad_output.T @ self._x  # mine\n        return grad_output @ self.weight\n",
}


def replace_in(path, old, new):
    """Replace ``old``, which must occur once, by ``new`` in a file."""
    text = path.read_text()
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new))


def linear_stub(function):
    """The raise line of a stub of framework/linear.py."""
    return STUB.format(task="io" if function == STATE_DICT else "linear", function=function)


def write_functions(copy, functions):
    """A student writes ``functions`` of framework/linear.py; return the file's pieces."""
    for function in functions:
        replace_in(copy / "framework" / "linear.py", linear_stub(function), WRITTEN[function])
    return exercises.pieces((copy / "framework" / "linear.py").read_text())


def change_the_course(course):
    """The course's new release: hints on two stubs of linear.py, a new function there, a new file, a new guide."""
    linear = course / "framework" / "linear.py"
    for function in (BACKWARD, STATE_DICT):
        replace_in(linear, linear_stub(function), f"        # a new hint for {function}\n{linear_stub(function)}")
    linear.write_text(
        linear.read_text() + '\n\ndef fresh() -> None:\n    raise NotImplementedError("task linear: write fresh")\n'
    )
    (course / "framework" / "extra.py").write_text('"""A new module of the course."""\n')
    (course / "README.md").write_text((course / "README.md").read_text() + "\n## A new section\n")


@pytest.fixture
def course(tmp_path):
    """A copy of exercises/ that plays the course, changed after the student's start."""
    folder = tmp_path / "course"
    shutil.copytree(exercises.EXERCISES, folder, ignore=shutil.ignore_patterns(*exercises.SKIPPED_FOLDERS))
    return folder


def test_update_takes_the_courses_changes_and_never_overwrites_the_students_work(tmp_path, course):
    copy = exercises.start(tmp_path / "mine", course)
    mine = write_functions(copy, (FORWARD, BACKWARD))
    change_the_course(course)
    update = exercises.update(copy, course)

    theirs = exercises.pieces((course / "framework" / "linear.py").read_text())
    merged = exercises.pieces((copy / "framework" / "linear.py").read_text())
    assert merged[FORWARD] == mine[FORWARD] and merged[BACKWARD] == mine[BACKWARD]  # byte for byte
    assert merged[STATE_DICT] == theirs[STATE_DICT] != mine[STATE_DICT]
    assert merged["fresh"] == theirs["fresh"]
    assert update.conflicts == [
        exercises.Conflict("framework/linear.py", BACKWARD, ".course-update/framework/linear.py")
    ]
    assert (copy / ".course-update" / "framework" / "linear.py").read_text() == theirs_text(course)
    assert update.updated == ["README.md", f"framework/linear.py: {STATE_DICT}"]
    assert update.added == ["framework/extra.py", "framework/linear.py: fresh"]
    assert (copy / "README.md").read_text() == (course / "README.md").read_text()
    assert (copy / "framework" / "extra.py").read_text() == (course / "framework" / "extra.py").read_text()
    assert f"framework/linear.py: {BACKWARD} (the course's version: .course-update/framework/linear.py)" in (
        update.summary()
    )
    record = json.loads((copy / exercises.BASE_FILE).read_text())["files"]
    assert record == exercises.course_files(course)
    again = exercises.update(copy, course)  # reported once: the course has not changed since
    assert again.conflicts == again.added == again.updated == []
    assert exercises.pieces((copy / "framework" / "linear.py").read_text()) == merged


def theirs_text(course):
    """The course's framework/linear.py."""
    return (course / "framework" / "linear.py").read_text()


def test_a_copy_without_a_base_record_takes_what_still_raises_its_stub(tmp_path, course):
    copy = exercises.start(tmp_path / "mine", course)
    (copy / exercises.BASE_FILE).unlink()  # a copy made before updates existed
    mine = write_functions(copy, (BACKWARD,))
    change_the_course(course)
    update = exercises.update(copy, course)
    merged = exercises.pieces((copy / "framework" / "linear.py").read_text())
    assert merged[BACKWARD] == mine[BACKWARD] and update.conflicts == []
    assert merged[STATE_DICT] == exercises.pieces(theirs_text(course))[STATE_DICT]
    assert update.summary().startswith(f"this copy has no {exercises.BASE_FILE}")
    assert (copy / exercises.BASE_FILE).is_file()


def test_the_update_command_reports_conflicts_with_status_1(tmp_path):
    status, output = run_kit("-m", "autograder", "start", str(tmp_path / "mine"))
    assert status == 0, output
    write_functions(tmp_path / "mine", (FORWARD,))
    record = tmp_path / "mine" / exercises.BASE_FILE  # as if the course had changed Linear.forward since
    given = json.loads(record.read_text())
    given["files"]["framework/linear.py"] = given["files"]["framework/linear.py"].replace("Linear.forward", "forward")
    record.write_text(json.dumps(given))
    status, output = run_kit("-m", "autograder", "start", "--update", str(tmp_path / "mine"))
    assert status == 1 and f"framework/linear.py: {FORWARD}" in output, output
    status, output = run_kit("-m", "autograder", "start", "--update", str(tmp_path / "mine"))
    assert status == 0 and "no conflicts" in output, output
    status, output = run_kit("-m", "autograder", "start", "--update", str(tmp_path / "nowhere"))
    assert status == 2 and "is not a copy of the exercises" in output, output


def run_kit(*arguments, cwd=exercises.ROOT):
    """``python ARGUMENTS`` in ``cwd``: (exit status, stdout and stderr joined)."""
    process = subprocess.run([sys.executable, *arguments], cwd=cwd, capture_output=True, text=True, timeout=120)
    return process.returncode, process.stdout + process.stderr


def test_the_start_command_copies_once_and_the_copy_names_itself(tmp_path):
    status, output = run_kit("-m", "autograder", "start", str(tmp_path / "mine"))
    assert status == 0 and f"--solution {tmp_path / 'mine'}" in output, output
    status, output = run_kit("-m", "autograder", "start", str(tmp_path / "mine"))
    assert status == 2 and "exists already" in output, output
    for command in ("mine.framework", "mine.pairs.plots"):  # a package run as __main__, and a module
        status, output = run_kit("-m", command, "--help", cwd=tmp_path)
        assert status == 0 and f"usage: python -m {command} " in output, output


def test_the_build_command_checks_the_exercises():
    status, output = run_kit("-m", "autograder", "build-exercises", "--check")
    assert status == 0 and "up to date" in output, output


def is_stub(statement: ast.AST) -> bool:
    """Whether a node is a stub's ``raise NotImplementedError("task ...")``."""
    if not (isinstance(statement, ast.Raise) and isinstance(statement.exc, ast.Call)):
        return False
    call = statement.exc
    named = isinstance(call.func, ast.Name) and call.func.id == "NotImplementedError"
    text = call.args[0].value if call.args and isinstance(call.args[0], ast.Constant) else None
    return named and isinstance(text, str) and text.startswith("task ")


def test_is_stub_recognises_a_stub_and_only_a_stub():
    body = ast.parse('raise NotImplementedError("task x: write f")\nraise NotImplementedError("other")').body
    assert [is_stub(statement) for statement in body] == [True, False]


def test_every_stub_compiles_and_nothing_follows_its_raise():
    """A stub reads as it runs: the raise ends its block, and every name the file uses is defined."""
    for path in exercises.EXERCISES.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        assert sum(map(is_stub, ast.walk(tree))) == path.read_text().count(exercises.STUB_COMMENT), path
        for node in ast.walk(tree):
            for field in ("body", "orelse"):
                block = getattr(node, field, None)
                if not isinstance(block, list):
                    continue
                for position, statement in enumerate(block):
                    assert not (is_stub(statement) and block[position + 1 :]), (
                        f"{path}:{statement.lineno}: after a stub"
                    )
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed: pip install -e '.[dev]'")
    checked = subprocess.run(
        [ruff, "check", "--isolated", "--no-cache", "--select", "F821", str(exercises.EXERCISES)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout


def test_the_exercises_speak_of_themselves():
    package = (exercises.EXERCISES / "__init__.py").read_text()
    assert "complete solution" not in package and "exercises" in package
    for path in exercises.EXERCISES.rglob("*.py"):
        assert "reference" not in path.read_text(), path


def modules(package):
    """Every module of a package, imported."""
    root = importlib.import_module(package)
    names = [root.__name__] + [info.name for info in pkgutil.walk_packages(root.__path__, f"{package}.")]
    return [importlib.import_module(name) for name in names if not name.endswith("__main__")]


def public_api(module):
    """name -> (signature, docstring) of the public functions, classes and methods defined in a module."""
    api = {}
    for name, value in vars(module).items():
        if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
            continue
        if inspect.isclass(value):
            api[name] = (None, inspect.getdoc(value))
            for method_name, method in vars(value).items():
                if inspect.isfunction(method) and (not method_name.startswith("_") or method_name == "__init__"):
                    api[f"{name}.{method_name}"] = (str(inspect.signature(method)), inspect.getdoc(method))
        elif inspect.isfunction(value):
            api[name] = (str(inspect.signature(value)), inspect.getdoc(value))
    return api


def test_exercises_have_the_reference_api_and_import_cleanly():
    reference = {m.__name__.removeprefix("reference"): public_api(m) for m in modules("reference")}
    stubs = {m.__name__.removeprefix("exercises"): public_api(m) for m in modules("exercises")}
    stubs = {  # default values name their package: <class 'exercises.framework.activations.Tanh'>
        module: {name: (None if signature is None else signature.replace("exercises.", "reference."), doc)
                 for name, (signature, doc) in api.items()}
        for module, api in stubs.items()
    }  # fmt: skip
    assert reference.keys() == stubs.keys()
    for name, api in reference.items():
        assert stubs[name] == api, name


def trivial(line):
    """A line too plain to reveal anything, such as 'return x' or 'else:'."""
    return len(line.split()) <= 2 and len(line) <= 20


def test_no_solution_line_reaches_the_exercises():
    exercise_lines = {
        line.strip() for path in exercises.EXERCISES.rglob("*.py") for line in path.read_text().splitlines()
    }
    scaffold = {  # lines the reference also has outside its solution regions: given code, not a leak
        line.strip()
        for path in exercises.REFERENCE.rglob("*.py")
        for line in strip_solutions(path.read_text(), f"reference/{path.relative_to(exercises.REFERENCE)}").splitlines()
    }
    leaked = [
        f"{path.relative_to(exercises.REFERENCE)}:{number}: {line.strip()}"
        for path in exercises.REFERENCE.rglob("*.py")
        for number, line in exercises.solution_lines(path.read_text())
        if line.strip()
        and not line.strip().startswith("#")
        and not trivial(line.strip())
        and line.strip() in exercise_lines - scaffold
    ]
    assert leaked == []


def test_every_project_has_solution_regions():
    for project in ("pairs", "framework"):
        regions = [line for path in (exercises.REFERENCE / project).glob("*.py")
                   for line in path.read_text().splitlines() if line.strip() == BEGIN]  # fmt: skip
        assert len(regions) >= 5, project


def restore_solutions(stubbed: str, reference: str, name: str, tasks: tuple[str, ...] | None = None) -> str:
    """Put the reference's solution regions back in place of a stubbed file's stubs, in order: every
    region, or only those of ``tasks``. ``name`` is the reference file's path (``reference/...``)."""
    lines = reference.splitlines(keepends=True)
    regions = [
        (stub.task, lines[stub.line - 1 : stub.line + stub.lines + 1]) for stub in exercises.stubs_of(reference, name)
    ]
    stubbed_lines, restored, region = stubbed.splitlines(keepends=True), [], iter(regions)
    index = 0
    while index < len(stubbed_lines):
        if stubbed_lines[index].strip() == exercises.STUB_COMMENT and stubbed_lines[index + 1].strip().startswith(
            "raise NotImplementedError"
        ):
            region_task, solution = next(region)
            restored += solution if tasks is None or region_task in tasks else stubbed_lines[index : index + 2]
            index += 2
        else:
            restored.append(stubbed_lines[index])
            index += 1
    assert next(region, None) is None, "more solution regions than stubs"
    return "".join(restored)


def exercises_with_solutions(destination, tasks: tuple[str, ...] | None = None):
    """A copy of the exercises at ``destination`` with every solution region restored, or only those of ``tasks``."""
    for path in exercises.EXERCISES.rglob("*.py"):
        target = destination / path.relative_to(exercises.EXERCISES)
        target.parent.mkdir(parents=True, exist_ok=True)
        name = f"reference/{path.relative_to(exercises.EXERCISES)}"
        target.write_text(restore_solutions(path.read_text(), (exercises.ROOT / name).read_text(), name, tasks))
    return destination


@pytest.mark.grading
def test_exercises_with_the_solutions_restored_get_every_point(tmp_path, lane):
    from grading import grade

    solution = exercises_with_solutions(tmp_path / "restored")
    for path in solution.rglob("*.py"):
        reference = (exercises.REFERENCE / path.relative_to(solution)).read_text()
        if path.name != "__init__.py":  # the package docstring describes the exercises
            assert path.read_text() == reference.replace(*exercises.COMMAND_NAMES), path
    result = grade(solution, lane=lane)
    assert result.score == result.max_score == manifest.TOTAL, result.feedback()


TASKS_WITH_STUBS = [task for task in manifest.TASKS if task.name in {stub.task for stub in exercises.all_stubs()}]
# One task of each project written at a time: the projects share no file, so each grading answers for two.
ONE_TASK_EACH = [
    tuple(task.name for task in pair if task is not None)
    for pair in itertools.zip_longest(
        [task for task in TASKS_WITH_STUBS if task.project == "pairs"],
        [task for task in TASKS_WITH_STUBS if task.project == "framework"],
    )
]


def test_every_task_with_stubs_is_written_alone_once():
    names = [name for written in ONE_TASK_EACH for name in written]
    assert sorted(names) == sorted(task.name for task in TASKS_WITH_STUBS)
    assert all(
        len({manifest.TASKS_BY_NAME[name].project for name in written}) == len(written) for written in ONE_TASK_EACH
    )


@pytest.mark.grading
@pytest.mark.parametrize("written", ONE_TASK_EACH, ids=["+".join(written) for written in ONE_TASK_EACH])
def test_the_exercises_with_one_task_written_get_that_task_only(tmp_path, written, lane):
    """Each task is gradable on its own: the checks run the kit's own parts wherever they do not test
    the task's. Every point lost is lost to a stub not written yet."""
    from grading import grade

    result = grade(exercises_with_solutions(tmp_path / "solution", written), lane=lane)
    for task in manifest.TASKS:
        earned, possible = result.task_score(task.name)
        assert earned == (possible if task.name in written else 0), (task.name, result.feedback())
    for check, outcome in result.failures():
        assert outcome.message.startswith("not implemented yet: "), (check.name, outcome.message)
