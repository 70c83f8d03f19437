"""Run checks: send their probes to workers, feed the answers back, enforce the time limits.

Each check is a generator (``probe.CheckRun``). The runner starts every check (``prime``
runs each one's own preparation while the workers boot), sends each probe it yields to a
worker (at most ``jobs`` at a time, the longest limits first; identical probes once), and
resumes the check with the answer. A probe past its wall-clock limit costs its
checks, and the whole worker is killed (its process group) and started afresh; probes
that were running beside it are sent again. Before killing it, the judge asks where the late
probe is (``stuck.py``), and names that line. From then on it looks where each running probe
is, every twentieth of the stopped probe's limit: one found in the loop where a probe was
stopped, three looks in a row, is stopped too (the zygote kills that child alone), with the
same cause: a loop that held one check past its limit holds the next one as well, and a
check that never stays in it runs to its own limit. A worker that dies by itself costs the
probe it was running alone; probes that were running together are retried one by one.
"""

from __future__ import annotations

import math
import os
import select
import selectors
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import sandbox
from ..worker import codec
from ..worker.channel import FrameReader
from ..worker.errors import NOTEBOOK
from .lanes import Guest
from .messages import CheckFailure
from .probe import CheckRun, Probe, reply
from .stuck import Place, innermost

NOMINAL_CALIBRATION = 0.02  # seconds of the worker's calibration on an idle 2-core machine (worker/zygote.py)
MAX_SLOWDOWN = 10.0
START_LIMIT = 120.0  # seconds for a worker to import torch and report ready
STUB_PREFIX = "task "  # generated stubs raise NotImplementedError("task TASK: write NAME")
NOT_IMPLEMENTED = "not implemented yet: "  # how a check that met an unwritten stub begins its message
TIMEOUT_HINT = "look for an endless loop, or a loop over samples that should be one tensor operation"
STACK_WAIT = 2.0  # seconds the judge waits for a late probe's stack before it kills the worker
LOOKS_PER_LIMIT = 20  # looks at a running probe per limit of a probe stopped in a loop
STUCK_LOOKS = 3  # looks in a row in that loop that stop a probe


@dataclass
class Outcome:
    """The verdict of one check: ``status`` is passed, failed, timed out, crashed or not graded."""

    status: str
    message: str = ""
    seconds: float = 0.0
    cause: str = ""  # what several checks failed of, said once in the feedback: a note, or where code was stuck

    @property
    def passed(self) -> bool:
        """Whether the check earns its points."""
        return self.status == "passed"


@dataclass
class Job:
    """A check in progress: its generator, the files and project its probes import, and its limit."""

    name: str
    run: CheckRun
    project: str
    files: tuple[str, ...]
    limit: float
    run_init: bool = False
    start: float = field(default_factory=time.perf_counter)
    primed: Probe | None = None  # its first probe, asked for ahead by ``Runner.prime``
    asked: Probe | None = None  # the probe whose reply it waits for


@dataclass
class Request:
    """A probe on its way to a worker, and the jobs waiting for its answer."""

    key: str
    probe: Probe
    project: str
    files: tuple[str, ...]
    limit: float
    run_init: bool = False
    waiters: list[Job] = field(default_factory=list)
    attempts: int = 0
    alone: bool = False
    looks: int = 0  # looks in a row that found it where a probe was stopped (a probe sent again does the same)


class Worker:
    """One running sandbox: its process, its channel, its requests in flight."""

    def __init__(self, spec: sandbox.WorkerSpec, started: sandbox.Sandbox | Guest | None = None) -> None:
        self.sandbox = started or sandbox.start(spec)
        self.process = self.sandbox.process
        self.reader = FrameReader(self.process.stdout.fileno())
        self.outbox = bytearray()
        self.ready = False
        self.slowdown = 1.0
        self.started = time.perf_counter()
        self.inflight: dict[int, tuple[Request, float]] = {}  # id -> (request, deadline)
        self.copy = spec.submission
        self.looks: dict[int, float] = {}  # id -> when to look where it is next
        self.places: dict[int, Place | None] = {}  # id -> where it was at the last look
        self.stopping: dict[int, dict[str, Any]] = {}  # id -> the answer of a child told to stop
        os.set_blocking(self.process.stdin.fileno(), False)

    def send(self, identifier: int, request: Request) -> None:
        """Queue the frame of ``request``; its deadline starts now."""
        message = {
            "id": identifier,
            "probe": request.probe.name,
            "project": request.project,
            "files": [file.removesuffix(".py").replace("/", ".") for file in request.files],
            "run_init": request.run_init,
            "args": request.probe.args,
        }
        self.outbox += codec.encode(message)
        self.inflight[identifier] = (request, time.perf_counter() + request.limit * self.slowdown)

    def flush(self) -> None:
        """Write what the pipe takes now."""
        if self.outbox:
            try:
                written = os.write(self.process.stdin.fileno(), self.outbox)
            except BlockingIOError:
                return
            except BrokenPipeError:
                self.outbox.clear()
                return
            del self.outbox[:written]

    def stderr(self) -> str:
        """The end of what the worker printed on its standard error."""
        try:
            return (Path(self.sandbox.scratch.name) / "stderr.txt").read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def kill(self) -> None:
        """Kill the worker's whole process group and forget it."""
        self.sandbox.close()


