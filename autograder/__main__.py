"""The autograder's command line: ``python -m autograder --help``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

from . import exercises, notebooks

HERE = Path(__file__).resolve().parent


def grade(args: argparse.Namespace) -> int:
    """Run the graded suite on a solution and print the score table; 0 unless grading broke."""
    arguments = [str(HERE), "--solution", args.solution, "-p", "no:cacheprovider", "--rootdir", str(HERE.parent)]
    arguments += ["--check-timeout", str(args.check_timeout)]
    arguments += ["-v"] if args.verbose else ["-q", "--no-header", "-rN"]
    if args.tasks:
        arguments += ["-m", args.tasks]
    if args.grade_json:
        arguments += ["--grade-json", args.grade_json]
    code = pytest.main(arguments)
    return 0 if code in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) else int(code)


def build_exercises(check: bool) -> int:
    """Write exercises/ from reference/, or with ``check`` only report stale files."""
    try:
        if check:
            outdated, extra = exercises.compare()
            stale = outdated + [f"{name} (not in reference/)" for name in extra]
            if stale:
                print("exercises/ is out of date with reference/; run python -m autograder build-exercises.")
                print("\n".join(f"  stale: exercises/{name}" for name in stale))
                return 1
            print("exercises/ is up to date with reference/")
            return 0
        changed = exercises.build()
    except exercises.MarkerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(f"wrote exercises/{name}" for name in changed) or "exercises/ was already up to date")
    return 0


def build_notebooks(check: bool) -> int:
    """Write the nbgrader notebooks (course/source/) from reference/, or with ``check`` only report stale ones."""
    try:
        if check:
            stale = notebooks.compare()
            if stale:
                print("course/source/ is out of date with reference/, the outlines or the graded tests; "
                      "run python -m autograder build-notebooks.")  # fmt: skip
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


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen command (``grade`` by default)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = ("grade", "build-exercises", "build-notebooks")
    if not argv or argv[0] not in (*commands, "-h", "--help"):
        argv.insert(0, "grade")
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.splitlines()[0])
    subcommands = parser.add_subparsers(dest="command", required=True)
    grade_parser = subcommands.add_parser("grade", help="grade a solution and print the score per task")
    grade_parser.add_argument(
        "--solution", default="exercises", metavar="NAME_OR_PATH",
        help="'reference', 'exercises' (default) or the path of a folder laid out like reference/",
    )  # fmt: skip
    grade_parser.add_argument("-m", "--tasks", metavar="EXPR", help="grade only these tasks, e.g. 'linear or sgd'")
    grade_parser.add_argument("--grade-json", metavar="PATH", help="also write a Gradescope results.json")
    grade_parser.add_argument(
        "--check-timeout", type=float, default=120.0, metavar="SECONDS",
        help="stop a check that runs longer than this (default: 120; 0: never)",
    )  # fmt: skip
    grade_parser.add_argument("-v", "--verbose", action="store_true", help="list every check")
    build_parser = subcommands.add_parser("build-exercises", help="generate exercises/ from reference/")
    build_parser.add_argument("--check", action="store_true", help="only check that exercises/ is up to date")
    notebooks_parser = subcommands.add_parser(
        "build-notebooks", help="generate the nbgrader source notebooks (course/source/) from reference/"
    )
    notebooks_parser.add_argument("--check", action="store_true", help="only check that the notebooks are up to date")
    args = parser.parse_args(argv)
    if args.command == "grade":
        return grade(args)
    if args.command == "build-notebooks":
        return build_notebooks(args.check)
    return build_exercises(args.check)


if __name__ == "__main__":
    sys.exit(main())
