"""The simulated host: determinism, the promised cast of machines, sane curves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nspawn_tui.host.base import (
    UNLIMITED,
    EventKind,
    HostEvent,
    NoSuchMachine,
    Sample,
    Snapshot,
)
from nspawn_tui.host.demo.host import EPOCH, DemoHost, MachineSpec

MONOTONIC_COUNTERS = ("cpu_usage_usec", "io_read_bytes", "io_write_bytes", "memory_peak")


async def run_ticks(host: DemoHost, ticks: list[float]) -> list[Snapshot]:
    snapshots = [await host.snapshot()]
    for seconds in ticks:
        host.tick(seconds)
        snapshots.append(await host.snapshot())
    return snapshots


def sample(snap: Snapshot, name: str) -> Sample:
    return snap.samples[name]


async def collect_events(
    host: DemoHost, action: Callable[[], object], count: int
) -> list[HostEvent]:
    events = cast(AsyncGenerator[HostEvent, None], host.events())
    first = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0)  # let the subscription register its queue
    action()
    got = [await asyncio.wait_for(first, 1)]
    for _ in range(count - 1):
        got.append(await asyncio.wait_for(anext(events), 1))
    await events.aclose()
    return got


# -- determinism and the clock -------------------------------------------------


async def test_same_seed_and_ticks_give_identical_snapshots() -> None:
    ticks = [1.0, 2.0, 0.5, 30.0, 2.0]
    a = await run_ticks(DemoHost(seed=7, frozen=True), ticks)
    b = await run_ticks(DemoHost(seed=7, frozen=True), ticks)
    assert a == b
    assert a[0] != a[-1]  # and the data does move


async def test_figures_stay_those_of_the_seed() -> None:
    """Recorded figures: a change to the simulation's arithmetic (or its use of the
    random stream) changes them; screenshots and benchmarks rely on them."""
    host = DemoHost(machines=30, frozen=True)
    for seconds in (1.0, 0.5, 3.0, 10.0, 1.0):
        host.tick(seconds)
        snap = await host.snapshot()
    expected = {
        "web": (32835333235, 2.3106, 322285568, 359731200, 0, 23, 55213724483, 114757210172),
        "cache": (17570894758, 2.6377, 512774144, 534183936, 2, 9, 8521066708, 32051515066),
        "db": (191169046191, 27.8525, 2182541312, 2490261504, 0, 41, 2612106478024,
               4088356385182),
        "ct-0005": (264466404395, 22.8981, 1945849856, 2613895168, 0, 69, 373413170681,
                    1246287863685),
        "ct-0013": (14977717981, 0.6382, 210997248, 230998016, 0, 74, 4743424827, 8202617422),
    }  # fmt: skip
    for name, figures in expected.items():
        s = sample(snap, name)
        assert (
            s.cpu_usage_usec, s.cpu_percent, s.memory_current, s.memory_peak, s.oom_kills,
            s.tasks_current, s.io_read_bytes, s.io_write_bytes,
        ) == figures, name  # fmt: skip
    assert (sample(snap, "db").io_read_bps, sample(snap, "db").io_write_bps) == (
        2476118.0,
        3717589.0,
    )


async def test_different_seed_gives_different_data() -> None:
    a = await DemoHost(seed=1, frozen=True).snapshot()
    b = await DemoHost(seed=2, frozen=True).snapshot()
    assert [m.name for m in a.machines] == [m.name for m in b.machines]
    assert a.samples != b.samples


async def test_frozen_host_does_not_advance_without_tick() -> None:
    host = DemoHost(frozen=True)
    assert host.now() == EPOCH
    first = await host.snapshot()
    await asyncio.sleep(0.01)
    second = await host.snapshot()
    assert first == second
    assert host.now() == EPOCH
    host.tick(2.5)
    assert host.now() == EPOCH + 2.5
    third = await host.snapshot()
    assert third != second
    ts = {s.timestamp for s in third.samples.values()}
    assert ts == {next(iter(first.samples.values())).timestamp + 2.5}


def test_tick_rejects_negative_time() -> None:
    with pytest.raises(ValueError, match="backwards"):
        DemoHost(frozen=True).tick(-1.0)


class FakeTime:
    def __init__(self) -> None:
        self.value = 500.0

    def monotonic(self) -> float:
        return self.value


async def test_live_mode_advances_with_real_time(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeTime()
    monkeypatch.setattr("nspawn_tui.host.demo.host.time", clock)
    host = DemoHost()
    first = await host.snapshot()
    assert host.now() == EPOCH
    clock.value += 3.0
    assert host.now() == EPOCH + 3.0
    second = await host.snapshot()
    web1, web2 = sample(first, "web"), sample(second, "web")
    assert web2.timestamp - web1.timestamp == pytest.approx(3.0)
    assert web2.cpu_usage_usec is not None and web1.cpu_usage_usec is not None
    assert web2.cpu_usage_usec > web1.cpu_usage_usec
    clock.value -= 10.0  # a clock going backwards never moves time back
    await host.snapshot()
    assert host.now() == EPOCH + 3.0


# -- the cast of machines ------------------------------------------------------


async def test_default_host_has_the_promised_variety() -> None:
    host = DemoHost(frozen=True)
    assert host.description == "demo host (simulated)"
    snap = await host.snapshot()
    names = [m.name for m in snap.machines]
    assert len(names) >= 10
    assert names == sorted(names)
    assert {"web", "db", "ci-runner", "mail", "build-arch"} <= set(names)

    stopped = [m for m in snap.machines if m.state == "stopped"]
    assert len(stopped) >= 3
    assert {m.image_type for m in stopped} >= {"directory", "raw", "subvolume"}
    assert not any(m.name in snap.samples for m in stopped)
    running = [m for m in snap.machines if m.running]
    assert set(snap.samples) == {m.name for m in running}

    assert len({m.os for m in snap.machines if m.os}) >= 4
    assert any(m.machine_class == "vm" for m in snap.machines)
    addresses = [a for m in snap.machines for a in m.addresses]
    assert any(a.startswith("10.") for a in addresses)
    assert any(a.startswith("fd00:") for a in addresses)
    unlimited = [s for s in snap.samples.values() if s.memory_max == UNLIMITED]
    assert len(unlimited) >= 2
    assert all(s.tasks_max and s.tasks_current for s in snap.samples.values())

    starts = [m.started_at for m in running if m.started_at is not None]
    assert len(starts) == len(running)
    assert max(starts) < host.now()
    assert max(starts) - min(starts) > 86400.0  # spread over days

    assert snap.stats.hostname == "demo-host"
    assert snap.stats.cpu_count == 8
    assert snap.stats.memory_total == 32 * 1024**3
    assert snap.stats.memory_used is not None and 0 < snap.stats.memory_used
    assert snap.stats.cpu_percent is not None and 0 < snap.stats.cpu_percent <= 100


async def test_one_machine_stays_near_its_memory_limit() -> None:
    snaps = await run_ticks(DemoHost(frozen=True), [2.0] * 60)
    near = [
        name
        for name, s in snaps[0].samples.items()
        if s.memory_max != UNLIMITED and s.memory_current and s.memory_max
        if s.memory_current / s.memory_max >= 0.9
    ]
    assert len(near) == 1
    for snap in snaps:
        s = sample(snap, near[0])
        assert s.memory_current is not None and s.memory_max is not None
        assert 0.92 <= s.memory_current / s.memory_max <= 0.97


async def test_one_machine_is_busy_and_fluctuates() -> None:
    snaps = await run_ticks(DemoHost(frozen=True), [2.0] * 60)
    busy = [n for n, s in snaps[0].samples.items() if (s.cpu_percent or 0) > 100]
    assert busy == ["ci-runner"]
    values = [sample(s, "ci-runner").cpu_percent or 0.0 for s in snaps]
    assert all(140 <= v <= 195 for v in values)
    assert max(values) - min(values) > 5  # not a flat line
    idle = [sample(s, "dns").cpu_percent or 0.0 for s in snaps]
    assert all(0.1 <= v <= 3.0 for v in idle)


async def test_counters_are_monotonic_and_cpu_matches_usage() -> None:
    ticks = [1.0, 2.0, 2.0, 0.25, 60.0, 3600.0, 2.0] * 4
    snaps = await run_ticks(DemoHost(frozen=True), ticks)
    for before, after, dt in zip(snaps[:-1], snaps[1:], ticks, strict=True):
        for name, new in after.samples.items():
            old = before.samples[name]
            for counter in MONOTONIC_COUNTERS:
                assert getattr(new, counter) >= getattr(old, counter), (name, counter)
            assert (new.oom_kills or 0) >= (old.oom_kills or 0)
            assert new.cpu_usage_usec is not None and old.cpu_usage_usec is not None
            used = (new.cpu_usage_usec - old.cpu_usage_usec) / (dt * 1e6) * 100
            assert new.cpu_percent == pytest.approx(used, rel=1e-9, abs=1e-9)
            assert new.io_write_bytes is not None and old.io_write_bytes is not None
            written = (new.io_write_bytes - old.io_write_bytes) / dt
            assert new.io_write_bps == pytest.approx(written)
            assert new.memory_peak is not None and new.memory_current is not None
            assert new.memory_peak >= new.memory_current
            assert new.tasks_current is not None and 1 <= new.tasks_current


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    ticks=st.lists(st.floats(0.0, 7200.0, allow_nan=False), min_size=1, max_size=15),
)
def test_any_tick_sequence_keeps_values_in_range(seed: int, ticks: list[float]) -> None:
    snaps = asyncio.run(run_ticks(DemoHost(seed=seed, frozen=True), ticks))
    for snap in snaps:
        for name, s in snap.samples.items():
            assert s.cpu_percent is not None and 0 <= s.cpu_percent <= 200, name
            assert s.memory_current is not None and s.memory_current > 0
            if s.memory_max != UNLIMITED:
                assert s.memory_max is not None and s.memory_current <= s.memory_max
            assert s.tasks_current is not None and s.tasks_max is not None
            assert 1 <= s.tasks_current <= s.tasks_max
        assert snap.stats.cpu_percent is not None and 0 <= snap.stats.cpu_percent <= 100


async def test_a_thousand_machines() -> None:
    host = DemoHost(machines=1000, frozen=True)
    snaps = await run_ticks(host, [1.0, 1.0])
    snap = snaps[-1]
    names = [m.name for m in snap.machines]
    assert len(set(names)) == 1000
    assert "ct-0001" in names and "ct-0988" in names
    assert len({m.os for m in snap.machines if m.os}) >= 6
    assert 10 < sum(1 for m in snap.machines if m.state == "stopped") < 300
    assert len(snap.samples) == sum(1 for m in snap.machines if m.running)
    addresses = [a for m in snap.machines for a in m.addresses]
    assert len(addresses) == len(set(addresses))  # no address handed out twice
    assert snap.stats.memory_used is not None and snap.stats.memory_total is not None
    assert snap.stats.memory_used < snap.stats.memory_total
    again = await run_ticks(DemoHost(machines=1000, frozen=True), [1.0, 1.0])
    assert again == snaps


async def test_small_hosts_take_the_interesting_machines_first() -> None:
    assert await DemoHost(machines=0).list_machines() == []
    names = [m.name for m in await DemoHost(machines=3, frozen=True).list_machines()]
    assert names == ["cache", "ci-runner", "web"]
    with pytest.raises(ValueError):
        DemoHost(machines=-1)


# -- details and images ----------------------------------------------------------


async def test_machine_details() -> None:
    host = DemoHost(frozen=True)
    details = await host.machine_details("web")
    assert details.machine.name == "web"
    assert details.os_release["PRETTY_NAME"] == details.machine.os
    assert {"NAME", "ID", "VERSION_ID"} <= set(details.os_release)
    assert details.cgroup == "/machine.slice/systemd-nspawn@web.service"
    assert details.enabled == "enabled"
    assert details.image is not None and details.image.path == "/var/lib/machines/web"
    assert await DemoHost(frozen=True).machine_details("web") == details  # seeded

    stopped = await host.machine_details("fedora-golden")
    assert stopped.machine.state == "stopped"
    assert stopped.cgroup is None
    assert stopped.image is not None and stopped.image.path.endswith(".raw")
    assert stopped.image.read_only


async def test_unknown_machine_raises_no_such_machine() -> None:
    host = DemoHost(frozen=True)
    with pytest.raises(NoSuchMachine, match="'nope'"):
        await host.machine_details("nope")
    with pytest.raises(NoSuchMachine):
        host._set_state("nope", "running")
    with pytest.raises(NoSuchMachine):
        host._remove_machine("nope")


async def test_list_images_covers_stopped_and_running_containers() -> None:
    host = DemoHost(frozen=True)
    images = {i.name: i for i in await host.list_images()}
    machines = {m.name: m for m in await host.list_machines()}
    assert {"debian-base", "fedora-golden", "arch-template", "web", "db"} <= set(images)
    assert "fedora-vm" not in images  # a VM has no image here
    for name, image in images.items():
        assert image.image_type == machines[name].image_type
        assert image.usage_bytes and image.usage_bytes > 0
        assert image.created is not None and image.created < host.now()


# -- state changes and events --------------------------------------------------------


async def test_remove_and_add_publish_events() -> None:
    host = DemoHost(frozen=True)
    events = await collect_events(host, lambda: host._remove_machine("mail"), 1)
    assert events == [HostEvent(EventKind.MACHINE_REMOVED, "mail")]
    assert "mail" not in {m.name for m in await host.list_machines()}
    assert "mail" not in (await host.snapshot()).samples

    spec = MachineSpec("newbie", "alpine", "idle", memory=30 * 1024**2)
    events = await collect_events(host, lambda: host._add_machine(spec), 1)
    assert events == [HostEvent(EventKind.MACHINE_NEW, "newbie")]
    snap = await host.snapshot()
    assert "newbie" in snap.samples
    with pytest.raises(ValueError, match="already exists"):
        host._add_machine(spec)


async def test_stop_and_boot_change_state_and_publish() -> None:
    host = DemoHost(frozen=True)
    before = sample(await host.snapshot(), "web")
    events = await collect_events(host, lambda: host._set_state("web", "stopped"), 1)
    assert events == [HostEvent(EventKind.MACHINE_REMOVED, "web")]
    snap = await host.snapshot()
    web = next(m for m in snap.machines if m.name == "web")
    assert web.state == "stopped" and web.started_at is None and web.leader is None
    assert "web" not in snap.samples

    host.tick(10.0)
    events = await collect_events(host, lambda: host._set_state("web", "running"), 1)
    assert events == [HostEvent(EventKind.MACHINE_NEW, "web")]
    snap = await host.snapshot()
    web = next(m for m in snap.machines if m.name == "web")
    assert web.running and web.started_at == host.now()
    after = sample(snap, "web")
    assert after.cpu_usage_usec is not None and before.cpu_usage_usec is not None
    assert after.cpu_usage_usec < before.cpu_usage_usec  # a new cgroup starts from zero

    events = await collect_events(host, lambda: host._set_state("fedora-vm", "stopped"), 1)
    assert events == [HostEvent(EventKind.MACHINE_REMOVED, "fedora-vm")]
    assert "fedora-vm" not in {m.name for m in await host.list_machines()}


async def test_failed_snapshot_reports_and_recovers() -> None:
    host = DemoHost(frozen=True)
    good = await host.snapshot()
    host.fail_next_snapshot("machined went away")
    got: list[Any] = []

    async def poll() -> None:
        got.append(await host.snapshot())
        got.append(await host.snapshot())

    events = await collect_events(host, lambda: got.append(asyncio.ensure_future(poll())), 2)
    await got[0]
    lost, back = got[1], got[2]
    assert not lost.connected and lost.error == "machined went away"
    assert lost.samples == {}
    assert back.connected and back.error is None
    assert back == good
    assert [e.kind for e in events] == [EventKind.DISCONNECTED, EventKind.CONNECTED]
    assert events[0].message == "machined went away"


def test_read_only_flag_is_kept() -> None:
    assert DemoHost(read_only=True).read_only
    assert not DemoHost().read_only


async def test_cache_gets_an_oom_kill_while_the_app_runs() -> None:
    """--demo shows an OOM count rising: "cache" has one at 40 s (and 330 s) of host time."""
    host = DemoHost(frozen=True)
    counts = []
    for seconds in (0.0, 30.0, 9.0, 2.0, 100.0, 200.0):
        host.tick(seconds)
        counts.append(sample(await host.snapshot(), "cache").oom_kills)
    assert counts == [2, 2, 2, 3, 3, 4]  # seed 1 draws no random kill in these 341 s
