"""nspawn_tui's MachinedHost against real machined and real containers (flat lab)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import labkit
import pytest

from nspawn_tui.host.base import Snapshot
from nspawn_tui.host.machined.host import MachinedHost


@pytest.fixture
async def host(flat_lab: labkit.FlatLab) -> AsyncIterator[MachinedHost]:
    machined_host = MachinedHost(flat_lab.bus_address, read_only=True)
    await machined_host.connect()
    try:
        yield machined_host
    finally:
        await machined_host.close()


async def test_lists_running_containers_and_stopped_images(
    host: MachinedHost, flat_lab: labkit.FlatLab
) -> None:
    snapshot = await host.snapshot()
    assert snapshot.connected and snapshot.error is None
    machines = {machine.name: machine for machine in snapshot.machines}
    alpha = machines["ntl-alpha"]
    assert alpha.state == "running"
    assert "Debian" in alpha.os
    assert alpha.leader == flat_lab.containers["ntl-alpha"].leader
    assert alpha.unit == "systemd-nspawn@ntl-alpha.service"
    assert alpha.root_directory == "/var/lib/machines/ntl-alpha"
    assert machines["ntl-beta"].state == "running"
    image = machines["ntl-image"]
    assert image.state == "stopped"
    assert not image.running
    assert "ntl-alpha" in snapshot.samples
    assert "ntl-image" not in snapshot.samples


def alpha_cpu(snapshot: Snapshot) -> float | None:
    sample = snapshot.samples.get("ntl-alpha")
    return None if sample is None else sample.cpu_percent


async def test_cpu_figure_follows_a_burner_in_the_container(
    host: MachinedHost, flat_lab: labkit.FlatLab
) -> None:
    await host.snapshot()  # baseline for the rate
    seen: list[float | None] = []
    with flat_lab.burn_cpu("ntl-alpha"):
        for _poll in range(10):
            await asyncio.sleep(1.0)
            seen.append(alpha_cpu(await host.snapshot()))
            if (seen[-1] or 0.0) > 30.0:
                break
    assert max(value or 0.0 for value in seen) > 30.0, seen
    # once the burner is gone, the idle container falls back below that
    await host.snapshot()
    await asyncio.sleep(1.0)
    idle = alpha_cpu(await host.snapshot())
    assert idle is not None and idle < 30.0, idle
