"""nbgrader's configuration for the kit's course: run nbgrader from the repository root.

The course directory is course/. Its source notebooks, course/source/<assignment>/,
are generated from reference/ by ``python -m autograder build-notebooks`` and
committed; release/, submitted/, autograded/, feedback/ and gradebook.db are
nbgrader's working files (ignored by git).
"""

from pathlib import Path

from autograder.named_stubs import release_preprocessors

c = get_config()  # noqa: F821 (traitlets defines get_config for config files)

# The two assignments, one per project; generate_assignment adds each to the gradebook.
ASSIGNMENTS = ("pairs", "framework")

COURSE = Path(__file__).resolve().parent / "course"
c.CourseDirectory.root = str(COURSE)

# The release's stubs are those of the .py exercises, naming their task and function:
# raise NotImplementedError("task linear: write Linear.forward"), not nbgrader's bare one.
c.GenerateAssignment.preprocessors = release_preprocessors()

# nbgrader export writes the grades here, with the rest of the grading's files (ignored by git).
c.CsvExportPlugin.to = str(COURSE / "grades.csv")

# Seconds a cell may run during autograding (nbgrader's default: 30). The slowest cells
# train shared_digits (the pair_accuracy test and the training-curves cell): the test trains
# a run and its control side by side for up to 25 epochs on 1000 pairs, stopping once the
# run has learnt (the reference stops after 2 or 3 epochs: a few seconds on an idle 2-core
# CPU, ten times that on the same CPU shared with other jobs). A timeout would cost a
# correct notebook its points, so the limit is that of the autograder's slowest check.
c.Execute.timeout = 300

# Files of course/source/<assignment>/ that autograde must NOT copy over a student's
# submission: list here any helper file students edit and submit with the notebook
# (e.g. {"pairs": ["my_layers.py"]}). The assignments are single notebooks, and
# autograde never replaces a notebook (it restores only its read-only and test cells),
# so nothing is listed yet.
c.Autograde.exclude_overwriting = {assignment: [] for assignment in ASSIGNMENTS}
