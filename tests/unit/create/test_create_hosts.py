"""Who creates: a remote host refuses in words; a fleet routes to its local member, or refuses."""

from __future__ import annotations

import pytest

from nspawn_tui.create.model import CreatePlan
from nspawn_tui.fleet.host import FleetHost
from nspawn_tui.host.base import HostError
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.remote.host import remote_host
from nspawn_tui.remote.target import parse_target


def _demo(label: str) -> DemoHost:
    host = DemoHost(seed=1, frozen=True)
    host.label = label
    host.create_seconds = 0.2
    return host


async def test_a_remote_host_refuses_before_connecting() -> None:
    target = parse_target("admin@far.example")
    assert target is not None
    host = remote_host(target)
    support = await host.create_support()
    assert support.bootstrappers == ()
    assert "creating containers on admin@far.example: not supported on a remote host yet" == (
        support.refusal
    )
    with pytest.raises(HostError, match="not supported on a remote host"):
        await host.create_container(CreatePlan("x", "debian", "bookworm"))


async def test_a_fleet_without_this_machine_refuses() -> None:
    fleet = FleetHost([_demo("demo1"), _demo("demo2")])
    assert "on this machine only" in (await fleet.create_support()).refusal
    with pytest.raises(HostError, match="on this machine only"):
        await fleet.create_container(CreatePlan("x", "debian", "bookworm"))


async def test_a_fleet_creates_on_its_local_member() -> None:
    local, other = _demo("local"), _demo("demo2")
    fleet = FleetHost([other, local])
    assert (await fleet.create_support()).refusal == ""
    creation = await fleet.create_container(CreatePlan("local/new1", "debian", "bookworm"))
    assert [p async for p in creation.updates()][-1].finished
    assert "new1" in {m.name for m in await local.list_machines()}
    assert "new1" not in {m.name for m in await other.list_machines()}
    with pytest.raises(HostError, match="on this machine only"):
        await fleet.create_container(CreatePlan("demo2/new2", "debian", "bookworm"))
