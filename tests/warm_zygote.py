"""The warm zygote server: torch imported once, then one forked zygote per worker a grading asks for.

Started by ``warm.py`` as ``python -I -S -B warm_zygote.py GRADER SOCKET PATHS``: ``GRADER`` is a
folder holding a copy of the worker package (imported as ``worker``, as the sandbox names it),
``SOCKET`` the file descriptor of its end of a socket pair, ``PATHS`` the Python path as JSON.
Each request on the socket is the zygote's JSON configuration, its environment and working
folder, with three file descriptors (its stdin, stdout and stderr); the server forks, and the
child becomes a session leader and runs the very ``worker.zygote.main`` that the sandbox runs,
the imports already done. The reply is the child's pid. This file imports only the standard
library and the worker package, so that a zygote's children find nothing of the kit loaded.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import sys

REAP_PERIOD = 0.1  # seconds between reaps of the zygotes that ended
MAX_REQUEST = 1 << 20  # bytes of one request


def warm_up() -> None:
    """Import torch and what every zygote loads before its first child, once for all of them."""
    import torch
    from worker import codec, loader, no_autograd, probes, zygote  # noqa: F401 (loaded before any fork)

    torch.set_num_threads(1)
    zygote.warm_up(torch, optimizers=True)
    zygote.collapse_memory()  # every zygote and probe is a fork of this server


def reap() -> None:
    """Reap every zygote that ended (killed by the judge, or its stdin closed)."""
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def become_zygote(request: dict, descriptors: list[int], server: socket.socket) -> None:
    """In the forked child: take the worker's streams, environment and folder, then run the zygote."""
    server.close()
    os.setsid()  # its own process group, which the judge kills as it kills a sandbox's
    for target, descriptor in zip((0, 1, 2), descriptors, strict=True):
        os.dup2(descriptor, target)
        os.close(descriptor)
    os.environ.clear()
    os.environ.update(request["environment"])
    os.chdir(request["folder"])
    from worker.zygote import main

    main(request["config"])


def serve(server: socket.socket) -> None:
    """Fork a zygote for each request until the judge closes its end of the socket."""
    while True:
        reap()
        if not select.select([server], [], [], REAP_PERIOD)[0]:
            continue
        message, descriptors, _, _ = socket.recv_fds(server, MAX_REQUEST, 3)
        if not message:
            return
        pid = os.fork()
        if pid == 0:
            try:
                become_zygote(json.loads(message), descriptors, server)
            finally:
                os._exit(0)
        for descriptor in descriptors:
            os.close(descriptor)
        server.sendall(json.dumps({"pid": pid}).encode())


def main() -> None:
    """Warm up, then serve."""
    grader, descriptor, paths = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
    sys.path[:0] = [grader, *paths]
    sys.dont_write_bytecode = True
    warm_up()
    serve(socket.socket(fileno=descriptor))


if __name__ == "__main__":
    main()
