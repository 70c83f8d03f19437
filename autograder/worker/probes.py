"""Every probe the worker answers, by name (``framework.forward_backward``, ``pairs.models``...).

A probe's reply is typed: the probe function's return annotation is a ``NamedTuple``
that the worker returns and the codec sends as a dict of its fields; ``reply_type``
tells the judge which type to read it back as.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from . import probes_framework, probes_gradients, probes_pairs

PROBES: dict[str, Callable[..., Any]] = {**probes_framework.PROBES, **probes_gradients.PROBES, **probes_pairs.PROBES}


@functools.cache
def reply_type(name: str) -> type | None:
    """The ``NamedTuple`` that probe ``name`` replies with, or None for a probe that replies with a dict."""
    annotation = inspect.signature(PROBES[name], eval_str=True).return_annotation
    return annotation if isinstance(annotation, type) and issubclass(annotation, tuple) else None
