"""Remote metrics on a real systemd host: the nested lab's outer, reached by a RemoteShell over
its real sshd (or nsenter) and by dbus-next on its own bus.

There systemd leaves the inner unit's ``CPUUsageNSec`` unset, so the CPU figure
comes from the inner's unified ``cpu.stat`` read by the remote ``sh``; it must
rise while a busy loop runs inside ntl-inner1 (started by the inner's own
systemd through ``machinectl shell``, so it is charged to the inner's cgroup).
RemoteStats gives the outer's hostname and memory from the same batches.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from typing import cast

import labkit
import pytest
from dbus_next import BusType, Message
from dbus_next.aio import MessageBus
from labkit.common import container_env
from labkit.sshd import SshAccess

from nspawn_tui.host.base import Machine
from nspawn_tui.host.machined import bus as du
from nspawn_tui.remote.metrics import RemoteMetrics, RemoteStats
from nspawn_tui.remote.shell import RemoteShell

INNER = "ntl-inner1"
UNIT = f"systemd-nspawn@{INNER}.service"


@pytest.fixture
async def outer_bus(nested_lab: labkit.NestedLab) -> AsyncIterator[MessageBus]:
    bus = await MessageBus(
        bus_address=nested_lab.bus_address_from_vm, bus_type=BusType.SYSTEM
    ).connect()
    yield bus
    bus.disconnect()


@pytest.fixture(params=["ssh", "nsenter"])
async def shell(
    request: pytest.FixtureRequest, nested_lab: labkit.NestedLab, outer_ssh: SshAccess
) -> AsyncIterator[RemoteShell]:
    if request.param == "ssh":
        sh = RemoteShell(outer_ssh.argv("sh"), host=outer_ssh.alias)
    else:
        sh = RemoteShell(["nsenter", "-t", str(nested_lab.outer_leader), "-a", "sh"])
    yield sh
    await sh.close()
    assert sh.pid is None


@pytest.fixture
def burner(nested_lab: labkit.NestedLab) -> Iterator[subprocess.Popen[bytes]]:
    """A busy loop inside ntl-inner1, in its cgroup (started by its own systemd)."""
    script = 'echo $$ > /run/ntl-burn.pid; exec timeout 40 sh -c "while :; do :; done"'
    proc = subprocess.Popen(
        ["nsenter", "-t", str(nested_lab.outer_leader), "-a",
         "machinectl", "shell", INNER, "/bin/sh", "-c", script],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=container_env(nested_lab.host.prefix),
    )  # fmt: skip
    try:
        yield proc
    finally:
        proc.terminate()
        proc.wait(10)
        # machinectl's end does not end the loop inside: `timeout` (the pid) forwards TERM
        nested_lab.run(
            ["machinectl", "shell", INNER, "/bin/sh", "-c", "kill $(cat /run/ntl-burn.pid)"]
        )


async def refresh(
    metrics: RemoteMetrics, stats: RemoteStats, bus: MessageBus
) -> tuple[float | None, int | None, float]:
    started = time.monotonic()
    samples = await metrics.sample([Machine(name=INNER, unit=UNIT)], bus)
    await stats.read()
    sample = samples[INNER]
    return sample.cpu_percent, sample.tasks_current, time.monotonic() - started


async def test_cpu_from_the_inners_cgroup_rises_with_a_burner_and_the_outers_figures(
    nested_lab: labkit.NestedLab,
    shell: RemoteShell,
    outer_bus: MessageBus,
) -> None:
    metrics, stats = RemoteMetrics(shell), RemoteStats(shell)
    await refresh(metrics, stats, outer_bus)  # learns the layout: may take two round trips
    host = await stats.read()
    outer_name = nested_lab.run(["cat", "/proc/sys/kernel/hostname"]).stdout.strip()
    assert host.hostname == outer_name and host.memory_total and host.memory_total > 0
    await asyncio.sleep(1.0)
    batches = shell.batches
    idle, tasks, latency = await refresh(metrics, stats, outer_bus)
    assert shell.batches == batches + 1  # one round trip per refresh, stats included
    assert idle is not None and idle < 30.0, metrics.reasons
    # the outer's v1 pids hierarchy is read-only here: systemd made no pids cgroup for the
    # unit, so tasks are n/a unless systemd counts them, and the reason says so
    reason = metrics.reasons.get(INNER, "")
    assert (tasks is not None and tasks > 0) or (
        "tasks: TasksCurrent not set by systemd and pids.current not readable" in reason
    ), reason
    assert "CPU" not in metrics.reasons.get(INNER, ""), metrics.reasons
    reply = await du.call(
        outer_bus, du.SYSTEMD1, du.SYSTEMD1_PATH, du.SYSTEMD1_MANAGER, "GetUnit", "s", [UNIT]
    )
    getall = await outer_bus.call(
        Message(
            destination=du.SYSTEMD1,
            path=reply[0],
            interface=du.PROPERTIES,
            member="GetAll",
            signature="s",
            body=["org.freedesktop.systemd1.Service"],
        )  # fmt: skip
    )
    assert getall is not None
    print(
        f"\n[{shell.argv[0]}] idle {idle:.1f}% tasks {tasks} refresh {latency * 1000:.0f} ms;"
        f" GetAll(Service) reply {len(getall._marshall(False))} bytes;"
        f" reasons {metrics.reasons.get(INNER, '')!r}"
    )


async def test_the_cpu_figure_rises_while_the_inner_burns(
    nested_lab: labkit.NestedLab,
    shell: RemoteShell,
    outer_bus: MessageBus,
    burner: subprocess.Popen[bytes],
) -> None:
    metrics, stats = RemoteMetrics(shell), RemoteStats(shell)
    await refresh(metrics, stats, outer_bus)
    seen: list[float | None] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        await asyncio.sleep(1.0)
        cpu, _, _ = await refresh(metrics, stats, outer_bus)
        seen.append(cpu)
        if cpu is not None and cpu > 50.0:
            break
    assert seen and seen[-1] is not None and seen[-1] > 50.0, (seen, metrics.reasons)
    await asyncio.sleep(0.5)  # CPU % over half a second (jiffies of 10 ms)
    host = await stats.read()
    assert host.cpu_percent is not None and host.cpu_percent > 0.0
    print(f"\n[{shell.argv[0]}] CPU % while burning: {seen}; outer {host.cpu_percent:.0f}%")


class CountingBus:
    """The outer's bus, counting the bytes of each call and of its reply (as marshalled)."""

    def __init__(self, bus: MessageBus) -> None:
        self._bus = bus
        self.calls = 0
        self.sent = 0
        self.received = 0

    @property
    def connected(self) -> bool:
        return bool(self._bus.connected)

    async def call(self, msg: Message) -> Message | None:
        self.calls += 1
        self.sent += len(msg._marshall(False))
        reply = await self._bus.call(msg)
        if reply is not None:
            self.received += len(reply._marshall(False))
        return reply


