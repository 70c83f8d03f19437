"""What ``run_autograder`` runs on Gradescope: grade ``ROOT/submission`` into ``ROOT/results/results.json``.

Gradescope puts the student's upload in ``/autograder/submission``: a folder laid out like
``exercises/``, that folder inside another, the course's notebooks, or a project's files
dropped there without their folder (``linear.py``, ``optim.py``, ...), which are graded as
that project. The results file is written in every case, with every check of the manifest;
this command exits 0 unless it could not write it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from .. import manifest
from ..judge.submission import SIGNATURES
from ..sandbox import default_jobs
from . import intake, unit


def loose_project(folder: Path) -> str | None:
    """The project whose files lie directly in ``folder`` (an upload without its folder), or None."""
    for project, files in SIGNATURES.items():
        if sum((folder / name).is_file() for name in files) >= 2 and not (folder / project).exists():
            return project
    return None


def main(argv: list[str] | None = None) -> int:
    """Grade Gradescope's submission folder and write its results file."""
    parser = argparse.ArgumentParser(prog="python -m autograder.classroom.gradescope_run", description=__doc__)
    parser.add_argument("--root", default="/autograder", help="Gradescope's folder (default: /autograder)")
    args = parser.parse_args(argv)
    root = Path(args.root)
    results = root / "results" / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="autograder-gradescope-") as scratch:
        folder = root / "submission"
        project = loose_project(folder) if folder.is_dir() else None
        if project:
            folder = Path(scratch) / "upload"
            shutil.copytree(root / "submission", folder / project, symlinks=True)
        tasks = tuple(task.name for task in manifest.TASKS)
        report, status, kit_error = unit.grade_entry(
            intake.Entry("your submission", folder), tasks, default_jobs(), 1.0
        )
    unit.write_atomically(results, json.dumps(report.gradescope(), indent=2) + "\n")
    print(report.feedback(), end="")
    if kit_error:
        print(kit_error, file=sys.stderr)
    print(f"status: {status}; wrote {results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
