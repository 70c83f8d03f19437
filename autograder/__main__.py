"""The autograder's command line: ``python -m autograder --help``.

Exit status: 0 when every graded check whose result is shown passed, 1 when any failed, 2 for a
usage error (a hidden check's result waits until after the due date: it never changes the status).
The reports asked for are written in every case.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm.auto import tqdm

from . import classroom, exercises, manifest, trusted_source
from .judge.prestart import prestart
from .judge.submission import SubmissionError, locate
from .sandbox import default_jobs

if TYPE_CHECKING:
    from .judge.lanes import Lane
    from .judge.runner import Outcome

COMMANDS = ("grade", "serve", "start", "build-exercises", "build-notebooks", *classroom.COMMANDS)
TASK_LIST = ", ".join(task.name for task in manifest.TASKS)


def grade_command(args: argparse.Namespace, lane: Lane | None = None) -> int:
    """Grade one submission: print the messages and the score table, write the Gradescope file
    (in ``lane``, the grading server's, if given)."""
    try:
        tasks = manifest.select_tasks(args.tasks)
        submission = locate(args.solution)
    except (ValueError, SubmissionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # Without a lane, the worker boots while the judge imports torch and its checks.
    started = None if lane else prestart(submission, tasks)
    from .judge.grading import grade

    checks = manifest.checks_of(tasks)
    bar = tqdm(
        total=len(checks), desc=f"grading {submission.label}", unit="check", leave=False, file=sys.stderr, disable=None
    )

    def progress(name: str, outcome: Outcome) -> None:
        if name in manifest.CHECKS_BY_NAME:
            bar.update(1)

    report = grade(submission, tasks, args.jobs, progress, args.time_scale, started, lane)
    bar.close()
    if args.verbose:
        for check in report.checks:
            outcome = report.outcome(check)
            shown = f"{outcome.status.upper():<11} {check.name} ({outcome.seconds:.2f} s)"
            print(f"{'HIDDEN':<11} {check.name} ({check.points:g} points)" if check.hidden else shown)
    print(report.feedback(), end="")
    if args.grade_json:
        report.write_gradescope(args.grade_json)
    return 0 if report.shown_score == report.shown_max_score else 1


def grade_in_lane(argv: list[str], lane: Lane) -> int:
    """The grading server's job: run the command line ``argv`` (a ``grade`` one) in its lane."""
    try:
        args = parser().parse_args(argv)
    except SystemExit as error:  # argparse has said why
        return error.code if isinstance(error.code, int) else 2
    if args.command != "grade":
        print("error: the grading server only grades", file=sys.stderr)
        return 2
    return grade_command(args, lane)


def serve_command(args: argparse.Namespace) -> int:
    """Keep a warm lane for your gradings, until Ctrl-C or --idle minutes without one: your runs of
    python -m autograder then grade in it, with the same output."""
    from . import server

    try:
        return server.serve(grade_in_lane, args.idle)
    except server.ServerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def start_command(args: argparse.Namespace) -> int:
    """Copy the exercises into a folder of the student's own, or with ``--update`` bring the course's changes in."""
    try:
        if args.update:
            update = exercises.update(Path(args.folder))
            print(update.summary())
            return 1 if update.conflicts else 0
        written = exercises.start(Path(args.folder))
    except exercises.StartError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(
        f"copied the exercises into {written}: work there, and grade with\n"
        f"  python -m autograder --solution {args.folder}"
    )
    return 0


def build_exercises(args: argparse.Namespace) -> int:
    """Write exercises/ and the worker's reference parts from reference/; with ``--check`` only report stale ones."""
    parts = trusted_source.GENERATED_NAME
    try:
        if args.check:
            outdated, extra = exercises.compare()
            stale = [f"exercises/{name}" for name in outdated]
            stale += [f"exercises/{name} (not in reference/)" for name in extra]
            stale += [parts] if trusted_source.stale() else []
            if stale:
                print(
                    "exercises/ or the worker's reference parts are out of date with reference/; "
                    "run python -m autograder build-exercises."
                )
                print("\n".join(f"  stale: {name}" for name in stale))
                return 1
            print(f"exercises/ and {parts} are up to date with reference/")
            return 0
        changed = [f"exercises/{name}" for name in exercises.build(force=args.force)]
        changed += [parts] if trusted_source.build() else []
    except (exercises.MarkerError, exercises.EditedError, trusted_source.PartsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(f"wrote {name}" for name in changed) or f"exercises/ and {parts} were already up to date")
    return 0


def build_notebooks(args: argparse.Namespace) -> int:
    """Write the nbgrader notebooks (course/source/) from reference/, or with ``--check`` only report stale ones."""
    try:
        from . import notebooks  # nbformat: the instructor's install, and 2 s to import
    except ModuleNotFoundError as error:
        print(f'error: building notebooks needs {error.name}: pip install -e ".[instructor]"', file=sys.stderr)
        return 2
    try:
        if args.check:
            stale = notebooks.compare()
            if stale:
                print(
                    "course/source/ is out of date with reference/, the outlines or the manifest; "
                    "run python -m autograder build-notebooks."
                )
                print("\n".join(f"  stale: course/source/{name}" for name in stale))
                return 1
            print("course/source/ is up to date with reference/")
            return 0
        changed = notebooks.build()
    except (exercises.MarkerError, notebooks.OutlineError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(f"wrote course/source/{name}" for name in changed) or "course/source/ was already up to date")
    return 0


def parser() -> argparse.ArgumentParser:
    """The command line's parser, one subcommand per job."""
    root = argparse.ArgumentParser(
        prog="python -m autograder",
        description="Grade solutions of the two mini-projects, and build the exercises and notebooks. "
        "Without a command, grade.",
    )
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    grading = commands.add_parser(
        "grade", help="grade one solution and print the score per task (the default)", description=grade_command.__doc__
    )
    grading.add_argument(
        "--solution",
        default="exercises",
        metavar="PATH",
        help="'reference', 'exercises' (default) or a folder laid out like exercises/",
    )
    grading.add_argument(
        "-m",
        "--tasks",
        metavar="TASKS",
        help=f"grade only these tasks, e.g. 'linear or sgd' or 'framework'; tasks: {TASK_LIST}",
    )
    grading.add_argument("--grade-json", metavar="PATH", help="also write Gradescope's results.json to PATH")
    grading.add_argument(
        "--jobs", type=int, default=default_jobs(), metavar="N", help=f"probes run at once (default: {default_jobs()})"
    )
    grading.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        metavar="F",
        help="multiply every check's time limit by F (default: 1; the limits already allow for a busy machine)",
    )
    grading.add_argument("-v", "--verbose", action="store_true", help="list every check with its status and time")
    grading.add_argument(
        "--cold", action="store_true", help="grade in fresh sandboxes even while a grading server runs ('serve')"
    )
    grading.set_defaults(handler=grade_command)
    serving = commands.add_parser(
        "serve",
        help="keep the sandboxes warm between your gradings: run it in a terminal of its own, then grade as usual",
        description=serve_command.__doc__,
    )
    serving.add_argument(
        "--idle", type=float, default=60.0, metavar="MINUTES", help="stop after this long without a grading (60)"
    )
    serving.set_defaults(handler=serve_command)
    starting = commands.add_parser(
        "start",
        help="copy the exercises into a folder of your own, to work there (--update: bring the course's changes in)",
        description=start_command.__doc__,
        epilog="Exit status of --update: 0, or 1 when a definition changed both in your copy and in the course "
        "(yours is kept, the course's file is written to FOLDER/.course-update/); 2 when FOLDER is not a copy.",
    )
    starting.set_defaults(handler=start_command)
    starting.add_argument("folder", help="the folder to create (it must not exist yet), or with --update your copy")
    starting.add_argument(
        "--update",
        action="store_true",
        help="bring the course's new and changed stubs and the new guide into your existing copy, keeping every "
        "function you wrote; one that the course changed too is reported, never overwritten",
    )
    building = commands.add_parser(
        "build-exercises", help="generate exercises/ and the worker's reference parts from reference/"
    )
    building.set_defaults(handler=build_exercises)
    building.add_argument("--check", action="store_true", help="only check that they are up to date")
    building.add_argument("--force", action="store_true", help="overwrite stubs that were edited by hand")
    notebooks_parser = commands.add_parser("build-notebooks", help="generate the nbgrader notebooks (course/source/)")
    notebooks_parser.add_argument("--check", action="store_true", help="only check that the notebooks are up to date")
    notebooks_parser.set_defaults(handler=build_notebooks)
    classroom.add_commands(commands)
    return root


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen command (``grade`` by default)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in (*COMMANDS, "-h", "--help"):
        argv.insert(0, "grade")
    args = parser().parse_args(argv)
    if args.command == "grade" and (args.jobs < 1 or not args.time_scale > 0):
        print("error: --jobs must be at least 1 and --time-scale positive", file=sys.stderr)
        return 2
    if args.command == "serve" and not args.idle > 0:
        print("error: --idle must be positive", file=sys.stderr)
        return 2
    if args.command == "grade" and not args.cold:
        from . import server

        status = server.ask(argv)
        if status is not None:
            return status
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
