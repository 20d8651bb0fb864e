"""FleetHost polling: concurrency with a deadline, slow and down hosts, back-off, reconnect."""

from __future__ import annotations

import asyncio
import time

import pytest
from fleet_fakes import Clock, FakeHost

from nspawn_tui.fleet.host import FleetHost
from nspawn_tui.fleet.poller import backoff_s
from nspawn_tui.host.base import EventKind, HostError, HostEvent, HostStatus, HostUnavailable


def status(snapshot_hosts: tuple[HostStatus, ...], label: str) -> HostStatus:
    return next(s for s in snapshot_hosts if s.label == label)


async def drain(events: asyncio.Queue[HostEvent]) -> list[HostEvent]:
    await asyncio.sleep(0)
    found = []
    while not events.empty():
        found.append(events.get_nowait())
    return found


async def test_a_slow_host_does_not_delay_the_others_and_is_never_polled_twice() -> None:
    fast, slow = FakeHost("fast"), FakeHost("slow", ("api",))
    fleet = FleetHost([fast, slow], wait_s=0.05, first_wait_s=0.05)
    await fleet.connect()
    first = await fleet.snapshot()
    assert {m.name for m in first.machines} == {"fast/web", "fast/db", "slow/api"}
    assert "slow/api" in first.samples
    slow.gate = asyncio.Event()  # from now on its polls hang
    started = time.monotonic()
    polls = [await fleet.snapshot() for _ in range(4)]
    elapsed = time.monotonic() - started
    assert elapsed < 4 * 0.05 + 0.5, elapsed  # each poll waited about its deadline only
    assert fast.polls == 5  # every fleet poll reached the fast host
    assert slow.polls == 2 and slow.max_active == 1  # one hanging poll, never a second
    for snapshot in polls:
        # the slow host keeps its last machines and figures
        assert "slow/api" in {m.name for m in snapshot.machines}
        assert snapshot.samples["slow/api"].cpu_percent == 1.0
        assert status(snapshot.hosts, "fast").stale is False
        assert status(snapshot.hosts, "fast").error is None
    assert status(polls[0].hosts, "slow").stale is False  # one poll late is not yet slow
    late = status(polls[1].hosts, "slow")
    assert late.stale and late.connected
    assert late.error is not None and late.error.startswith("slow: no answer for ")
    assert polls[-1].connected
    slow.gate.set()  # it answers at last
    await asyncio.sleep(0)
    back = await fleet.snapshot()
    assert status(back.hosts, "slow").stale is False
    assert status(back.hosts, "slow").error is None
    # the hanging poll's answer was taken, and a new poll (the third) answered at once
    assert back.samples["slow/api"].cpu_percent == 3.0
    assert slow.polls == 3 and slow.max_active == 1
    await fleet.close()
    assert fast.closed and slow.closed


async def test_the_polls_of_several_hosts_run_at_once() -> None:
    hosts = [FakeHost(f"h{i}") for i in range(3)]
    fleet = FleetHost(hosts, wait_s=2.0, first_wait_s=2.0)
    await fleet.connect()
    gate = asyncio.Event()
    for host in hosts:
        host.gate = gate
    poll = asyncio.ensure_future(fleet.snapshot())
    await asyncio.sleep(0.02)
    assert [host.active for host in hosts] == [1, 1, 1]  # all asked before any answered
    gate.set()
    snapshot = await poll
    assert len(snapshot.machines) == 6 and len(snapshot.samples) == 6
    assert all(s.latency_s is not None and s.latency_s >= 0.0 for s in snapshot.hosts)
    await fleet.close()


async def test_a_down_host_keeps_its_rows_without_samples_and_says_why() -> None:
    up, down = FakeHost("up"), FakeHost("down")
    fleet = FleetHost([up, down], wait_s=0.5)
    events: asyncio.Queue[HostEvent] = asyncio.Queue()

    async def listen() -> None:
        async for event in fleet.events():
            events.put_nowait(event)

    listener = asyncio.ensure_future(listen())
    await fleet.connect()
    await fleet.snapshot()
    down.disconnected = "ssh: connect to host down port 22: No route to host"
    snapshot = await fleet.snapshot()
    assert {m.name for m in snapshot.machines} == {"up/web", "up/db", "down/web", "down/db"}
    assert set(snapshot.samples) == {"up/web", "up/db"}  # down's rows: unavailable
    st = status(snapshot.hosts, "down")
    assert not st.connected
    assert st.error == "down: ssh: connect to host down port 22: No route to host; retrying in 1 s"
    assert st.stats is not None  # its last figures stay for its row
    assert snapshot.connected  # the fleet carries on
    assert snapshot.error is not None and snapshot.error.startswith("down: down: ssh")
    assert snapshot.stats.cpu_count == 2  # the header counts the hosts that are up
    seen = await drain(events)
    assert [(e.kind, e.message) for e in seen] == [
        (EventKind.DISCONNECTED, "down: ssh: connect to host down port 22: No route to host")
    ]
    listener.cancel()
    await fleet.close()