def failure_message(error: dict[str, Any], project: str) -> str:
    """The student's message for an exception the submission raised (described by the worker)."""
    try:
        return describe_failure(error)
    except (AttributeError, KeyError, TypeError, IndexError):
        return "your code raised an exception, and its description could not be read"


def describe_failure(error: dict[str, Any]) -> str:
    """``failure_message`` of a well-formed description."""
    syntax = error.get("syntax")
    if syntax and syntax.get("file"):
        return (
            f"your file {syntax['file']} has a syntax error at line {syntax['line']}: {syntax['message']}\n"
            f"  hint: fix it, then grade again"
        )
    frames, kind, text = error.get("frames", []), error.get("type", "an exception"), error.get("message", "")
    if kind == "NotImplementedError" and frames and (not text or text.startswith(STUB_PREFIX)):
        where = frames[-1]
        if where["file"] == NOTEBOOK:
            return f"{NOT_IMPLEMENTED}{where['function']}"
        module = where["file"].removesuffix(".py").replace("/", ".")
        return f"{NOT_IMPLEMENTED}{module}.{where['function']}"
    if not frames:
        return text if kind == "ProbeError" else f"{kind}: {text}"
    lines = [f"  {frame['file']}:{frame['line']} in {frame['function']}: {frame['source']}" for frame in frames[-3:]]
    return f"your code raised {kind}: {text}\n" + "\n".join(lines)


def timeout_message(answer: dict[str, Any]) -> tuple[str, str]:
    """The message of a probe stopped for time, and its cause: where it was stopped (none if unknown)."""
    place = answer.get("place")
    if answer.get("early"):
        message = f"this check was stopped after {answer['timed_out']:.2g} s in the loop where another was stopped"
    else:
        message = f"this check took longer than {answer['timed_out']:.3g} s and was stopped"
    if not isinstance(place, Place):
        return f"{message}\n  hint: {TIMEOUT_HINT}", ""
    return (
        f"{message}, at {place}\n  hint: {TIMEOUT_HINT}",
        f"your code did not finish: it was stopped at {place}\n  hint: {TIMEOUT_HINT}",
    )


def death_message(died: dict[str, Any]) -> str:
    """The message for a child that ended without answering (or a worker that never started)."""
    if "start" in died:
        return f"the grading worker could not start, so this check did not run: {died['start']}"
    if "signal" in died:
        return (
            f"the process running your code was killed by {died['signal']} before answering\n"
            f"  hint: it ran out of memory, or your code killed it"
        )
    return (
        f"the process running your code ended (exit status {died.get('exit_code')}) before answering\n"
        f"  hint: something in your code called os._exit(), exit() or killed it"
    )


