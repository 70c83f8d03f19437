"""Grading a whole class: the commands built on grading one submission (``grade-class``, ``merge``,
``gradescope``). See README.md in this folder."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import intake

COMMANDS: tuple[str, ...] = ("grade-class", "merge", "gradescope")


def positive(kind: type) -> callable:
    """An argparse type: a number of ``kind`` above zero."""

    def parse(text: str) -> float | int:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be above zero: {text}")
        return value

    return parse


def grade_class_command(args: argparse.Namespace) -> int:
    """Grade every student of SUBMISSIONS into OUT; write OUT/gradebook.csv and OUT/report.html."""
    from .. import manifest, sandbox
    from . import batch, intake, unit

    submissions = Path(args.submissions)
    if not submissions.is_dir():
        print(f"error: {submissions} is not a folder (one entry per student: folders, .zip, .ipynb)", file=sys.stderr)
        return 2
    try:
        tasks = manifest.select_tasks(args.tasks)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    students = intake.entries(submissions)
    if args.list:
        print("\n".join(entry.student for entry in students))
        return 0
    if args.require_isolation and not sandbox.isolation().full:
        print(f"error: --require-isolation: {sandbox.isolation().line()}", file=sys.stderr)
        return 2
    out = Path(args.out)
    if args.only is not None or args.index is not None:
        chosen = [entry for entry in students if entry.student == args.only] if args.only is not None else []
        if args.index is not None and 0 <= args.index < len(students):
            chosen = [students[args.index]]
        if not chosen:
            which = f"--only {args.only}" if args.only is not None else f"--index {args.index}"
            print(
                f"error: {which}: no such student in {submissions} ({len(students)} students; see --list)",
                file=sys.stderr,
            )
            return 2
        from ..sandbox import default_jobs

        say_notes(chosen)
        record, reused = unit.grade_student(chosen[0], out, tasks, default_jobs(), args.time_scale, args.force)
        print(describe(record, reused, out))
        return 1 if record.kit_error else 0
    if not students:
        print(f"error: {submissions} holds no submission", file=sys.stderr)
        return 2
    say_notes(students)
    try:
        summary = batch.grade_class(students, out, args.jobs, args.force, tasks, args.time_scale, warm=not args.cold)
    except KeyboardInterrupt:
        print(
            "\ninterrupted: the students graded so far are kept; run the same command again to go on", file=sys.stderr
        )
        sys.stderr.flush()
        os._exit(130)  # the gradings in flight end with this process (their workers die with it)
    rows = batch.merge(out, [entry.student for entry in students], submissions)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    print(
        f"{len(rows)} students ({summary.skipped} unchanged since their last grading): "
        + ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
    )
    print(f"gradebook: {out / batch.GRADEBOOK}\nreport:    {out / batch.REPORT}")
    for name in summary.kit_errors:
        print(f"error: the autograder failed on {name}: see {out / name / 'grading.json'}", file=sys.stderr)
    return 1 if summary.kit_errors else 0


def say_notes(students: list[intake.Entry]) -> None:
    """Print the note of each entry whose plain name another entry claims too (``intake.student_names``)."""
    for entry in students:
        if entry.note:
            print(f"note: {entry.note}", file=sys.stderr)


def describe(record, reused: bool, out: Path) -> str:
    """One line about a student's grading, for --only and --index."""
    state = "unchanged since its last grading" if reused else f"{record.seconds:.1f} s"
    return (
        f"{record.student}: {record.score:g} / {record.max_score:g} ({record.status}, {state}) "
        f"-> {out / record.student}"
    )


def merge_command(args: argparse.Namespace) -> int:
    """Build OUT/gradebook.csv and OUT/report.html from the students' folders of OUT."""
    from . import batch

    out = Path(args.out)
    if not out.is_dir():
        print(f"error: {out} is not a folder", file=sys.stderr)
        return 2
    submissions = Path(args.submissions) if args.submissions else None
    if submissions is not None and not submissions.is_dir():
        print(f"error: --submissions {submissions} is not a folder (the one given to grade-class)", file=sys.stderr)
        return 2
    rows = batch.merge(out, submissions=submissions)
    if not rows:
        print(f"error: {out} holds no student folder with a results.json", file=sys.stderr)
        return 2
    maxima = sorted({row.max_score for row in rows})
    print(f"{len(rows)} students -> {out / batch.GRADEBOOK}, {out / batch.REPORT}")
    if len(maxima) > 1:
        print(
            f"warning: the students were graded on different tasks (maxima {', '.join(f'{m:g}' for m in maxima)}): "
            f"grade them again with the same -m",
            file=sys.stderr,
        )
        return 1
    return 0


def gradescope_command(args: argparse.Namespace) -> int:
    """Build Gradescope's autograder zip: setup.sh, run_autograder and the kit."""
    from . import gradescope_zip as gradescope

    path = gradescope.build(Path(args.out))
    print(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MiB): upload it as the assignment's autograder")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add the class-grading commands to the command line (each sets its ``handler``)."""
    grading = commands.add_parser(
        "grade-class",
        help="grade a folder of submissions (one entry per student) into a gradebook and a class report",
        description=grade_class_command.__doc__,
    )
    grading.add_argument("submissions", metavar="SUBMISSIONS", help="one entry per student: folders, .zip, .ipynb")
    grading.add_argument("--out", metavar="OUT", help="where the students' results, the gradebook and report go")
    grading.add_argument(
        "--jobs", type=positive(int), default=None, metavar="N", help="students graded at once (default: the cores)"
    )
    grading.add_argument("--force", action="store_true", help="grade again the students whose submission is unchanged")
    grading.add_argument("--only", metavar="NAME", help="grade this student only (no gradebook: run merge after)")
    grading.add_argument(
        "--index", type=int, metavar="I", help="grade the I-th student (from 0, in --list's order) only: a job array"
    )
    grading.add_argument("--list", action="store_true", help="print the students, one a line, and stop")
    grading.add_argument("-m", "--tasks", metavar="TASKS", help="grade only these tasks (as in grade)")
    grading.add_argument(
        "--time-scale", type=positive(float), default=1.0, metavar="F", help="multiply every time limit by F"
    )
    grading.add_argument(
        "--cold",
        action="store_true",
        help="start fresh sandboxes for every student instead of the warm lanes (slower: to compare, or to debug)",
    )
    grading.add_argument(
        "--require-isolation",
        action="store_true",
        help="refuse to grade unless bubblewrap isolates the worker (for shared machines and clusters)",
    )
    grading.set_defaults(handler=checked_grade_class)
    merging = commands.add_parser(
        "merge", help="build the gradebook and the report from the students' folders", description=merge_command.__doc__
    )
    merging.add_argument("out", metavar="OUT", help="the folder holding one folder per student")
    merging.add_argument(
        "--submissions", metavar="SUBMISSIONS", help="the students' entries: the report then compares their code"
    )
    merging.set_defaults(handler=merge_command)
    packaging = commands.add_parser(
        "gradescope", help="build Gradescope's autograder zip", description=gradescope_command.__doc__
    )
    packaging.add_argument("--out", default="autograder.zip", metavar="ZIP", help="the zip (default: autograder.zip)")
    packaging.set_defaults(handler=gradescope_command)


def checked_grade_class(args: argparse.Namespace) -> int:
    """``grade-class`` after checking that --out is given where it is needed."""
    if not args.list and not args.out:
        print("error: grade-class needs --out OUT", file=sys.stderr)
        return 2
    return grade_class_command(args)
