"""A real remote systemd host through the app's Host layer over real ssh: limits set from
the app and read back from the remote systemd, and one journal view merging a local and a
remote machine (``ntl-fleet`` behind its own sshd; see tests/lab/README.md)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import labkit
from conftest import FLEET_RUNNING
from labkit.sshd import SshAccess

from nspawn_tui.fleet.host import FleetHost
from nspawn_tui.host.base import Host
from nspawn_tui.host.machined.host import MachinedHost
from nspawn_tui.journal.sources import LogBatch, LogEvent, LogOptions, LogRecord
from nspawn_tui.remote.host import remote_host
from nspawn_tui.remote.target import SshTarget

LOCAL = "ntl-alpha"
MiB = 1024**2


def remote(fleet_ssh: SshAccess) -> Host:
    return remote_host(SshTarget(host=fleet_ssh.alias, ssh_config=str(fleet_ssh.config)))


def show(fleet_outer: labkit.NestedLab, prop: str) -> str:
    result = fleet_outer.run(
        ["systemctl", "show", f"--property={prop}", "--value", f"systemd-nspawn@{FLEET_RUNNING}"]
    )
    return result.stdout.strip()


async def test_a_memory_limit_set_from_the_app_is_read_back_from_the_remote_systemd(
    fleet_outer: labkit.NestedLab, fleet_ssh: SshAccess
) -> None:
    host = remote(fleet_ssh)
    await host.connect()
    try:
        await host.set_limits(FLEET_RUNNING, {"MemoryMax": "300M"}, runtime=True)
        assert show(fleet_outer, "MemoryMax") == str(300 * MiB)
        # the limits editor's values, read back from the remote unit (shown as written)
        assert (await host.unit_limits(FLEET_RUNNING)).get("MemoryMax") == "300M"
        # and the dashboard's figures over ssh: memory accounted by that systemd, its new max
        deadline = time.monotonic() + 20
        while True:
            sample = (await host.snapshot()).samples.get(FLEET_RUNNING)
            if sample is not None and sample.memory_max == 300 * MiB:
                break
            assert time.monotonic() < deadline, f"memory max never read back: {sample}"
            await asyncio.sleep(0.5)
        assert sample.memory_current is not None and sample.memory_current > 0, sample
    finally:
        await host.set_limits(FLEET_RUNNING, {"MemoryMax": "infinity"}, runtime=True)
        await host.close()
    assert show(fleet_outer, "MemoryMax") == "infinity"


async def _collect(
    stream: AsyncIterator[LogEvent], found: list[LogRecord], done: Callable[[], bool]
) -> None:
    async for event in stream:
        if isinstance(event, LogBatch):
            found.extend(event.records)
        if done():
            return


async def test_one_journal_view_merges_a_local_and_a_remote_machine(
    flat_lab: labkit.FlatLab, fleet_outer: labkit.NestedLab, fleet_ssh: SshAccess
) -> None:
    local = MachinedHost(flat_lab.bus_address)
    far = remote(fleet_ssh)
    fleet = FleetHost([local, far])
    here, there = f"local/{LOCAL}", f"{far.label}/{FLEET_RUNNING}"
    tag = f"ntl-fleet-{time.time_ns()}"
    flat_lab.exec(LOCAL, ["logger", "-t", "ntltest", f"{tag} here"], check=True)
    written = fleet_outer.run(
        ["systemd-run", "-M", FLEET_RUNNING, "--wait", "--quiet", "/usr/bin/logger",
         "-t", "ntltest", f"{tag} there"]
    )  # fmt: skip
    assert written.returncode == 0, written.stderr
    await fleet.connect()
    found: list[LogRecord] = []
    stream = fleet.follow_logs([here, there], LogOptions(lines=200))

    def both() -> bool:
        messages = {(r.machine, r.message) for r in found}
        return (here, f"{tag} here") in messages and (there, f"{tag} there") in messages

    try:
        await asyncio.wait_for(_collect(stream, found, both), 30)
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
        await fleet.close()
    # one stream, in time order across the two hosts
    stamps = [r.timestamp for r in found if r.timestamp is not None]
    assert len({r.machine for r in found}) == 2 and stamps, found[-5:]
