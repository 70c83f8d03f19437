"""Time the similarity step of the class report (``similarity.of_entries``) on a class of N students.

The class: the reference and the scaffold completed by each equivalent solution
(tests/equivalents), taken in turn, every fifth student a disguised copy of the one before
(tests/test_similarity.py's ``disguise``); every file of every student ends with a comment
naming the student, so no two students hand in the same file and nothing is computed once
for several. Prints the time, the students per second and the pairs flagged.

    python benchmarks/similarity.py [--count 200]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "equivalents")]

from grading import copy_reference  # noqa: E402
from test_similarity import EQUIVALENTS, disguised_copy, scaffold_with  # noqa: E402

from autograder.classroom import intake, similarity  # noqa: E402


def make_class(folder: Path, count: int) -> None:
    """Write ``count`` students into ``folder`` (see the module's docstring)."""
    for number in range(count):
        student = folder / f"student{number:03d}"
        if number % 5 == 4:
            disguised_copy(folder / f"student{number - 1:03d}", student)
        elif number % len(EQUIVALENTS) == 0:
            copy_reference(student)
        else:
            scaffold_with(EQUIVALENTS[number % len(EQUIVALENTS)], student)
        for path in similarity.python_files(student):
            with open(path, "a") as stream:
                stream.write(f"\n# {student.name}\n")


def main() -> None:
    """Build the class in a temporary folder, then time the similarity step alone."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="students in the class (default: 200)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="similarity-benchmark-") as scratch:
        make_class(Path(scratch), args.count)
        entries = intake.entries(Path(scratch))
        start = time.perf_counter()
        found = similarity.of_entries(entries)
        seconds = time.perf_counter() - start
    load = os.getloadavg()[0]
    print(
        f"similarity of {found.compared} students: {seconds:.1f} s ({found.compared / seconds:.0f} students/s, "
        f"load average {load:.1f}); {len(found.pairs)} pairs flagged"
    )


if __name__ == "__main__":
    main()
