"""What a probe's code may not do beyond its limits: start programs, or outlive its probe.

``confine_probe`` runs in a probe's child before the submission is imported: the child
becomes the leader of a process group of its own, and a seccomp filter makes ``execve``
and ``execveat`` (``subprocess``, ``os.system``, ``os.posix_spawn``, asyncio's
subprocesses...) fail with ``EPERM``, and ``setsid`` and ``setpgid`` too, so that every
process it forks stays in its group. Forking stays allowed: the sandbox's cgroup caps the
processes, and ``end_probe`` kills the whole group at once when the probe ends, then reaps
it. The zygote is a child subreaper (``adopt_orphans``): a process whose parent dies
becomes the zygote's child, so that the zygote reaps it and none is left, not even a zombie.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import signal

PR_SET_SECCOMP = 22  # from <linux/prctl.h>
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
SECCOMP_MODE_FILTER = 2  # from <linux/seccomp.h>
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
LOAD_WORD, JUMP_EQUAL, JUMP_ANY_BIT, RETURN = 0x20, 0x15, 0x45, 0x06  # classic BPF: ld [k], jeq #k, jset #k, ret #k
NUMBER_OFFSET, ARCH_OFFSET = 0, 4  # of ``nr`` and ``arch`` in struct seccomp_data
X32_BIT = 0x40000000  # set in the numbers of x86_64's x32 system calls
WAIT_ALL = 0x40000000  # __WALL from <linux/wait.h>: reap a child whatever signal its end sends
# The machine (os.uname) -> its audit architecture, and its numbers of execve, execveat, setsid and
# setpgid (<asm/unistd_64.h>, <asm-generic/unistd.h>). A system call of another architecture (x86_64's
# i386 and x32 ABIs, aarch64's 32-bit one) is denied whatever it is.
ARCHITECTURES = {
    "x86_64": (0xC000003E, (59, 322, 112, 109)),
    "aarch64": (0xC00000B7, (221, 281, 157, 154)),
}


class Instruction(ctypes.Structure):
    """struct sock_filter: one classic BPF instruction."""

    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class Program(ctypes.Structure):
    """struct sock_fprog: a classic BPF program."""

    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(Instruction))]


def program(arch: int, denied: tuple[int, ...]) -> list[tuple[int, int, int, int]]:
    """The filter: allow every system call of ``arch`` but ``denied`` and x32's, which fail with EPERM.

    Each instruction is (code, jump if true, jump if false, k); a jump skips that many instructions.
    """
    tests = [(JUMP_ANY_BIT, X32_BIT), *((JUMP_EQUAL, number) for number in denied)]
    deny = len(tests) + 4  # the index of the last instruction
    return [
        (LOAD_WORD, 0, 0, ARCH_OFFSET),
        (JUMP_EQUAL, 0, deny - 2, arch),
        (LOAD_WORD, 0, 0, NUMBER_OFFSET),
        *((code, deny - index - 4, 0, value) for index, (code, value) in enumerate(tests)),
        (RETURN, 0, 0, SECCOMP_RET_ALLOW),
        (RETURN, 0, 0, SECCOMP_RET_ERRNO | errno.EPERM),
    ]


def prctl(option: int, *arguments: int) -> None:
    """Call prctl(2) with ``arguments`` (the others zero); raise OSError if it fails."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, *[ctypes.c_ulong] * 4]
    if libc.prctl(option, *arguments, *[0] * (4 - len(arguments))) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def confine_probe() -> None:
    """Put this process in a process group of its own, which it and the processes it forks can
    neither leave nor replace by a program (where the machine's architecture is not one the
    filter knows, the group is all there is)."""
    os.setpgid(0, 0)
    known = ARCHITECTURES.get(os.uname().machine)
    if known is None:
        return
    instructions = program(*known)
    compiled = (Instruction * len(instructions))(*(Instruction(*row) for row in instructions))
    filter_program = Program(len(instructions), compiled)
    try:
        prctl(PR_SET_NO_NEW_PRIVS, 1)
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(filter_program))
    except OSError as error:
        raise OSError(
            error.errno,
            f"the kernel refused the seccomp filter that keeps graded code from starting programs ({error.strerror}):"
            " grade on a Linux kernel built with CONFIG_SECCOMP_FILTER",
        ) from None


def adopt_orphans() -> None:
    """Make this process the parent of every process its descendants leave without a parent."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the sandbox is partial there anyway
        prctl(PR_SET_CHILD_SUBREAPER, 1)


def end_probe(group: int) -> None:
    """Kill every process of a probe's process group at once, and reap those that are (or become,
    as their parents die) this process's children; the probe's child itself must be reaped first."""
    with contextlib.suppress(ProcessLookupError):  # none is left
        os.killpg(group, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):  # no child of this process is left in the group
        while True:
            os.waitpid(-group, WAIT_ALL)
