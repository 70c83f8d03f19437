"""The one source of the numbers a grading draws in secret.

A check whose task is drawn afresh for each grading (the disk to learn) takes its numbers from
``draw``: the operating system's generator (module ``secrets``), which nothing in a submission,
its folder, the environment or the command line can predict or fix, so that no answer can be
computed before the grading. The kit's own tests replace ``draw`` by a seeded sequence (the
``fixed_secrets`` fixture of tests/conftest.py), so that their outcomes are the same run to run;
a grading never does.
"""

from __future__ import annotations

import secrets

BITS = 64


def draw() -> int:
    """A fresh secret number, uniform in [0, 2**64)."""
    return secrets.randbits(BITS)
