"""Lifecycle actions of MachinedHost against the outer's real systemd and machined.

Run inside the outer by ``tests/lab/test_lab_actions.py``. Every test leaves
the stopped inner image stopped and disabled again, as the session expects.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from inner_actions.inner_helpers import eventually, show, system_up, systemctl, unit
from nspawn_tui.host.base import HostError, Machine, NoSuchMachine
from nspawn_tui.host.machined.host import MachinedHost

WANTS = Path("/etc/systemd/system/machines.target.wants")


async def machine(host: MachinedHost, name: str) -> Machine | None:
    return next((m for m in await host.list_machines() if m.name == name), None)


async def running(host: MachinedHost, name: str) -> Machine | None:
    found = await machine(host, name)
    return found if found is not None and found.state == "running" else None


async def stopped(host: MachinedHost, name: str) -> Machine | None:
    """The row once machined dropped the machine and systemd's unit is down."""
    found = await machine(host, name)
    if found is None or found.state != "stopped":
        return None
    if show(name, "ActiveState")["ActiveState"] not in ("inactive", "failed"):
        return None
    return found


def hostname_of(leader: int) -> str:
    """The container's /etc/hostname, read through its leader: the PID is real here."""
    return Path(f"/proc/{leader}/root/etc/hostname").read_text().strip()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
async def booted(host: MachinedHost, inner_stopped: str) -> AsyncIterator[Machine]:
    """The stopped inner image, booted with host.start(); stopped again afterwards."""
    assert await stopped(host, inner_stopped) is not None, "expected it stopped at first"
    await host.start(inner_stopped)
    try:
        found = await eventually(lambda: running(host, inner_stopped), f"{inner_stopped} to run")
        assert found.leader is not None
        await eventually(lambda: system_up(found.leader or 0), f"{inner_stopped} to boot")
        yield found
    finally:
        if show(inner_stopped, "ActiveState")["ActiveState"] not in ("inactive", "failed"):
            subprocess.run(["machinectl", "poweroff", inner_stopped], check=False, timeout=30)
        await eventually(lambda: stopped(host, inner_stopped), f"{inner_stopped} to stop")
        systemctl("reset-failed", unit(inner_stopped))


async def test_boot_then_power_off(host: MachinedHost, inner_stopped: str) -> None:
    await host.start(inner_stopped)
    # start() returns when systemd's job is done: the unit is up at once
    assert show(inner_stopped, "ActiveState")["ActiveState"] == "active"
    booted = await eventually(lambda: running(host, inner_stopped), f"{inner_stopped} to run")
    assert booted.unit == unit(inner_stopped)
    assert booted.leader is not None and hostname_of(booted.leader) == inner_stopped
    await eventually(lambda: system_up(booted.leader or 0), f"{inner_stopped} to boot")

    await host.poweroff(inner_stopped)
    gone = await eventually(lambda: stopped(host, inner_stopped), f"{inner_stopped} to stop")
    assert gone.leader is None
    assert not pid_alive(booted.leader)
    # a clean shutdown (SIGRTMIN+4 to its systemd), not a kill
    assert show(inner_stopped, "Result", "ActiveState") == {
        "Result": "success",
        "ActiveState": "inactive",
    }


async def test_reboot_gives_a_new_leader(
    host: MachinedHost, booted: Machine, inner_stopped: str
) -> None:
    assert booted.leader is not None
    await host.reboot(inner_stopped)

    async def rebooted() -> Machine | None:
        found = await running(host, inner_stopped)
        return found if found is not None and found.leader not in (None, booted.leader) else None

    again = await eventually(rebooted, f"{inner_stopped} to come back with a new leader")
    assert again.leader is not None and hostname_of(again.leader) == inner_stopped
    assert not pid_alive(booted.leader)
    await eventually(lambda: system_up(again.leader or 0), f"{inner_stopped} to boot again")


async def test_kill_all_with_sigkill(
    host: MachinedHost, booted: Machine, inner_stopped: str
) -> None:
    assert booted.leader is not None
    await host.kill(inner_stopped, int(signal.SIGKILL), "all")
    await eventually(lambda: stopped(host, inner_stopped), f"{inner_stopped} to be killed")
    assert not pid_alive(booted.leader)
    # killed, not shut down: systemd saw its main process die of SIGKILL
    state = show(inner_stopped, "ActiveState", "Result", "ExecMainStatus")
    assert state == {"ActiveState": "failed", "Result": "signal", "ExecMainStatus": "9"}, state


async def test_terminate(host: MachinedHost, booted: Machine, inner_stopped: str) -> None:
    assert booted.leader is not None
    await host.terminate(inner_stopped)
    await eventually(lambda: stopped(host, inner_stopped), f"{inner_stopped} to terminate")
    assert not pid_alive(booted.leader)


async def test_enable_and_disable(host: MachinedHost, inner_stopped: str) -> None:
    link = WANTS / unit(inner_stopped)
    assert (await host.machine_details(inner_stopped)).enabled == "disabled"
    assert not link.is_symlink()
    try:
        await host.enable(inner_stopped)
        assert (await host.machine_details(inner_stopped)).enabled == "enabled"
        assert systemctl("is-enabled", unit(inner_stopped)) == "enabled"
        assert link.is_symlink()
        assert os.readlink(link).endswith("systemd-nspawn@.service")
        # enabling does not boot it
        assert (await machine(host, inner_stopped)) == await stopped(host, inner_stopped)

        await host.disable(inner_stopped)
        assert (await host.machine_details(inner_stopped)).enabled == "disabled"
        assert not link.is_symlink()
    finally:
        systemctl("disable", unit(inner_stopped))


async def test_failing_boot_is_explained(host: MachinedHost, inner_stopped: str) -> None:
    missing = f"{inner_stopped}-missing"  # no image of that name
    try:
        with pytest.raises(HostError) as failed:
            await host.start(missing)
        message = str(failed.value)
        assert f"boot {missing}" in message
        assert f"{unit(missing)} failed" in message
        # the last lines of its journal say why
        assert f"No image for machine '{missing}'" in message
        assert await machine(host, missing) is None
    finally:
        systemctl("reset-failed", unit(missing))


async def test_actions_on_a_machine_that_is_not_running(
    host: MachinedHost, inner_stopped: str
) -> None:
    with pytest.raises(NoSuchMachine, match=f"power off {inner_stopped}: no such machine"):
        await host.poweroff(inner_stopped)
    with pytest.raises(NoSuchMachine, match=f"kill {inner_stopped}: no such machine"):
        await host.kill(inner_stopped, int(signal.SIGTERM), "all")
    with pytest.raises(HostError, match="must be leader or all"):
        await host.kill(inner_stopped, int(signal.SIGTERM), "everyone")
