"""Project 2 computes its gradients itself: catch autograd at run time, whatever the scan missed.

The scan keeps ``torch.autograd`` and its kin out of ``framework/``'s source, but code can
reach autograd by routes no scan foresees (``torch.inference_mode(False)``, a keyword built
at run time...). So every framework probe runs under ``AutogradSentinel``, a torch function
mode that sees every call of torch's API: a call on a tensor that requires grad (autograd
recording a graph), one that asks for ``requires_grad=True``, one inside a ``torch.func``
transform or inside a forward-mode dual level is recorded with the place in the submission
that made it, and stopped. Graded code cannot leave the mode without torch's private API
(which the scan refuses), nor start a thread, where the mode would not follow it.
"""

from __future__ import annotations

import _thread
import sys
import threading
from pathlib import Path
from typing import Any

import torch
import torch.autograd.forward_ad as forward_ad
from torch.overrides import TorchFunctionMode

from .errors import relative

THREAD_STARTERS = ("start_new_thread", "start_new", "start_joinable_thread")


class AutogradUsed(BaseException):
    """Raised into graded code that uses autograd (a BaseException: ``except Exception`` lets it through)."""


class AutogradSentinel(TorchFunctionMode):
    """A torch function mode that records the first use of autograd and stops it.

    Attributes:
        found: where autograd was first used (``file``, ``line``, ``function``, ``what``),
            or None while it has not been.
    """

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root
        self.found: dict[str, Any] | None = None

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        if self.found is None:
            what = autograd_use(func, args, kwargs)
            if what:
                self.found = {**self.site(), "what": what}
        if self.found is not None:
            raise AutogradUsed(f"{self.found['what']}: the framework computes its own gradients")
        return func(*args, **kwargs)

    def site(self) -> dict[str, Any]:
        """The innermost frame of the submission's files: where autograd was asked for."""
        frame = sys._getframe(2)
        while frame is not None:
            path = relative(frame.f_code.co_filename, self.root)
            if path is not None:
                return {"file": path, "line": frame.f_lineno, "function": frame.f_code.co_qualname}
            frame = frame.f_back
        return {"file": None, "line": 0, "function": ""}


def autograd_use(func: Any, args: tuple, kwargs: dict) -> str:
    """What in one call of torch's API is autograd's doing ("" for nothing)."""
    name = getattr(func, "__name__", str(func))
    if kwargs.get("requires_grad"):
        return f"{name}(..., requires_grad=True)"
    for value in args:
        for tensor in value if isinstance(value, list | tuple) else (value,):
            if isinstance(tensor, torch.Tensor) and tensor.requires_grad:
                return f"{name} on a tensor that requires grad (autograd records a graph)"
    if torch._C._are_functorch_transforms_active():
        return f"{name} inside a torch.func transform"
    if forward_ad._current_level >= 0:
        return f"{name} inside a forward-mode autograd level"
    return ""


def describe_use(found: dict[str, Any]) -> dict[str, Any]:
    """The error a probe answers when its code used autograd: ``forbidden`` tells the judge where,
    so that the judge charges it as it charges a scan finding."""
    where = f"{found['file']}:{found['line']} ({found['function']})" if found["file"] else "the framework's code"
    return {
        "type": "AutogradUsed",
        "message": f"autograd was used at run time in {where}: {found['what']}",
        "frames": [],
        "forbidden": found,
    }


def refuse_thread(*args: Any, **kwargs: Any) -> None:
    """What starting a thread does in a framework probe: the sentinel would not follow the thread."""
    raise RuntimeError("the framework's probes run in one thread: start no thread")


def forbid_threads() -> None:
    """Make every way of starting a thread fail in this process (a probe's child, never the zygote)."""
    for module in (_thread, threading):
        for name in THREAD_STARTERS:
            for attribute in (name, f"_{name}"):
                if hasattr(module, attribute):
                    setattr(module, attribute, refuse_thread)


def guard(root: Path) -> AutogradSentinel:
    """Forbid threads and return the sentinel to enter around the framework's code."""
    forbid_threads()
    return AutogradSentinel(root)