async def test_backoff_doubles_up_to_30_s_and_resets_on_success() -> None:
    assert [backoff_s(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 30, 30, 30]
    clock = Clock()
    good, bad = FakeHost("good"), FakeHost("bad")
    bad.fail_connect = "Permission denied (publickey)"
    fleet = FleetHost([good, bad], wait_s=0.5, clock=clock)
    await fleet.connect()  # one host is enough
    assert bad.connects == 1
    for delay in (1, 2, 4, 8, 16, 30, 30):
        snapshot = await fleet.snapshot()
        st = status(snapshot.hosts, "bad")
        assert st.error == f"down: Permission denied (publickey); retrying in {delay} s"
        clock.advance(delay - 0.5)
        await fleet.snapshot()
        connects = bad.connects
        clock.advance(0.5)  # now it is time
        await fleet.snapshot()
        assert bad.connects == connects + 1, delay
    bad.fail_connect = None
    clock.advance(30)
    snapshot = await fleet.snapshot()  # connects
    assert status(snapshot.hosts, "bad").connected
    assert status(snapshot.hosts, "bad").error is None
    snapshot = await fleet.snapshot()  # and is polled
    assert {"bad/web", "bad/db"} <= set(snapshot.samples)
    bad.disconnected = "gone again"
    snapshot = await fleet.snapshot()
    st = status(snapshot.hosts, "bad")
    assert st.error == "down: gone again; retrying in 1 s"  # back to the first step
    polls = bad.polls
    await fleet.snapshot()
    assert bad.polls == polls  # not asked again before its time
    bad.disconnected = None
    clock.advance(1)
    snapshot = await fleet.snapshot()
    assert status(snapshot.hosts, "bad").connected
    assert bad.connects == 9  # a host that said connected=False reconnects by itself
    await fleet.close()


async def test_a_poll_that_raises_marks_the_host_down_and_is_retried_without_connect() -> None:
    clock = Clock()
    good, flaky = FakeHost("good"), FakeHost("flaky")
    fleet = FleetHost([good, flaky], wait_s=0.5, clock=clock)
    await fleet.connect()
    await fleet.snapshot()
    flaky.raise_on_poll = HostError("machined went away")
    snapshot = await fleet.snapshot()
    assert status(snapshot.hosts, "flaky").error == "down: machined went away; retrying in 1 s"
    assert {"flaky/web", "flaky/db"} <= {m.name for m in snapshot.machines}
    assert not {"flaky/web", "flaky/db"} & set(snapshot.samples)
    flaky.raise_on_poll = None
    clock.advance(1)
    snapshot = await fleet.snapshot()
    assert status(snapshot.hosts, "flaky").connected
    assert {"flaky/web", "flaky/db"} <= set(snapshot.samples)
    assert flaky.connects == 1
    await fleet.close()


async def test_a_bug_in_a_host_is_not_taken_for_a_host_being_away() -> None:
    good, buggy = FakeHost("good"), FakeHost("buggy")
    fleet = FleetHost([good, buggy], wait_s=0.5)
    await fleet.connect()
    buggy.raise_on_poll = ZeroDivisionError("oops")
    with pytest.raises(ZeroDivisionError):
        await fleet.snapshot()
    await fleet.close()


async def test_connect_fails_only_when_no_host_connects_and_names_every_reason() -> None:
    one, two = FakeHost("one"), FakeHost("two")
    one.fail_connect = "Host key verification failed."
    two.fail_connect = "Connection refused"
    fleet = FleetHost([one, two])
    with pytest.raises(HostUnavailable) as error:
        await fleet.connect()
    assert str(error.value) == (
        "no host of the fleet is reachable "
        "(one: Host key verification failed.; two: Connection refused)"
    )
    await fleet.close()


async def test_connect_does_not_wait_for_a_host_that_hangs() -> None:
    quick, hanging = FakeHost("quick"), FakeHost("hanging")
    hanging.connect_gate = asyncio.Event()
    fleet = FleetHost([quick, hanging], wait_s=0.05, first_wait_s=1.0)
    started = time.monotonic()
    await fleet.connect()
    snapshot = await fleet.snapshot()
    assert time.monotonic() - started < 0.5  # the first poll waits for connected hosts only
    st = status(snapshot.hosts, "hanging")
    assert (st.connected, st.error) == (False, "connecting")
    assert {m.name for m in snapshot.machines} == {"quick/web", "quick/db"}
    hanging.connect_gate.set()
    await asyncio.sleep(0)
    await fleet.snapshot()  # collects the connect, polls it
    snapshot = await fleet.snapshot()
    assert status(snapshot.hosts, "hanging").connected
    assert {"hanging/web", "hanging/db"} <= set(snapshot.samples)
    assert hanging.connects == 1
    await fleet.close()


async def test_the_header_sums_the_hosts_and_weights_cpu_by_cores() -> None:
    a = FakeHost("a", cpu_count=2, cpu_percent=50.0, memory_total=1000, memory_used=400)
    b = FakeHost("b", cpu_count=6, cpu_percent=10.0, memory_total=3000, memory_used=1000)
    c = FakeHost("c", cpu_count=4, cpu_percent=None, memory_total=500, memory_used=100)
    fleet = FleetHost([a, b, c], wait_s=0.5)
    await fleet.connect()
    stats = (await fleet.snapshot()).stats
    assert stats.hostname == "3 hosts"
    assert stats.cpu_count == 12
    assert stats.cpu_percent == pytest.approx((2 * 50 + 6 * 10) / 8)  # c has no figure
    assert (stats.memory_total, stats.memory_used) == (4500, 1500)
    b.disconnected = "lost"
    stats = (await fleet.snapshot()).stats
    assert (stats.cpu_count, stats.cpu_percent, stats.memory_total) == (6, 50.0, 1500)
    await fleet.close()


async def test_the_reason_of_a_down_host_is_cleaned() -> None:
    good, hostile = FakeHost("good"), FakeHost("hostile")
    fleet = FleetHost([good, hostile], wait_s=0.5)
    await fleet.connect()
    hostile.disconnected = "banner \x1b]0;pwned\x07 \u202egnp.exe"
    snapshot = await fleet.snapshot()
    error = status(snapshot.hosts, "hostile").error
    assert error is not None and "hostile" not in error
    assert "\x1b" not in error and "\x07" not in error and "\u202e" not in error
    assert "banner ^[]0;pwned^G" in error
    assert snapshot.error is not None and "\x1b" not in snapshot.error
    await fleet.close()
