"""Named checks of a solution, shared by the pytest suite and the nbgrader test cells.

Every check takes the solution's project namespace (a module such as
``exercises.framework``, or a notebook's ``globals()`` wrapped in a namespace) and
raises ``CheckFailure`` with a message written for the student when it fails.
"""

from __future__ import annotations

from typing import Any, NoReturn


class CheckFailure(AssertionError):
    """A failed check: what was checked, what was expected, what was obtained, and a hint."""


def fail(checked: str, expected: Any, obtained: Any, hint: str) -> NoReturn:
    """Raise a ``CheckFailure`` with the four parts of a student-facing message."""
    raise CheckFailure(f"{checked}\n  expected: {expected}\n  obtained: {obtained}\n  hint: {hint}")


def expect(condition: bool, checked: str, expected: Any, obtained: Any, hint: str) -> None:
    """Fail with the four-part message unless ``condition`` holds."""
    if not condition:
        fail(checked, expected, obtained, hint)


def describe(value: Any) -> str:
    """A short description of a value for messages: tensors by shape and dtype."""
    shape = getattr(value, "shape", None)
    if shape is not None and hasattr(value, "dtype"):
        return f"tensor of shape {tuple(shape)}, dtype {value.dtype}"
    return repr(value) if len(repr(value)) < 80 else type(value).__name__
