"""An exception raised by a submission, described as plain data for the judge's message.

Only the submission's own frames are kept: the student sees where in their files the
error arose, never the worker's code. Every attribute read is guarded, since a hostile
exception may raise from ``__str__`` or carry odd attributes.
"""

from __future__ import annotations

import linecache
from pathlib import Path
from typing import Any

MESSAGE_LIMIT = 1500
FRAME_LIMIT = 6


def describe(error: BaseException, root: Path | None) -> dict[str, Any]:
    """``type``, ``message``, the submission's ``frames`` and, for a syntax error, ``syntax``.

    The submission's files are those under ``root``; with ``root`` None, the cells of a
    notebook (``NOTEBOOK`` stands for their file).
    """
    description: dict[str, Any] = {
        "type": guarded(lambda: type(error).__name__, "an exception"),
        "message": guarded(lambda: str(error)[:MESSAGE_LIMIT], "(its message could not be read)"),
        "frames": guarded(lambda: frames(error, root), []),
    }
    if isinstance(error, SyntaxError):
        description["syntax"] = guarded(lambda: syntax(error, root), None)
    return description


def guarded(read: Any, fallback: Any) -> Any:
    """``read()``, or ``fallback`` when reading raises anything."""
    try:
        return read()
    except BaseException:
        return fallback


NOTEBOOK = "<notebook>"


def relative(filename: str, root: Path | None) -> str | None:
    """A file's path relative to the submission's root, or None for a file outside it."""
    if root is None:
        return NOTEBOOK if "ipykernel_" in filename or filename.startswith("<ipython-input") else None
    try:
        path = Path(filename).resolve()
        return path.relative_to(root.resolve()).as_posix() if path.is_relative_to(root.resolve()) else None
    except (OSError, ValueError):
        return None


def frames(error: BaseException, root: Path | None) -> list[dict[str, Any]]:
    """The traceback's frames in the submission's files, innermost last (the last few)."""
    found = []
    entry = error.__traceback__
    while entry is not None:
        code = entry.tb_frame.f_code
        path = relative(code.co_filename, root)
        if path is not None:
            line = linecache.getline(code.co_filename, entry.tb_lineno).strip()
            found.append({"file": path, "line": entry.tb_lineno, "function": code.co_qualname, "source": line})
        entry = entry.tb_next
    return found[-FRAME_LIMIT:]


def syntax(error: SyntaxError, root: Path | None) -> dict[str, Any]:
    """Where a syntax error is: file, line and the parser's message."""
    return {"file": relative(error.filename or "", root), "line": error.lineno, "message": error.msg}
