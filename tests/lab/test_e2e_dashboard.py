"""End-to-end: the real app (``App.run_test()``) and the installed CLI on the flat lab.

The test process is root on the VM, so the PIDs and cgroup paths machined
reports mean what they say: the app runs in-process with
``MachinedHost(flat_lab.bus_address)``, exactly as ``nspawn-tui --bus ...`` does.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import labkit
import pytest
from labkit.common import MACHINES_DIR, remove_dir
from labkit.pilot import CPU, MEMORY, OS, STATE, TASKS, cells, dashboard, describe, number, until
from textual.pilot import Pilot

from nspawn_tui.app import NspawnApp
from nspawn_tui.host.machined.host import MachinedHost
from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.widgets.host_header import HostHeader
from nspawn_tui.widgets.machine_table import MachineTable

DEBIAN = "Debian GNU/Linux 12 (bookworm)"
RUNNING = ("ntl-alpha", "ntl-beta")
STOPPED = "ntl-image"
EXTRA = "ntl-e2e-extra"  # booted and stopped by a test, outside the app
SIZE = (120, 40)
#: How soon a change made outside the app must show (issue 3).
PROMPT = 2.0


def make_app(flat_lab: labkit.FlatLab) -> NspawnApp:
    return NspawnApp(MachinedHost(flat_lab.bus_address), interval=1.0)


def running_row(screen: DashboardScreen, name: str) -> tuple[str, ...] | None:
    row = cells(screen, name)
    return row if row is not None and row[STATE] == "running" else None


def cpu_of(screen: DashboardScreen, name: str) -> float | None:
    row = running_row(screen, name)
    return None if row is None else number(row[CPU])


async def test_list_shows_running_containers_with_os_and_live_cpu(
    flat_lab: labkit.FlatLab,
) -> None:
    async with make_app(flat_lab).run_test(size=SIZE) as pilot:
        screen = await dashboard(pilot)
        # CPU % needs two readings: wait for a figure in every running row.
        for name in RUNNING:
            await until(
                pilot,
                lambda name=name: cpu_of(screen, name),
                timeout=5,
                what=f"a CPU figure for {name}",
                details=lambda: describe(screen),
            )
        for name in RUNNING:
            row = cells(screen, name)
            assert row is not None, describe(screen)
            assert row[STATE] == "running"
            assert row[OS] == DEBIAN
            cpu = number(row[CPU])
            assert cpu is not None and 0.0 <= cpu < 400.0, row
            assert int(row[TASKS]) >= 1, row  # systemd and friends inside
        image = cells(screen, STOPPED)
        assert image is not None, describe(screen)
        assert image[STATE] == "stopped"
        assert image[CPU] == image[MEMORY] == image[TASKS] == ""
        # the header stands for the host and counts the machines
        assert screen.snapshot is not None and screen.snapshot.connected
        header = str(screen.query_one(HostHeader).render())
        running = sum(1 for m in screen.snapshot.machines if m.running)
        assert f"{running} running" in header and flat_lab.bus_address in header, header
        assert not screen.query_one(HostHeader).has_class("-disconnected")


async def test_memory_shows_real_figures_in_the_flat_lab(flat_lab: labkit.FlatLab) -> None:
    async with make_app(flat_lab).run_test(size=SIZE) as pilot:
        screen = await dashboard(pilot)
        row = await until(
            pilot,
            lambda: running_row(screen, "ntl-alpha"),
            timeout=5,
            what="ntl-alpha's row",
            details=lambda: describe(screen),
        )
        assert row[MEMORY] not in ("n/a", "…", ""), row
        assert any(ch.isdigit() for ch in row[MEMORY]), row
        assert screen.snapshot is not None
        sample = screen.snapshot.samples["ntl-alpha"]
        # a booted Debian with systemd, journald, dbus... uses megabytes, not bytes
        assert sample.memory_current is not None and sample.memory_current > 1 << 20, sample


async def test_container_booted_and_stopped_outside_the_app_shows_within_2s(
    flat_lab: labkit.FlatLab,
) -> None:
    async with make_app(flat_lab).run_test(size=SIZE) as pilot:
        screen = await dashboard(pilot)
        assert cells(screen, EXTRA) is None, describe(screen)
        try:
            await asyncio.to_thread(flat_lab.boot, EXTRA)  # returns once systemd is up inside
            booted = time.monotonic()
            row = await until(
                pilot,
                lambda: running_row(screen, EXTRA),
                timeout=PROMPT,
                what=f"{EXTRA} to be listed as running",
                details=lambda: describe(screen),
            )
            assert time.monotonic() - booted <= PROMPT + 0.1
            assert row[OS] == DEBIAN, row

            await asyncio.to_thread(flat_lab.stop, EXTRA)  # returns once machined drops it
            stopped = time.monotonic()
            row = await until(
                pilot,
                lambda: r if (r := cells(screen, EXTRA)) and r[STATE] != "running" else None,
                timeout=PROMPT,
                what=f"{EXTRA} to stop being listed as running",
                details=lambda: describe(screen),
            )
            assert time.monotonic() - stopped <= PROMPT + 0.1
            # its directory is still in /var/lib/machines: a stopped image now
            assert row[STATE] == "stopped" and row[CPU] == "", row
        finally:
            if EXTRA in flat_lab.containers:
                await asyncio.to_thread(flat_lab.stop, EXTRA)
            await asyncio.to_thread(remove_dir, MACHINES_DIR / EXTRA)
        # without its directory it is gone altogether (images are re-listed every 5 s)
        await until(
            pilot,
            lambda: True if cells(screen, EXTRA) is None else None,
            timeout=8,
            what=f"{EXTRA}'s row to go once its image is deleted",
            details=lambda: describe(screen),
        )
        assert "ntl-alpha" in screen.query_one(MachineTable).visible_names


async def test_busy_container_shows_its_cpu(flat_lab: labkit.FlatLab) -> None:
    async with make_app(flat_lab).run_test(size=SIZE) as pilot:
        screen = await dashboard(pilot)
        seen: list[str] = []

        def busy() -> float | None:
            row = running_row(screen, "ntl-beta")
            if row is None:
                return None
            if not seen or seen[-1] != row[CPU]:
                seen.append(row[CPU])
            value = number(row[CPU])
            return value if value is not None and value > 30.0 else None

        with flat_lab.burn_cpu("ntl-beta"):
            cpu = await until(
                pilot,
                busy,
                timeout=8,
                what="ntl-beta's CPU cell above 30",
                details=lambda: str(seen),
            )
        assert cpu > 30.0
        # the burner ran in ntl-beta only: ntl-alpha's row stays idle
        alpha = cpu_of(screen, "ntl-alpha")
        assert alpha is not None and alpha < 30.0, describe(screen)


async def wait_back(pilot: Pilot[None], screen: DashboardScreen, after: int) -> None:
    """Wait for a connected poll (newer than poll ``after``) listing ntl-alpha as running."""

    def back() -> bool | None:
        snapshot = screen.snapshot
        if screen.polls <= after or snapshot is None or not snapshot.connected:
            return None
        if snapshot.error is not None or running_row(screen, "ntl-alpha") is None:
            return None
        return True

    await until(
        pilot, back, timeout=6, what="the list to come back", details=lambda: describe(screen)
    )


async def test_machined_restart_is_survived(flat_lab: labkit.FlatLab) -> None:
    async with make_app(flat_lab).run_test(size=SIZE) as pilot:
        screen = await dashboard(pilot)
        await until(pilot, lambda: cpu_of(screen, "ntl-alpha"), timeout=5, what="a CPU figure")
        await asyncio.to_thread(flat_lab.restart_machined)
        polls = screen.polls
        await wait_back(pilot, screen, polls)
        # and it keeps going: live figures again, header without the problem
        await until(
            pilot,
            lambda: cpu_of(screen, "ntl-alpha"),
            timeout=5,
            what="ntl-alpha's CPU figure after the restart",
            details=lambda: describe(screen),
        )
        header = screen.query_one(HostHeader)
        assert not header.has_class("-disconnected")
        assert "⚠" not in str(header.render())
        assert cells(screen, STOPPED) is not None and cells(screen, "ntl-beta") is not None


async def test_machined_gone_is_shown_and_the_list_comes_back(flat_lab: labkit.FlatLab) -> None:
    async with make_app(flat_lab).run_test(size=SIZE) as pilot:
        screen = await dashboard(pilot)
        await until(pilot, lambda: running_row(screen, "ntl-alpha"), timeout=5, what="ntl-alpha")
        try:
            await asyncio.to_thread(flat_lab.stop_machined)
            snapshot = await until(
                pilot,
                lambda: s if (s := screen.snapshot) is not None and not s.connected else None,
                timeout=4,
                what="the dashboard to notice machined is gone",
                details=lambda: describe(screen),
            )
            assert snapshot.error and "machined" in snapshot.error, snapshot.error
            header = screen.query_one(HostHeader)
            await until(
                pilot,
                lambda: True if header.has_class("-disconnected") else None,
                timeout=2,
                what="the header to show the disconnection",
            )
            assert "⚠" in str(header.render()) and "machined" in str(header.render())
            # what was last known stays on screen meanwhile
            assert cells(screen, "ntl-alpha") is not None, describe(screen)
        finally:
            try:
                await asyncio.to_thread(flat_lab.start_machined)
            except labkit.LabError as error:
                if "already running" not in str(error):
                    raise
        polls = screen.polls
        await wait_back(pilot, screen, polls)
        assert not screen.query_one(HostHeader).has_class("-disconnected")


def test_list_json_of_the_installed_cli(flat_lab: labkit.FlatLab) -> None:
    exe = Path(sys.prefix) / "bin" / "nspawn-tui"
    if not exe.exists():
        pytest.fail(f"{exe} is missing: install the project into the venv (pip install -e .)")
    result = subprocess.run(
        [str(exe), "list", "--json", "--bus", flat_lab.bus_address],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    records = {record["name"]: record for record in json.loads(result.stdout)}
    assert ".host" not in records
    for name in RUNNING:
        record = records[name]
        assert record["state"] == "running" and record["class"] == "container"
        assert record["os"] == DEBIAN
        assert isinstance(record["cpu_percent"], float), record
        assert isinstance(record["memory_bytes"], int) and record["memory_bytes"] > 1 << 20
        assert isinstance(record["tasks"], int) and record["tasks"] >= 1
        assert record["leader"] == flat_lab.containers[name].leader
        assert record["unit"] == f"systemd-nspawn@{name}.service"
        # network: a veth container reads its host end and what it sees inside
        assert flat_lab.veth, "the flat lab boots its containers with --network-veth"
        assert record["net_mode"] == "veth", record
        assert isinstance(record["net_rx_bytes_per_s"], float), record
        assert isinstance(record["net_tx_bytes_per_s"], float), record
        sides = {(i["side"], i["kind"]) for i in record["interfaces"]}
        assert ("host", "veth") in sides and any(side == "container" for side, _ in sides), sides
    image = records[STOPPED]
    assert image["state"] == "stopped"
    assert image["cpu_percent"] is None
    assert image["memory_bytes"] is None and image["tasks"] is None
    assert image["leader"] is None
    assert image["net_mode"] is None and image["interfaces"] is None
