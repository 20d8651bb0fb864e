"""Tests that run *inside* the nested lab's outer container.

They are started by ``tests/lab/test_lab_actions.py`` and
``tests/lab/test_lab_limits.py`` through ``nested_lab.pytest_argv`` with
``NTL_INSIDE_OUTER=1`` in the environment: there, systemd is PID 1, the bus is
the outer's own, and PIDs and cgroup paths reported by its machined mean what
they say. Collected anywhere else (a plain ``pytest`` on the VM), they are
skipped: they would act on the VM itself.

The inner machines' names come from ``NTL_INNER_RUNNING`` (a running inner
container) and ``NTL_INNER_STOPPED`` (a stopped inner image).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nspawn_tui.host.machined.host import MachinedHost

HERE = Path(__file__).resolve().parent
INSIDE = os.environ.get("NTL_INSIDE_OUTER") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if INSIDE:
        return
    skip = pytest.mark.skip(
        reason="runs inside the nested lab's outer container (NTL_INSIDE_OUTER=1), "
        "started by tests/lab/test_lab_actions.py and test_lab_limits.py"
    )
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def inner_running() -> str:
    return os.environ.get("NTL_INNER_RUNNING", "ntl-inner1")


@pytest.fixture(scope="session")
def inner_stopped() -> str:
    return os.environ.get("NTL_INNER_STOPPED", "ntl-inner2")


@pytest.fixture(scope="session", autouse=True)
def _inside_a_systemd_host() -> None:
    if not INSIDE:
        return
    assert "DBUS_SYSTEM_BUS_ADDRESS" not in os.environ, "must use the outer's own bus"
    assert Path("/run/systemd/system").is_dir(), "systemd is not PID 1 here"


@pytest.fixture
async def host() -> AsyncIterator[MachinedHost]:
    """MachinedHost on the outer's own system bus (real systemd and machined)."""
    machined_host = MachinedHost()
    await machined_host.connect()
    try:
        yield machined_host
    finally:
        await machined_host.close()
