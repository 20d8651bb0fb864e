"""The demo host's simulated creation: stages and counts from the real parser, cancel, the new image."""

from __future__ import annotations

import pytest

from nspawn_tui.create.model import CreatePlan, FirstBoot
from nspawn_tui.host.base import HostError, ReadOnlyError
from nspawn_tui.host.demo.host import DemoHost


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.05  # every look moves it on: the run is short and deterministic
        return self.now


def _host(**kwargs: object) -> DemoHost:
    host = DemoHost(seed=1, frozen=True, **kwargs)  # type: ignore[arg-type]
    host.create_clock = Clock()
    host.create_seconds = 1.0
    return host


async def test_a_simulated_bootstrap_then_a_stopped_image() -> None:
    host = _host()
    support = await host.create_support()
    assert "web" in support.existing and support.default_mirror
    plan = CreatePlan("new1", "debian", "bookworm", firstboot=FirstBoot(hostname="n1"))
    creation = await host.create_container(plan)
    readings = [p async for p in creation.updates()]
    stages = [r.stage for r in readings]
    for stage in (
        "Retrieving",
        "Validating",
        "Extracting",
        "Unpacking",
        "Configuring",
        "Installed",
    ):
        assert stage in stages
    fractions = [r.fraction for r in readings if r.fraction is not None]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert readings[-1].finished and not readings[-1].error
    assert any(r.total == 35 and r.stage == "Unpacking" for r in readings)  # the required set
    assert readings[-1].elapsed > 0
    rows = {m.name: m for m in await host.list_machines()}
    assert rows["new1"].state == "stopped"


async def test_cancel_adds_nothing() -> None:
    host = _host()
    creation = await host.create_container(CreatePlan("new2", "debian", "bookworm"))
    last = None
    async for progress in creation.updates():
        last = progress
        if progress.stage == "Extracting":
            await creation.cancel()
    assert last is not None and last.error == "cancelled: new2 was not created"
    assert "new2" not in {m.name for m in await host.list_machines()}


async def test_refused_before_anything_runs() -> None:
    host = _host()
    with pytest.raises(HostError, match="exists already"):
        await host.create_container(CreatePlan("web", "debian", "bookworm"))
    with pytest.raises(HostError, match="pacstrap is not installed"):
        await host.create_container(CreatePlan("x", "arch"))
    with pytest.raises(ReadOnlyError):
        await _host(read_only=True).create_container(CreatePlan("x", "debian", "bookworm"))


async def test_start_and_clone() -> None:
    host = _host()
    creation = await host.create_container(CreatePlan("web2", "clone", clone_source="web",
                                                      start=True))  # fmt: skip
    last = [p async for p in creation.updates()][-1]
    assert last.finished, last.error
    assert [s.key for s in last.steps] == ["clone", "settings", "start"]
    rows = {m.name: m for m in await host.list_machines()}
    assert rows["web2"].running
