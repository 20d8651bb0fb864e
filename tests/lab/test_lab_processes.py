"""Processes of a real booted container (flat lab): MachinedHost.processes, ``nspawn-tui ps``,
and a signal to a process started inside the container, through signal_process."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import labkit
import pytest
from labkit import cgroups
from labkit.common import tag_env
from labkit.flat import LAUNCHER

from nspawn_tui.host.base import HostError
from nspawn_tui.host.machined.host import MachinedHost
from nspawn_tui.host.processes import ProcessInfo, ProcessTable

NAME = "ntl-alpha"
SUB_CGROUP = "ntl-procs-test"


@pytest.fixture
async def host(flat_lab: labkit.FlatLab) -> AsyncIterator[MachinedHost]:
    machined_host = MachinedHost(flat_lab.bus_address)
    await machined_host.connect()
    try:
        yield machined_host
    finally:
        await machined_host.close()


def by_command(table: ProcessTable, text: str) -> list[ProcessInfo]:
    return [p for p in table.processes() if text in p.command]


async def test_processes_of_a_booted_container(
    host: MachinedHost, flat_lab: labkit.FlatLab
) -> None:
    await host.processes(NAME)
    await asyncio.sleep(0.3)
    table = await host.processes(NAME)
    assert table.error == "", table.error
    assert table.cgroup == f"/machine.slice/systemd-nspawn@{NAME}.service"
    init = [p for p in table.processes() if p.ns_pid == 1]
    assert len(init) == 1, table
    assert init[0].pid == flat_lab.containers[NAME].leader
    assert "systemd" in init[0].command or "init" in init[0].command
    assert init[0].user == "root" and init[0].state
    assert init[0].rss is not None and init[0].rss > 1 << 20
    assert init[0].cpu_percent is not None and init[0].started_at is not None
    journald = by_command(table, "systemd-journald")
    assert journald and journald[0].ns_pid is not None and journald[0].ns_pid != journald[0].pid
    # nspawn's own process is in the unit's cgroup too, in the host's PID namespace
    nspawn = by_command(table, "systemd-nspawn")
    assert nspawn and nspawn[0].ns_pid == nspawn[0].pid
    paths = [group.path for group in table.groups]
    assert paths[0] == "/" and any(path.endswith("init.scope") for path in paths)


def test_ps_json_of_the_installed_cli(flat_lab: labkit.FlatLab) -> None:
    exe = Path(sys.prefix) / "bin" / "nspawn-tui"
    if not exe.exists():
        pytest.fail(f"{exe} is missing: install the project into the venv (pip install -e .)")
    result = subprocess.run(
        [str(exe), "ps", NAME, "--json", "--bus", flat_lab.bus_address, "--interval", "0.2"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.isascii()
    records = json.loads(result.stdout)
    first = [r for r in records if r["ns_pid"] == 1]
    assert len(first) == 1
    assert first[0]["pid"] == flat_lab.containers[NAME].leader
    assert "systemd" in first[0]["command"] or "init" in first[0]["command"]
    assert first[0]["cgroup"].startswith(f"/machine.slice/systemd-nspawn@{NAME}.service/")
    assert isinstance(first[0]["cpu_percent"], float)


def test_ps_of_a_stopped_machine_fails_in_words(flat_lab: labkit.FlatLab) -> None:
    exe = Path(sys.prefix) / "bin" / "nspawn-tui"
    result = subprocess.run(
        [str(exe), "ps", "ntl-image", "--bus", flat_lab.bus_address, "--interval", "0.05"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "ntl-image" in result.stderr


@pytest.fixture
def sleeper(flat_lab: labkit.FlatLab) -> Iterator[subprocess.Popen[bytes]]:
    """``sleep 300`` inside the container, in a sub-cgroup of its unit (nsenter forks it)."""
    leader = flat_lab.containers[NAME].leader
    procs = cgroups.create_unit_dirs(NAME, SUB_CGROUP)
    argv = ["nsenter", "-t", str(leader), "-a", "sleep", "300"]
    proc = subprocess.Popen(
        [sys.executable, "-I", "-S", str(LAUNCHER), *map(str, procs), "--", *argv],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=tag_env(flat_lab.prefix, flat_lab.env),
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=10)
        for procs_file in procs:
            cgroups.remove_tree(procs_file.parent)


async def test_sigterm_ends_a_process_of_the_container(
    host: MachinedHost, sleeper: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + 10
    found: list[ProcessInfo] = []
    while not found and time.monotonic() < deadline:
        table = await host.processes(NAME)
        found = [p for p in by_command(table, "sleep 300") if p.ns_pid != p.pid]
        await asyncio.sleep(0.1)
    assert found, "the sleeper never showed up in the container's processes"
    inside = found[0]
    group = next(g.path for g in table.groups if inside in g.processes)
    assert group == f"/{SUB_CGROUP}"
    # a process of the host, not of the machine, is refused and left alone
    outsider = subprocess.Popen(["sleep", "300"])
    try:
        with pytest.raises(HostError, match="not in the machine's control group"):
            await host.signal_process(NAME, outsider.pid, signal.SIGTERM)
        assert outsider.poll() is None
    finally:
        outsider.kill()
        outsider.wait()
    await host.signal_process(NAME, inside.pid, signal.SIGTERM)
    # nsenter waits for its child and exits with the child's signal status
    assert await asyncio.to_thread(sleeper.wait, 10) != 0
    table = await host.processes(NAME)
    assert not [p for p in table.processes() if p.pid == inside.pid]
    with pytest.raises(HostError):
        await host.signal_process(NAME, inside.pid, signal.SIGTERM)
