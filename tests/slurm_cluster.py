"""A private one-node Slurm cluster on this machine, for the tests: munged, slurmctld and slurmd
started from a folder of their own (key, socket, configuration, state, logs), on free ports, so
that nothing of the machine's own Slurm or munge is used or touched.

It needs Debian's ``slurm-wlm`` and ``munge`` and root (slurmd starts jobs as their user).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

COMMANDS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scancel")
PARTITION = "kit"
START_TIMEOUT = 60  # seconds for the node to show idle
FINISHED = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL"}


def missing() -> str | None:
    """Why a cluster cannot be started here, or None when it can."""
    if os.geteuid() != 0:
        return "slurmd must run as root to start jobs as their user: run the tests as root"
    absent = [name for name in COMMANDS if shutil.which(name) is None]
    if absent:
        return f"Slurm is not installed ({', '.join(absent)} not found): apt-get install slurm-wlm munge"
    return None


def free_port() -> int:
    """A TCP port that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


def node_line() -> str:
    """This machine as a slurm.conf node (``NodeName=... CPUs=... RealMemory=...``), measured by slurmd."""
    [line, *_] = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True).stdout.splitlines()
    return line


def configuration(folder: Path, socket_path: Path) -> str:
    """A minimal slurm.conf: one node (this machine), one partition, no cgroups, no accounting, and a
    scheduling pass every second (not every minute), so that a job starts as soon as it can."""
    return f"""\
ClusterName=kit
SlurmctldHost=localhost
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={socket_path}
CredType=cred/munge
StateSaveLocation={folder / "state"}
SlurmdSpoolDir={folder / "spool"}
SlurmctldPidFile={folder / "slurmctld.pid"}
SlurmdPidFile={folder / "slurmd.pid"}
SlurmctldLogFile={folder / "slurmctld.log"}
SlurmdLogFile={folder / "slurmd.log"}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SchedulerParameters=sched_interval=1
ReturnToService=2
{node_line()} NodeAddr=localhost State=UNKNOWN
PartitionName={PARTITION} Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


class Cluster:
    """munged, slurmctld and slurmd running from ``folder``; ``env`` points Slurm's commands at them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.daemons: list[subprocess.Popen] = []
        for name in ("state", "spool"):
            (folder / name).mkdir()
        self.key, self.socket = folder / "munge.key", folder / "munge.socket"
        self.key.write_bytes(os.urandom(1024))
        self.key.chmod(0o400)
        self.conf = folder / "slurm.conf"
        self.conf.write_text(configuration(folder, self.socket))
        self.env = os.environ | {"SLURM_CONF": str(self.conf)}

    def start(self) -> None:
        """Start munged, slurmctld and slurmd, and wait until the node shows idle."""
        # --force: munged refuses a socket in a folder that others cannot enter, and pytest's are private.
        munge_files = [f"--{name}-file={self.folder / f'munged.{name}'}" for name in ("pid", "log", "seed")]
        socket_and_key = f"--socket={self.socket}", f"--key-file={self.key}"
        self.daemon("munged", "--foreground", "--force", *socket_and_key, *munge_files)
        self.daemon("slurmctld", "-D", "-f", str(self.conf))
        self.daemon("slurmd", "-D", "-f", str(self.conf))
        self.wait_until_idle()

    def daemon(self, *command: str) -> None:
        """Start a daemon in the foreground of a session of its own, its output in ``folder/NAME.out``."""
        with (self.folder / f"{command[0]}.out").open("w") as output:
            self.daemons.append(
                subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
            )

    def run(self, *command: str, cwd: Path | None = None) -> str:
        """Run a Slurm command against this cluster and return its output; fail with its message if it fails."""
        process = subprocess.run(command, cwd=cwd, env=self.env, capture_output=True, text=True, timeout=60)
        assert process.returncode == 0, f"{' '.join(command)} failed:\n{process.stderr}{self.logs()}"
        return process.stdout

    def wait_until_idle(self) -> None:
        """Return once the node shows idle; fail with the daemons' logs after START_TIMEOUT seconds."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if any(daemon.poll() is not None for daemon in self.daemons):
                raise AssertionError(f"a daemon stopped as it started:{self.logs()}")
            states = subprocess.run(["sinfo", "-h", "-o", "%T"], env=self.env, capture_output=True, text=True)
            if states.stdout.split() == ["idle"]:
                return
            time.sleep(0.5)
        raise AssertionError(f"the node is not idle after {START_TIMEOUT} s:{self.logs()}")

    def jobs(self, *ids: str) -> list[list[str]]:
        """Every job and array task of ``ids`` as [id, state, start, end], finished ones included."""
        listing = self.run("squeue", "--noheader", "--states=all", f"--jobs={','.join(ids)}", "--format=%i %T %S %e")
        return sorted(line.split() for line in listing.splitlines())

    def wait(self, *ids: str, timeout: float = 600) -> list[list[str]]:
        """``jobs(*ids)`` once none of them is pending or running; fail with the logs after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            jobs = self.jobs(*ids)
            if all(state in FINISHED for _, state, *_ in jobs):
                return jobs
            time.sleep(1)
        raise AssertionError(f"jobs {ids} still run after {timeout} s: {jobs}{self.logs()}")

    def logs(self) -> str:
        """The last lines of every daemon's log, to show when something fails."""
        tails = []
        for log in sorted(self.folder.glob("*.log")) + sorted(self.folder.glob("*.out")):
            lines = log.read_text(errors="replace").splitlines()[-15:]
            tails.append(f"\n--- {log.name}\n" + "\n".join(lines))
        return "".join(tails)

    def stop(self) -> None:
        """Cancel what still runs on the partition, then stop the daemons, the last started first."""
        subprocess.run(["scancel", "--partition", PARTITION], env=self.env, capture_output=True, timeout=60)
        for daemon in reversed(self.daemons):
            daemon.terminate()
            try:
                daemon.wait(timeout=15)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()


@contextmanager
def running(folder: Path) -> Iterator[Cluster]:
    """A cluster started from ``folder`` (empty), stopped on leaving, whatever happened."""
    cluster = Cluster(folder)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
