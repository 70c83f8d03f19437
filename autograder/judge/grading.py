"""Grade one submission: copy, scan, import each file once, run the checks, report.

A check is graded only if every file it imports (its closure) exists, parses, passes
the scan and imports; otherwise it scores 0 with a message that points at the one note,
at the top of the report, that says what is wrong with that file. So a syntax error in
one file is reported once, and costs only the checks that import that file.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import torch

from .. import manifest, sandbox
from ..manifest import Check
from .lanes import Lane
from .prestart import Prestart, prestart
from .probe import CheckRun, Probe
from .report import Report, project_of
from .runner import Job, Outcome, Runner, failure_message
from .scan import Finding, ProjectScan, scan_project
from .submission import Submission

MAX_FINDINGS_SHOWN = 5


def import_check(project: str) -> CheckRun:
    """A job that only imports a file: its failure is the file's own."""
    yield Probe(f"{project}.imported")


class Grading:
    """The state of one grading: the copy, its scans, the notes, the outcomes so far."""

    def __init__(self, submission: Submission, copy: Path, checks: list[Check]) -> None:
        self.submission, self.copy, self.checks = submission, copy, checks
        self.notes: list[str] = []
        self.outcomes: dict[str, Outcome] = {}
        graded = {project_of(check) for check in checks}  # a project no graded task needs is not scanned
        self.scans: dict[str, ProjectScan] = {
            project: scan_project(copy / project, project) for project in submission.projects if project in graded
        }
        self.broken: dict[str, str] = {}  # "project/file" -> the note about it
        self.failed_imports: set[str] = set()

    def not_graded(self, check: Check, message: str, cause: str = "") -> None:
        """A check that cannot run scores 0 with ``message``; its ``cause`` (the message unless given:
        a note) is said once in the feedback, with every check it costs."""
        self.outcomes[check.name] = Outcome("not graded", message, cause=cause or message)

    def closure(self, check: Check) -> list[str] | None:
        """The files a check imports (project-relative), or None after recording why it cannot run."""
        project = project_of(check)
        scan = self.scans.get(project)
        if scan is None:
            self.not_graded(check, f"not graded: the submission has no {project}/ folder")
            return None
        missing = [file for file in manifest.files_of(check) if file not in scan.files]
        if missing:
            self.not_graded(check, f"not graded: {', '.join(f'{project}/{file}' for file in missing)} is missing")
            return None
        return scan.closure(manifest.files_of(check))

    def static_problems(self, check: Check, files: list[str]) -> bool:
        """Record syntax errors and scan findings in a check's files; True if there are any."""
        project = project_of(check)
        scan = self.scans[project]
        syntax = [file for file in files if scan.files[file].syntax_error]
        for file in syntax:
            self.note(
                f"{project}/{file}",
                f"your file {project}/{file} has a syntax error at "
                f"{scan.files[file].syntax_error}: fix it, then grade again",
            )
        if syntax:
            shown = ", ".join(f"{project}/{file}" for file in syntax)
            self.not_graded(
                check,
                f"not graded: {shown}, which this check imports, has a syntax error (see the note at the top)",
                self.broken[f"{project}/{syntax[0]}"],
            )
            return True
        findings = list(dict.fromkeys(finding for file in files for finding in scan.files[file].findings))
        if findings:
            listed = "\n".join(f"  {finding}" for finding in findings[:MAX_FINDINGS_SHOWN])
            more = len(findings) - MAX_FINDINGS_SHOWN
            rule = (
                "the framework's source uses only tensor operations and no reflection"
                if project == "framework"
                else "graded code uses no reflection"
            )
            self.not_graded(
                check,
                f"{rule}; these lines break it:\n{listed}" + (f"\n  ... and {more} more" if more > 0 else ""),
            )
            return True
        return False

    def charge_run_time_findings(self, uses: list[dict], graded: dict[str, list[str]]) -> None:
        """Charge each use of autograd that a framework probe caught at run time as a scan finding of
        its file: every graded check that imports that file fails, whatever it scored."""
        scan = self.scans.get("framework")
        for use in uses:
            path = use.get("file")
            file = path.removeprefix("framework/") if isinstance(path, str) else None
            if scan is None or file not in scan.files:
                continue
            line = use.get("line") if isinstance(use.get("line"), int) else 0
            what = str(use.get("what", "autograd"))[:300]
            finding = Finding(f"framework/{file}", line, f"autograd used at run time: {what}")
            if finding not in scan.files[file].findings:
                scan.files[file].findings.append(finding)
        for name, files in graded.items() if uses else ():
            if project_of(manifest.CHECKS_BY_NAME[name]) == "framework":
                self.static_problems(manifest.CHECKS_BY_NAME[name], files)

    def note(self, key: str, text: str) -> None:
        """A message shown once at the top of the report."""
        if key not in self.broken:
            self.broken[key] = text
            self.notes.append(text)

    def run_init(self, project: str, files: list[str]) -> bool:
        """Whether a check's files need the project's ``__init__.py`` to run."""
        return "__init__.py" in files and project in self.scans

    def import_all(self, runner: Runner, graded: dict[str, list[str]], time_scale: float) -> None:
        """Import every file the graded checks need, once each; note the files that fail."""
        jobs = {}
        for name, files in graded.items():
            project = project_of(manifest.CHECKS_BY_NAME[name])
            for file in files:
                key = f"{project}/{file}"
                if key not in jobs and file != "__init__.py":
                    jobs[key] = Job(
                        f"import {key}",
                        import_check(project),
                        project,
                        (file,),
                        manifest.QUICK_LIMIT * time_scale,
                        run_init=self.run_init(project, self.scans[project].closure((file,))),
                    )
        outcomes = runner.run(list(jobs.values()))
        failed = {key for key, job in jobs.items() if not outcomes[job.name].passed}
        for key in sorted(failed):
            project, _, file = key.partition("/")
            dependencies = {f"{project}/{path}" for path in self.scans[project].closure((file,)) if path != file}
            if dependencies & failed:
                continue  # its dependency's note says it
            message = outcomes[jobs[key].name].message
            self.note(key, f"importing {key} failed:\n  " + message.replace("\n", "\n  "))
        self.failed_imports = failed

    def jobs(self, graded: dict[str, list[str]], time_scale: float) -> list[Job]:
        """The jobs of the graded checks."""
        jobs = []
        for name, files in graded.items():
            check = manifest.CHECKS_BY_NAME[name]
            project = project_of(check)
            limit = check.limit * time_scale
            run_init = self.run_init(project, files)
            jobs.append(Job(name, check.run(), project, manifest.files_of(check), limit, run_init))
        return jobs

    def runnable(self, jobs: list[Job], graded: dict[str, list[str]]) -> list[Job]:
        """The jobs whose files all imported; the others are recorded as not graded."""
        kept = []
        for job in jobs:
            broken = sorted({f"{job.project}/{file}" for file in graded[job.name]} & self.failed_imports)
            if broken:
                job.run.close()
                message = f"not graded: importing {', '.join(broken)} failed (see the note at the top)"
                cause = next((self.broken[key] for key in broken if key in self.broken), message)
                self.not_graded(manifest.CHECKS_BY_NAME[job.name], message, cause)
            else:
                kept.append(job)
        return kept


