"""The input fuzz (test_inputs_fuzz.py) counts its cases; the figure is printed at the end of the run."""

from __future__ import annotations

import pytest
from fuzz_kit import FuzzCount

FUZZ_COUNT = pytest.StashKey[FuzzCount]()


@pytest.fixture(scope="session")
def fuzz_count(pytestconfig: pytest.Config) -> FuzzCount:
    """Shared by every fuzz test of the session."""
    return pytestconfig.stash.setdefault(FUZZ_COUNT, FuzzCount())


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    count = config.stash.get(FUZZ_COUNT, None)
    if count is None or not count.typed:
        return
    detail = ", ".join(
        f"{name} {typed:,} ({count.submitted[name]:,})"
        for name, typed in sorted(count.typed.items())
    )
    terminalreporter.write_sep("-", "input fuzz")
    terminalreporter.write_line(
        f"input fuzz: {count.typed.total():,} cases (hostile texts typed into an input), "
        f"{count.submitted.total():,} of them submitted; per field, typed (submitted): {detail}"
    )
