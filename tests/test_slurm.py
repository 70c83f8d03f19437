"""The kit's Slurm array script on a real cluster: a private one-node cluster started here
(``slurm_cluster.py``) grades a small class with one array task per student, the merge job
that depends on the array writes the gradebook, and it must be ``grade-class``'s.

It needs Debian's ``slurm-wlm`` and ``munge``, and root; without them it is skipped, unless the
environment variable CI is set, where it fails. The node is this machine, as slurmd measures it:
it must have the CPUs and memory that the script's ``#SBATCH`` lines ask for, or sbatch refuses.
The job ids, their states and what each task printed are shown in pytest's output, captured or not.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import slurm_cluster
from grading import ROOT, copy_reference

from autograder.classroom import batch, gradebook

pytestmark = [pytest.mark.slurm, pytest.mark.grading]

SCRIPT = ROOT / "autograder" / "classroom" / "cluster" / "grade-class.sbatch"
SMALL_TASKS = "linear,sgd"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[slurm_cluster.Cluster]:
    """A one-node cluster for the module; a skip (a failure under CI) where Slurm cannot run."""
    reason = slurm_cluster.missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, so the Slurm test must run: {reason}")
        pytest.skip(reason)
    with slurm_cluster.running(tmp_path_factory.mktemp("slurm")) as started:
        yield started


def make_class(folder: Path) -> Path:
    """Three students: two copies of the reference and the unchanged exercises (nothing done)."""
    for name in ("alice", "bob"):
        copy_reference(folder / name)
    shutil.copytree(ROOT / "exercises", folder / "carol", ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def kit(*arguments: str) -> str:
    """The output of ``python -m autograder ARGUMENTS`` in the kit's folder, which must succeed."""
    command = [sys.executable, "-m", "autograder", *arguments]
    process = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert process.returncode == 0, process.stdout + process.stderr
    return process.stdout


def without_seconds(path: Path) -> list[dict[str, str]]:
    """A gradebook's rows without the column that measures time (it differs from run to run)."""
    return [{key: value for key, value in row.items() if key != "seconds"} for row in gradebook.read_gradebook(path)]


def test_the_array_script_then_the_merge_job_on_a_real_cluster_give_grade_classs_gradebook(cluster, tmp_path, capsys):
    submissions = make_class(tmp_path / "submissions")
    count = len(kit("grade-class", str(submissions), "--list").splitlines())
    kit("grade-class", str(submissions), "--out", str(tmp_path / "direct"), "--jobs", "2", "-m", SMALL_TASKS)
    out, logs = tmp_path / "out", tmp_path / "logs"
    logs.mkdir()  # Slurm writes the jobs' output into it but does not create it
    # As README says, from the kit's folder; --output keeps the tasks' logs out of it.
    array = cluster.run(
        "sbatch", "--parsable", f"--array=0-{count - 1}", f"--output={logs}/grade-class-%A_%a.log",
        f"--export=ALL,PYTHON={sys.executable}", str(SCRIPT), str(submissions), str(out), "-m", SMALL_TASKS,
        cwd=ROOT,
    ).strip()  # fmt: skip
    merge = cluster.run(
        "sbatch", "--parsable", f"--dependency=afterany:{array}", f"--output={logs}/merge-%j.log",
        "--wrap",
        shlex.join([sys.executable, "-m", "autograder", "merge", str(out), "--submissions", str(submissions)]),
        cwd=ROOT,
    ).strip()  # fmt: skip
    jobs = cluster.wait(array, merge)
    with capsys.disabled():
        print(f"\nslurm: array job {array} ({count} tasks), merge job {merge} (afterany:{array})")
        for job in jobs:
            print("slurm: job {} {} started {} ended {}".format(*job))
        for log in sorted(logs.iterdir()):
            print(f"slurm: {log.name}: {log.read_text().strip()}")
    tasks = [job for job in jobs if job[0].startswith(f"{array}_")]
    [merged] = [job for job in jobs if job[0] == merge]
    assert len(tasks) == count and all(state == "COMPLETED" for _, state, *_ in jobs), jobs
    assert merged[2] >= max(end for *_, end in tasks), "the merge job started before the array ended"
    assert without_seconds(out / batch.GRADEBOOK) == without_seconds(tmp_path / "direct" / batch.GRADEBOOK)
    assert "3 students compared" in (out / batch.REPORT).read_text()  # merge found the submissions