class Runner:
    """Run jobs on workers made from ``specs`` (one worker per profile: "main", "data"), each
    started by ``starter`` (profile -> a started worker; default: a new sandbox of its spec)."""

    def __init__(
        self,
        specs: dict[str, sandbox.WorkerSpec],
        jobs: int = 2,
        progress: Callable[[str, Outcome], None] | None = None,
        starter: Callable[[str], sandbox.Sandbox | Guest] | None = None,
    ) -> None:
        self.specs, self.jobs, self.progress = specs, max(1, jobs), progress
        self.starter = starter
        self.workers: dict[str, Worker] = {}
        self.selector = selectors.DefaultSelector()
        self.cache: dict[str, dict[str, Any]] = {}
        self.requests: dict[str, Request] = {}
        self.queue: deque[Request] = deque()
        self.outcomes: dict[str, Outcome] = {}
        self.forbidden: list[dict[str, Any]] = []  # uses of autograd that framework probes caught at run time
        self.next_id = 0
        self.stuck: list[Place] = []  # where probes were stopped past their limit
        self.look_period = math.inf  # seconds between looks, before a worker's slowdown

    def start(self, profiles: list[str], started: dict[str, sandbox.Sandbox | None] | None = None) -> None:
        """Start the workers of ``profiles`` now, so that they import torch while the judge prepares;
        ``started`` holds sandboxes already booting for some of them, which are adopted."""
        started = started or {}
        for profile in profiles:
            self.worker(profile, started.get(profile))

    def profile(self, request: Request) -> str:
        """The worker a request needs: the one that sees the MNIST files, or the main one."""
        return "data" if request.probe.data else "main"

    def worker(self, profile: str, started: sandbox.Sandbox | None = None) -> Worker:
        """The worker of ``profile``, started if needed (or adopted from ``started``)."""
        if profile not in self.workers:
            worker = Worker(self.specs[profile], started or (self.starter(profile) if self.starter else None))
            self.workers[profile] = worker
            self.selector.register(worker.reader.fd, selectors.EVENT_READ, profile)
        return self.workers[profile]

    def prime(self, jobs: list[Job]) -> None:
        """Run each job's own preparation (inputs, expected values) up to its first probe, now: the
        judge's share of the work is done while the workers start."""
        for job in jobs:
            job.primed = self.next_probe(job, None)

    def run(self, jobs: list[Job]) -> dict[str, Outcome]:
        """Run every job to its verdict; return the verdicts of these jobs by name."""
        for job in jobs:
            if job.name not in self.outcomes:
                self.advance(job, None)
        while self.queue or any(worker.inflight for worker in self.workers.values()):
            self.dispatch()
            self.wait()
        return {job.name: self.outcomes[job.name] for job in jobs}

    def close(self) -> None:
        """Kill every worker."""
        for profile in list(self.workers):
            self.stop(profile)

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exception: object) -> None:
        self.close()

    def finish(self, job: Job, status: str, message: str = "", cause: str = "") -> None:
        """Record a job's verdict."""
        outcome = Outcome(status, message, time.perf_counter() - job.start, cause)
        self.outcomes[job.name] = outcome
        if self.progress:
            self.progress(job.name, outcome)

    def next_probe(self, job: Job, answer: dict[str, Any] | None) -> Probe | None:
        """Resume a job with an answer (None to start it): its next probe, or None once it has its verdict."""
        if answer is None and job.primed is not None:
            probe, job.primed = job.primed, None
            return probe
        try:
            return job.run.send(reply(job.asked, answer)) if answer is not None else next(job.run)
        except StopIteration:
            self.finish(job, "passed")
        except CheckFailure as failure:
            self.finish(job, "failed", str(failure))
        except Exception as error:  # a malformed answer, or a fault of the kit: say both plainly
            self.finish(
                job,
                "crashed",
                f"the check could not read the answer of the process running your code ({type(error).__name__}: "
                f"{error}); unless your code tampers with the grading, this is a bug of the kit: please report it",
            )
        return None

    def key(self, job: Job, probe: Probe) -> str:
        """The identity of a probe of ``job``: equal keys give equal answers."""
        return probe.key((*job.files, f"run_init={job.run_init}"))

    def advance(self, job: Job, answer: dict[str, Any] | None) -> None:
        """Resume a job with an answer (None to start it) until it waits for a probe or ends."""
        while True:
            probe = self.next_probe(job, answer)
            if probe is None:
                return
            job.asked = probe
            key = self.key(job, probe)
            if key in self.cache:
                answer = self.cache[key]
                if "ok" not in answer:
                    self.answer_failed(job, answer)
                    return
                answer = answer["ok"]
                continue
            if key not in self.requests:
                request = Request(key, probe, job.project, job.files, job.limit, job.run_init)
                self.requests[key] = request
                self.queue.append(request)
            self.requests[key].waiters.append(job)
            return

    def answer_failed(self, job: Job, answer: dict[str, Any]) -> None:
        """A probe of ``job`` ended without a result: the submission raised, died or timed out."""
        if "error" in answer:
            if isinstance(answer["error"].get("forbidden"), dict):
                self.forbidden.append(answer["error"]["forbidden"])
            self.finish(job, "failed", failure_message(answer["error"], job.project))
        elif "timed_out" in answer:
            self.finish(job, "timed out", *timeout_message(answer))
        else:
            self.finish(job, "crashed", death_message(answer.get("died", {})))

    def dispatch(self) -> None:
        """Send queued requests while fewer than ``jobs`` are in flight, those with the longest limit
        first: the long trainings start early and the short probes fill the other slot around them."""
        for request in sorted(self.queue, key=lambda request: request.limit, reverse=True):
            inflight = sum(len(worker.inflight) for worker in self.workers.values())
            if inflight >= self.jobs:
                break
            worker = self.worker(self.profile(request))
            if (
                not worker.ready
                or (request.alone and worker.inflight)
                or any(pending.alone for pending, _ in worker.inflight.values())
            ):
                continue
            self.queue.remove(request)
            request.attempts += 1
            self.next_id += 1
            worker.send(self.next_id, request)
        for worker in self.workers.values():
            worker.flush()

    def wait(self) -> None:
        """Wait for answers until the earliest deadline; handle what arrived or expired."""
        now = time.perf_counter()
        deadlines = [deadline for worker in self.workers.values() for _, deadline in worker.inflight.values()]
        deadlines += [worker.started + START_LIMIT for worker in self.workers.values() if not worker.ready]
        if self.stuck:
            ready = [worker for worker in self.workers.values() if worker.ready]
            deadlines += [worker.looks.get(key, now) for worker in ready for key in worker.inflight]
        timeout = max(0.0, min(deadlines) - now) if deadlines else 0.05
        # A request larger than the pipe (the accuracy check's pairs: 8 MB) is written as the worker
        # reads it: wake up as soon as its pipe has room, not after a fixed pause per pipeful.
        writing = [worker.process.stdin.fileno() for worker in self.workers.values() if worker.outbox]
        for descriptor in writing:
            self.selector.register(descriptor, selectors.EVENT_WRITE)
        try:
            events = self.selector.select(timeout)
        finally:
            for descriptor in writing:
                self.selector.unregister(descriptor)
        for key, _ in events:
            if key.data is not None:  # an answer; a pipe with room is written below
                self.read(key.data)
        for worker in self.workers.values():
            worker.flush()
        self.watch()
        self.expire()

    def watch(self) -> None:
        """Once a probe was stopped in a loop, look where each running probe is, every ``look_period``."""
        if not self.stuck:
            return
        now = time.perf_counter()
        for worker in self.workers.values():
            if not worker.ready:
                continue
            period = self.look_period * worker.slowdown
            for identifier in worker.inflight:
                if worker.looks.setdefault(identifier, now + period) <= now and identifier not in worker.stopping:
                    worker.outbox += codec.encode({"stack": identifier})
                    worker.looks[identifier] = now + period
            worker.flush()

    def stack(self, worker: Worker, message: dict[str, Any]) -> None:
        """Note where a running probe was, from the zygote's answer to a look; tell the zygote to stop
        a probe found in a loop where one was stopped, ``STUCK_LOOKS`` looks in a row."""
        identifier, stack, root = message.get("id"), message.get("stack"), message.get("root")
        if not isinstance(identifier, int) or not isinstance(stack, str) or not isinstance(root, str):
            return
        if identifier not in worker.inflight:
            return  # it answered meanwhile
        place = innermost(stack, root, worker.copy)
        worker.places[identifier] = place
        request, deadline = worker.inflight[identifier]
        stuck = next((where for where in self.stuck if place is not None and place.within(where)), None)
        request.looks = request.looks + 1 if stuck else 0
        if stuck and request.looks >= STUCK_LOOKS and identifier not in worker.stopping:
            seconds = time.perf_counter() - deadline + request.limit * worker.slowdown
            worker.stopping[identifier] = {"timed_out": seconds, "place": stuck, "early": True}  # the same cause
            worker.outbox += codec.encode({"stop": identifier})
            worker.flush()

    def locate(self, profile: str, identifiers: list[int]) -> None:
        """Ask where the probes ``identifiers`` of a worker are, and wait at most ``STACK_WAIT`` for
        the answers (``Worker.places``); a worker that dies meanwhile is left to the caller."""
        worker = self.workers[profile]
        for identifier in identifiers:
            worker.places.pop(identifier, None)
            worker.outbox += codec.encode({"stack": identifier})
        deadline = time.perf_counter() + STACK_WAIT
        while self.workers.get(profile) is worker and any(key not in worker.places for key in identifiers):
            worker.flush()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return
            readable, _, _ = select.select([worker.reader.fd], [], [], min(remaining, 0.01 if worker.outbox else 1))
            if readable:
                self.read(profile)

    def read(self, profile: str) -> None:
        """Read a worker's answers; handle its death when its channel closes."""
        worker = self.workers.get(profile)
        if worker is None:
            return
        try:
            frames = worker.reader.read()
        except codec.CodecError:
            frames, worker.reader.closed = [], True
        for frame in frames:
            try:
                message = codec.decode(frame)
            except codec.CodecError:
                continue
            if not isinstance(message, dict):
                continue
            if not worker.ready:
                hello = message.get("hello")
                calibration = hello.get("calibration") if isinstance(hello, dict) else None
                if isinstance(calibration, float) and math.isfinite(calibration) and calibration > 0:
                    worker.slowdown = min(MAX_SLOWDOWN, max(1.0, calibration / NOMINAL_CALIBRATION))
                worker.ready = isinstance(hello, dict)
                continue
            if "stack" in message:
                self.stack(worker, message)
                continue
            identifier = message.get("id")
            entry = worker.inflight.pop(identifier, None) if isinstance(identifier, int) else None
            if entry is not None:
                worker.looks.pop(identifier, None)
                worker.places.pop(identifier, None)
                stopped = worker.stopping.pop(identifier, None)  # unless it answered before it was stopped
                self.answered(entry[0], stopped if stopped and not {"ok", "error"} & set(message) else message)
        if worker.reader.closed:
            self.worker_died(profile)

    def answered(self, request: Request, message: dict[str, Any]) -> None:
        """Store a probe's answer and resume the jobs waiting for it."""
        answer = {key: message[key] for key in ("ok", "error", "died", "timed_out", "place", "early") if key in message}
        if not any(isinstance(answer.get(key), dict) for key in ("ok", "error", "died")) and "timed_out" not in answer:
            answer = {"died": {"exit_code": None}}  # an answer that is no answer
        if "error" in answer and not isinstance(answer["error"], dict):
            answer = {"error": {"type": "an exception", "message": "", "frames": []}}
        self.cache[request.key] = answer
        del self.requests[request.key]
        for job in request.waiters:
            if "ok" in answer:
                self.advance(job, answer["ok"])
            else:
                self.answer_failed(job, answer)

    def stop(self, profile: str) -> list[Request]:
        """Kill a worker; return the requests it had in flight."""
        worker = self.workers.pop(profile)
        self.selector.unregister(worker.reader.fd)
        pending = [request for request, _ in worker.inflight.values()]
        worker.kill()
        return pending

    def worker_died(self, profile: str) -> None:
        """A worker's channel closed: a probe running alone is at fault; others are retried alone."""
        worker = self.workers[profile]
        if not worker.ready:
            self.never_started(profile, " ".join(worker.stderr().strip().splitlines()[-1:]) or "no message")
            return
        pending = self.stop(profile)
        for request in pending:
            if len(pending) == 1 or request.attempts >= 2:
                self.answered(request, {"died": {"exit_code": None}})
            else:
                request.alone = True
                self.queue.appendleft(request)

    def never_started(self, profile: str, detail: str) -> None:
        """A worker that could not start: the requests waiting for it fail with the reason."""
        self.stop(profile)
        for request in [request for request in self.queue if self.profile(request) == profile]:
            self.queue.remove(request)
            self.answered(request, {"died": {"start": detail}})

    def expire(self) -> None:
        """Kill the workers whose probes ran out of time; those probes fail, the others are sent again."""
        now = time.perf_counter()
        for profile, worker in list(self.workers.items()):
            if not worker.ready and now > worker.started + START_LIMIT:
                self.never_started(profile, f"not ready within {START_LIMIT:g} s; {worker.stderr().strip()[-300:]}")
                continue
            late = {key: request for key, (request, deadline) in worker.inflight.items() if now > deadline}
            if not late:
                continue
            self.locate(profile, list(late))
            if self.workers.get(profile) is not worker:
                continue  # it died meanwhile: its probes were handled as a death
            answers: dict[str, dict[str, Any]] = {}
            for identifier, request in late.items():
                place = worker.places.get(identifier)
                if place is not None:
                    self.look_period = min(self.look_period, request.limit / LOOKS_PER_LIMIT)
                    known = next((where for where in self.stuck if place.within(where)), None)
                    if known is None:
                        self.stuck.append(place)
                    place = known or place  # a loop already named is the same cause
                answers[request.key] = {"timed_out": request.limit * worker.slowdown, "place": place}
            for request in self.stop(profile):
                if request.key in answers:
                    self.answered(request, answers[request.key])
                else:
                    request.attempts -= 1  # not its fault
                    self.queue.appendleft(request)
