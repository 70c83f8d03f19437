"""What a check asks of the worker: a probe's name and its arguments, plain data only.

A check is a generator: it yields ``Probe``s and receives each one's reply back, typed
(``reply``: the named tuple the probe declares, see ``worker/probes.py``); it returns
when it passes and raises ``CheckFailure`` when it fails. Identical
probes of several checks run once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

from ..worker import codec
from ..worker.probes import reply_type

CheckRun = Generator["Probe", Any, None]
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


def reply(probe: Probe, answer: Any) -> Any:
    """``answer``, the worker's reply to ``probe``, as the probe's reply type (a dict for an untyped probe).

    Raises:
        ValueError: an answer whose fields are not the reply type's (a worker that was tampered with).
    """
    kind = reply_type(probe.name)
    if kind is None or isinstance(answer, kind):
        return answer
    if not isinstance(answer, dict) or set(answer) != set(kind._fields):
        fields = sorted(answer) if isinstance(answer, dict) else type(answer).__name__
        raise ValueError(f"the reply to {probe.name} holds {fields}, not the fields of {kind.__name__}")
    return kind(**answer)
