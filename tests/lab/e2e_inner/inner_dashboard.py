"""The real app (``App.run_test()``) inside the nested lab's outer container,
on the outer's own system bus, machined and systemd: what a user of a host
whose cgroup v1 memory hierarchy is read-only (so memory is not accounted) sees.

Run by tests/lab/test_e2e_nested.py (``nested_lab.pytest_argv``), never on
the VM: the file is called ``inner_*.py`` so a plain run of tests/lab does not
collect it, and it skips unless NTL_INSIDE_OUTER=1 says where it is.  The
names of the inner containers come in NTL_INNER_RUNNING and NTL_INNER_STOPPED.
"""

from __future__ import annotations

import os

import pytest

if os.environ.get("NTL_INSIDE_OUTER") != "1":
    pytest.skip("runs only inside the nested lab's outer container", allow_module_level=True)

from labkit.pilot import CPU, MEMORY, OS, STATE, TASKS, cells, dashboard, describe, number, until

from nspawn_tui.app import NspawnApp
from nspawn_tui.host.machined.host import MachinedHost

RUNNING = os.environ.get("NTL_INNER_RUNNING", "ntl-inner1")
STOPPED = os.environ.get("NTL_INNER_STOPPED", "ntl-inner2")


async def test_inner_dashboard_shows_cpu_and_memory_unavailable() -> None:
    app = NspawnApp(MachinedHost(None), interval=1.0)  # the outer's standard system bus
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)

        def row_with_cpu() -> tuple[str, ...] | None:
            row = cells(screen, RUNNING)
            if row is None or row[STATE] != "running" or number(row[CPU]) is None:
                return None
            return row

        row = await until(
            pilot,
            row_with_cpu,
            timeout=8,
            what=f"{RUNNING} running with a CPU figure",
            details=lambda: describe(screen),
        )
        assert row[OS].startswith("Debian GNU/Linux 12"), row
        # the outer's v1 memory hierarchy is read-only: not accounted, so "n/a", never 0
        assert row[MEMORY] == "n/a", describe(screen)
        assert screen.snapshot is not None
        sample = screen.snapshot.samples[RUNNING]
        assert sample.memory_current is None, sample
        assert sample.cpu_percent is not None
        # tasks: the pids hierarchy is read-only too, so "n/a" (or a count), never 0
        assert row[TASKS] == "n/a" or int(row[TASKS]) >= 1, row
        machine = next(m for m in screen.snapshot.machines if m.name == RUNNING)
        assert machine.unit == f"systemd-nspawn@{RUNNING}.service"
        # the leader PID is the outer's, and it is ours here: a live process
        assert machine.leader is not None and os.path.exists(f"/proc/{machine.leader}")
        stopped = cells(screen, STOPPED)
        assert stopped is not None and stopped[STATE] == "stopped", describe(screen)
        # the outer does not list itself, and .host is the header, not a row
        assert cells(screen, ".host") is None
        print(f"inner-dashboard-ok {row}")
