"""CPUQuota=20% set through MachinedHost is *enforced*: a CPU burner inside the
container gets about 20 % of one CPU, and all it wants once the quota is reset.

Run inside the outer by ``tests/lab/test_lab_limits.py``.

On these VMs the outer's cgroup v1 hierarchies are mounted read-only by
nspawn and cgroup2 has no controllers (hybrid layout), so the outer's systemd
accepts CPUQuota but cannot create ``cpu.cfs_quota_us`` for its units. What
makes it enforceable, found by experiment: remount the outer's ``cpu`` and
``cpuacct`` hierarchies read-write (the outer is root in the VM's user
namespace, and the mounts are its own), ``systemctl daemon-reexec`` so that
systemd sees usable controllers again, then boot the container: systemd
places it in ``/sys/fs/cgroup/cpu/machine.slice/systemd-nspawn@NAME.service``
and writes the quota there. The fixture does exactly that and undoes it
(read-only again, re-exec) afterwards, so the outer is as the other lab tests
expect it. The memory hierarchy is left read-only (memory figures stay
unavailable in the nested lab).
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from inner_actions.inner_helpers import eventually, show, system_up, systemctl, unit
from nspawn_tui.host.machined.host import MachinedHost

WINDOW = 2.0  # seconds of burning per measurement


def cpu_mounts() -> dict[str, bool]:
    """Mount points of the v1 hierarchies holding cpu or cpuacct -> read-only?"""
    found: dict[str, bool] = {}
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields, _, rest = line.partition(" - ")
        parts, rest_parts = fields.split(), rest.split()
        if len(rest_parts) < 3 or rest_parts[0] != "cgroup":
            continue
        controllers = set(rest_parts[2].split(","))
        if controllers & {"cpu", "cpuacct"}:
            found[parts[4]] = "ro" in parts[5].split(",")
    return found


async def systemd_answers() -> bool | None:
    state = systemctl("is-system-running")
    return True if state in ("running", "degraded") else None


async def reexec() -> None:
    systemctl("daemon-reexec")
    await eventually(systemd_answers, "systemd to answer after daemon-reexec")


@pytest.fixture
async def enforcing_cpu() -> AsyncIterator[Path]:
    """The outer's cpu hierarchy made writable and used by systemd; undone after."""
    mounts = cpu_mounts()
    if not mounts:
        pytest.fail("no cgroup v1 cpu hierarchy in the outer: this test is for the hybrid lab")
    changed = [point for point, read_only in mounts.items() if read_only]
    for point in changed:
        subprocess.run(["mount", "-o", "remount,rw,bind", point], check=True, timeout=10)
    await reexec()
    try:
        yield next(Path(point) for point in mounts if "cpuacct" not in Path(point).name)
    finally:
        for point in changed:
            subprocess.run(["mount", "-o", "remount,ro,bind", point], check=True, timeout=10)
        await reexec()


@pytest.fixture
async def booted(
    host: MachinedHost, inner_stopped: str, enforcing_cpu: Path
) -> AsyncIterator[Path]:
    """The stopped inner image booted after the re-exec; its cpu cgroup directory."""
    await host.start(inner_stopped)
    try:

        async def leader() -> int | None:
            machine = next((m for m in await host.list_machines() if m.name == inner_stopped), None)
            return machine.leader if machine is not None and machine.running else None

        pid = await eventually(leader, f"{inner_stopped} to run")
        await eventually(lambda: system_up(pid), f"{inner_stopped} to boot")
        directory = enforcing_cpu / "machine.slice" / unit(inner_stopped)
        procs = (directory / "cgroup.procs").read_text().split()
        assert str(pid) in procs, f"{inner_stopped} is not in systemd's cpu cgroup {directory}"
        yield directory
    finally:
        subprocess.run(["machinectl", "poweroff", inner_stopped], check=False, timeout=30)

        async def down() -> bool | None:
            state = show(inner_stopped, "ActiveState")["ActiveState"]
            return True if state in ("inactive", "failed") else None

        await eventually(down, f"{inner_stopped} to stop")
        systemctl("reset-failed", unit(inner_stopped))


@pytest.fixture
def burner(inner_stopped: str, booted: Path) -> Iterator[None]:
    """A busy loop in the container, started by its own systemd (so in its cgroups)."""
    script = 'timeout 60 sh -c "while :; do :; done"'
    proc = subprocess.Popen(
        ["machinectl", "shell", inner_stopped, "/bin/sh", "-c", script],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield
    finally:
        proc.terminate()
        proc.wait(10)


def usage_usec(inner: str) -> int:
    stat = Path("/sys/fs/cgroup/unified/machine.slice") / unit(inner) / "cpu.stat"
    for line in stat.read_text().splitlines():
        key, _, value = line.partition(" ")
        if key == "usage_usec":
            return int(value)
    raise AssertionError(f"no usage_usec in {stat}")


async def cpu_share(inner: str) -> float:
    """Fraction of one CPU the container used over WINDOW seconds."""
    start, start_usage = time.monotonic(), usage_usec(inner)
    while time.monotonic() - start < WINDOW:
        await asyncio.sleep(0.1)
    return (usage_usec(inner) - start_usage) / 1e6 / (time.monotonic() - start)


async def burning(inner: str) -> bool | None:
    return True if await cpu_share_quick(inner) > 0.1 else None


async def cpu_share_quick(inner: str) -> float:
    start, start_usage = time.monotonic(), usage_usec(inner)
    await asyncio.sleep(0.3)
    return (usage_usec(inner) - start_usage) / 1e6 / (time.monotonic() - start)


async def test_cpu_quota_is_enforced(
    host: MachinedHost, inner_stopped: str, booted: Path, burner: None
) -> None:
    await eventually(lambda: burning(inner_stopped), "the burner to run")

    await host.set_limits(inner_stopped, {"CPUQuota": "20%"}, runtime=True)
    period = int((booted / "cpu.cfs_period_us").read_text())
    assert int((booted / "cpu.cfs_quota_us").read_text()) == period // 5
    limited = await cpu_share(inner_stopped)
    assert 0.10 < limited < 0.30, f"{limited:.0%} of a CPU with CPUQuota=20%"

    await host.set_limits(inner_stopped, {"CPUQuota": ""}, runtime=True)
    assert int((booted / "cpu.cfs_quota_us").read_text()) == -1
    free = await cpu_share(inner_stopped)
    assert free > max(0.4, 2 * limited), f"{free:.0%} of a CPU without a quota"
    print(f"burner with CPUQuota=20%: {limited:.1%} of a CPU; without: {free:.1%}")
