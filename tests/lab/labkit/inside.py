"""Run a pytest file *inside* the nested lab's outer container and check it passed.

The files live in ``tests/lab/inner_actions/``; their conftest skips them
unless ``NTL_INSIDE_OUTER=1`` is set, which :func:`run_pytest_inside` does.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from .nested import NestedLab

INNER_TESTS = Path(__file__).resolve().parent.parent / "inner_actions"
#: The last line of ``pytest -q`` when everything passed (warnings allowed).
_ALL_PASSED = re.compile(r"=*\s*(\d+) passed(?:, \d+ warnings?)? in [\d.]+s(?: \([\d:]+\))?\s*=*")


def run_pytest_inside(
    nested: NestedLab,
    files: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 180,
) -> subprocess.CompletedProcess[str]:
    """``pytest -q FILES`` (names under ``inner_actions/``) inside the outer.

    The environment holds ``NTL_INSIDE_OUTER=1``, ``PYTHONDONTWRITEBYTECODE=1``
    and ``env``; the checkout is read-only there, so no cache provider.
    """
    paths = [str(INNER_TESTS / name) for name in files]
    return nested.run(
        nested.pytest_argv(["-q", "-rfEs", *paths]),
        env={"NTL_INSIDE_OUTER": "1", "PYTHONDONTWRITEBYTECODE": "1", **(env or {})},
        cwd="/tmp",
        timeout=timeout,
    )


def passed_count(result: subprocess.CompletedProcess[str]) -> int:
    """How many tests passed, when *all* did (no failure, error or skip); else
    an AssertionError with the inner run's output."""
    lines = result.stdout.strip().splitlines()
    match = _ALL_PASSED.fullmatch(lines[-1].strip()) if lines else None
    if result.returncode != 0 or match is None:
        raise AssertionError(
            f"pytest inside the outer did not pass cleanly (exit {result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return int(match.group(1))