def grade(
    submission: Submission,
    tasks: tuple[str, ...] | None = None,
    jobs: int | None = None,
    progress: Callable[[str, Outcome], None] | None = None,
    time_scale: float = 1.0,
    started: Prestart | None = None,
    lane: Lane | None = None,
) -> Report:
    """Grade ``tasks`` (default: all) of ``submission``; the report lists every check of those tasks.

    ``time_scale`` multiplies every check's wall-clock limit (a slow machine, or a test).
    ``started``: the copy and main worker that ``prestart.prestart`` made for these tasks.
    ``lane``: a warm lane whose sandboxes run the workers (``grade-class``).
    """
    start = time.perf_counter()
    torch.set_num_threads(1)  # the judge's own tensor work is small: the cores are the workers'
    tasks = tasks or tuple(task.name for task in manifest.TASKS)
    checks = manifest.checks_of(tasks)
    with started or prestart(submission, tasks, lane) as prepared:
        grading = Grading(submission, prepared.copy, checks)
        grading.notes += prepared.notes
        graded: dict[str, list[str]] = {}
        for check in checks:
            files = grading.closure(check)
            if files is not None and not grading.static_problems(check, files):
                graded[check.name] = files
        isolation = sandbox.isolation()
        if graded:
            profiles = ["main"] + (["data"] if any(name.startswith("pair_data.") for name in graded) else [])
            specs = lane.specs if lane else sandbox.worker_specs(prepared.spec)
            starter = lane.guest if lane else None
            with Runner(specs, jobs or sandbox.default_jobs(), progress, starter) as runner:
                runner.start(profiles, {"main": prepared.adopt()})
                checks_to_run = grading.jobs(graded, time_scale)
                runner.prime(checks_to_run)
                grading.import_all(runner, graded, time_scale)
                grading.outcomes.update(runner.run(grading.runnable(checks_to_run, graded)))
                grading.charge_run_time_findings(runner.forbidden, graded)
        if progress:
            for check in checks:
                if check.name in grading.outcomes and grading.outcomes[check.name].status == "not graded":
                    progress(check.name, grading.outcomes[check.name])
    return Report(
        submission.label, tasks, grading.outcomes, grading.notes, isolation.line(), time.perf_counter() - start
    )


__all__ = ["Report", "failure_message", "grade"]