async def reply_path(bus: MessageBus) -> str:
    reply = await du.call(
        bus, du.SYSTEMD1, du.SYSTEMD1_PATH, du.SYSTEMD1_MANAGER, "GetUnit", "s", [UNIT]
    )
    return str(reply[0])


async def all_properties(bus: CountingBus, path: str) -> None:
    msg = Message(
        destination=du.SYSTEMD1, path=path, interface=du.PROPERTIES, member="GetAll",
        signature="s", body=["org.freedesktop.systemd1.Service"],
    )  # fmt: skip
    assert await bus.call(msg) is not None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_bus_bytes_per_refresh_for_1_and_50_machines(
    nested_lab: labkit.NestedLab, outer_bus: MessageBus
) -> None:
    """50 machines are played by 50 names of ntl-inner1's unit (each asked on its own, as 50
    units would be), refreshed once a (fake) second for 40 seconds: the limits' and the
    unset properties' periods included."""
    shell = RemoteShell(["nsenter", "-t", str(nested_lab.outer_leader), "-a", "sh"])
    per_refresh: dict[int, float] = {}
    try:
        for count in (1, 50):
            machines = [Machine(name=f"m{i}", unit=UNIT) for i in range(count)]
            counting, clock = CountingBus(outer_bus), Clock()
            metrics = RemoteMetrics(shell, clock=clock)
            first = await metrics.sample(machines, cast(MessageBus, counting))
            assert set(first) == {m.name for m in machines}, metrics.reasons
            counting.calls = counting.sent = counting.received = 0
            refreshes = 40
            for _ in range(refreshes):
                clock.now += 1.0
                samples = await metrics.sample(machines, cast(MessageBus, counting))
                assert samples["m0"].cpu_usage_usec is not None, metrics.reasons
            per_refresh[count] = (counting.sent + counting.received) / refreshes
            getall = CountingBus(outer_bus)  # before: one GetAll of each unit per refresh
            path = await reply_path(outer_bus)
            await asyncio.gather(*(all_properties(getall, path) for _ in machines))
            print(f"\n{count} machine(s) before: {getall.sent + getall.received} B per refresh")
            print(
                f"\n{count} machine(s): {counting.calls / refreshes:.1f} calls,"
                f" {counting.sent / refreshes:.0f} B sent + {counting.received / refreshes:.0f}"
                f" B received = {per_refresh[count]:.0f} B per refresh"
            )
    finally:
        await shell.close()
    assert per_refresh[50] < 50 * 1000, per_refresh  # a GetAll's reply alone is over 11 KB
