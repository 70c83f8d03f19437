"""The student's message for a failed check, and the comparisons that decide it.

A message has four parts: what was checked, what was expected, what the code gave,
and a hint. Where the answer matches a classic mistake, which the judge computes on
the same inputs, the hint names that mistake.
"""

from __future__ import annotations

from typing import Any, NoReturn

import torch

FLOAT32_TOLERANCE = 1e-4  # relative to the largest expected value: any correct float32 computation passes
FLOAT64_TOLERANCE = 1e-10


class CheckFailure(AssertionError):
    """A failed check; its text is the student's message."""


def fail(checked: str, expected: Any, obtained: Any, hint: str) -> NoReturn:
    """Raise a ``CheckFailure`` with the four parts of a message."""
    raise CheckFailure(f"{checked}\n  expected: {expected}\n  obtained: {obtained}\n  hint: {hint}")


def expect(condition: bool, checked: str, expected: Any, obtained: Any, hint: str) -> None:
    """Fail with the four-part message unless ``condition`` holds."""
    if not condition:
        fail(checked, expected, obtained, hint)


def describe(value: Any) -> str:
    """A short description of a value the worker returned: tensors by shape and dtype."""
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}, dtype {str(value.dtype).removeprefix('torch.')}"
    if isinstance(value, dict) and set(value) == {"type", "text"}:
        return f"{value['text']} (a {value['type']})" if len(value["text"]) < 60 else f"a {value['type']}"
    text = repr(value)
    return text if len(text) < 80 else type(value).__name__


def dtype_name(dtype: torch.dtype) -> str:
    """``float32`` for ``torch.float32``."""
    return str(dtype).removeprefix("torch.")


def show(tensor: torch.Tensor, count: int = 4) -> str:
    """The first values of a tensor, rounded, for a message."""
    values = tensor.detach().flatten()[:count].tolist()
    shown = ", ".join(f"{value:.4g}" if isinstance(value, float) else str(value) for value in values)
    return f"[{shown}{', ...' if tensor.numel() > count else ''}]"


def tensor(value: Any, checked: str, shape: tuple[int, ...], dtype: torch.dtype, hint: str) -> torch.Tensor:
    """``value`` if it is a tensor of ``shape`` and ``dtype``, else a failure saying what it is."""
    expect(
        isinstance(value, torch.Tensor) and tuple(value.shape) == shape and value.dtype == dtype,
        checked,
        f"a tensor of shape {shape}, dtype {dtype_name(dtype)}",
        describe(value),
        hint,
    )
    return value


def close(obtained: torch.Tensor, expected: torch.Tensor, tolerance: float | None = None) -> bool:
    """Whether ``obtained`` equals ``expected`` up to a tolerance relative to the largest expected value.

    The tolerance defaults to one that every correct computation in ``obtained``'s dtype
    meets (``FLOAT32_TOLERANCE``, or ``FLOAT64_TOLERANCE`` for float64).
    """
    if obtained.shape != expected.shape:
        return False
    if tolerance is None:
        tolerance = FLOAT64_TOLERANCE if obtained.dtype == torch.float64 else FLOAT32_TOLERANCE
    if not expected.numel():
        return True
    if not bool(torch.isfinite(obtained).all()):
        return False
    scale = max(expected.double().abs().max().item(), 1e-12)
    return (obtained.double() - expected.double()).abs().max().item() <= tolerance * scale


def mistake(obtained: torch.Tensor, candidates: dict[str, torch.Tensor]) -> str | None:
    """The classic mistake whose answer is ``obtained``, if any (a description for the hint)."""
    for name, wrong in candidates.items():
        if wrong.shape == obtained.shape and close(obtained, wrong):
            return name
    return None


def expect_close(
    obtained: torch.Tensor,
    expected: torch.Tensor,
    checked: str,
    hint: str,
    mistakes: dict[str, torch.Tensor] | None = None,
) -> None:
    """Fail unless ``obtained`` is close to ``expected``; name the classic mistake it matches."""
    if close(obtained, expected):
        return
    named = mistake(obtained, mistakes or {})
    fail(checked, show(expected), show(obtained), f"this is {named}. {hint}" if named else hint)
