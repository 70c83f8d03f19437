"""What a check asks of the worker: a probe's name and its arguments, plain data only.

A check is a generator: it yields ``Probe``s and receives each one's result (a dict)
back; it returns when it passes and raises ``CheckFailure`` when it fails. Identical
probes of several checks run once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

from ..worker import codec

CheckRun = Generator["Probe", dict, None]
CheckFunction = Callable[[], CheckRun]


@dataclass(frozen=True)
class Probe:
    """A request for the worker: ``name`` (``framework.forward_backward``...), ``args``, and
    whether it needs the MNIST files (``data``)."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)
    data: bool = False

    def key(self, files: tuple[str, ...]) -> str:
        """The identity of this probe on these files: equal keys give equal answers."""
        content = codec.encode({"name": self.name, "args": self.args, "data": self.data, "files": list(files)})
        return hashlib.sha256(content).hexdigest()
