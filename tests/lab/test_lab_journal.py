"""Journal tails against real containers (flat lab): real journald, real journalctl.

Lines are written inside the containers with ``logger`` (through nsenter),
read back by the real app's log view through ``journalctl -M NAME -o json -f``
(which asks the lab's machined, on its private bus).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import labkit

from nspawn_tui.app import NspawnApp
from nspawn_tui.host.machined.host import MachinedHost
from nspawn_tui.journal.sources import LogBatch, LogEvent, LogOptions, LogRecord
from nspawn_tui.screens.logs import LogsScreen
from nspawn_tui.widgets.log_view import LogView

EXTRA = "ntl-logs"


async def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")


class _Collector:
    """Records and per-machine status events of a Host.follow_logs stream."""

    def __init__(self) -> None:
        self.records: list[LogRecord] = []
        self.states: list[str] = []  # "machine:state: message"

    async def consume(self, stream: AsyncIterator[LogEvent], done: Callable[[], bool]) -> None:
        async for event in stream:
            if isinstance(event, LogBatch):
                self.records.extend(event.records)
            else:
                self.states.append(f"{event.machine}:{event.state}: {event.message}")
            if done():
                return


def _markers(records: list[LogRecord], tag: str) -> list[LogRecord]:
    return [r for r in records if r.message.startswith(tag)]


async def test_merged_view_of_two_real_containers(flat_lab: labkit.FlatLab) -> None:
    names = ["ntl-alpha", "ntl-beta"]
    app = NspawnApp(MachinedHost(flat_lab.bus_address, read_only=True), logs=names)
    tag = f"ntl-merge-{time.time_ns()}"
    async with app.run_test(size=(120, 40)) as pilot:
        await _wait(lambda: isinstance(app.screen, LogsScreen), 10, "the log view")
        view = app.screen.query_one(LogView)
        # Both journals joined (their backlogs are in).
        await _wait(
            lambda: {r.machine for r in view.store.records} >= set(names), 15, "both backlogs"
        )
        written: list[str] = []
        for i in range(6):
            name = names[i % 2]
            text = f"{tag} {i} from {name}"
            result = flat_lab.exec(name, ["logger", "-t", "ntltest", text])
            assert result.returncode == 0, result.stderr
            written.append(text)
            await asyncio.sleep(0.05)
        took = await _wait(
            lambda: len(_markers(list(view.store.records), tag)) == len(written),
            2.0,
            "the six lines in the merged view (issue 4: within 2 s)",
        )
        seen = _markers(list(view.store.records), tag)
        assert [r.message for r in seen] == written  # in timestamp order = write order
        assert [r.machine for r in seen] == [n for n in names * 3]
        stamps = [r.timestamp for r in view.store.records if r.timestamp is not None]
        assert stamps == sorted(stamps)
        print(f"merged lines seen {took:.2f}s after the last write")
        await pilot.press("q")


async def test_logs_of_a_stopped_container_from_its_image(flat_lab: labkit.FlatLab) -> None:
    flat_lab.boot(EXTRA)
    tag = f"ntl-stopped-{time.time_ns()}"
    try:
        result = flat_lab.exec(EXTRA, ["logger", "-t", "ntltest", tag])
        assert result.returncode == 0, result.stderr
        flat_lab.exec(EXTRA, ["journalctl", "--flush"])
        flat_lab.exec(EXTRA, ["journalctl", "--sync"])
    finally:
        flat_lab.stop(EXTRA)
    host = MachinedHost(flat_lab.bus_address, read_only=True)
    try:
        machines = {m.name: m for m in await host.list_machines()}
        assert machines[EXTRA].state == "stopped"
        got = _Collector()
        stream = host.follow_logs([EXTRA], LogOptions(lines=200))

        def complete() -> bool:
            return any(r.message == tag for r in got.records) and any(
                s.startswith(f"{EXTRA}:stopped") for s in got.states
            )

        try:
            await asyncio.wait_for(got.consume(stream, complete), 20)
        finally:
            await stream.aclose()  # type: ignore[attr-defined]
            print("states:", got.states, "records:", len(got.records))
        found = got.records
        assert any(r.message == tag and r.machine == EXTRA for r in found)
    finally:
        await host.close()


async def test_flood_beyond_journald_rate_limit_arrives_whole(flat_lab: labkit.FlatLab) -> None:
    """journald drops more than 10,000 lines per 30 s per service by default: lift it first."""
    name = "ntl-beta"
    conf = flat_lab.containers[name].root / "etc/systemd/journald.conf.d"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "ntl-flood.conf").write_text("[Journal]\nRateLimitBurst=0\nRateLimitIntervalSec=0\n")
    restart = flat_lab.exec(name, ["systemctl", "restart", "systemd-journald"])
    assert restart.returncode == 0, restart.stderr
    count = 12_000
    tag = f"ntl-flood-{time.time_ns()}"
    host = MachinedHost(flat_lab.bus_address, read_only=True)
    app = NspawnApp(host, logs=[name])
    async with app.run_test(size=(120, 40)) as pilot:
        await _wait(lambda: isinstance(app.screen, LogsScreen), 10, "the log view")
        view = app.screen.query_one(LogView)
        await _wait(lambda: len(view.store.records) > 0, 15, "the backlog")
        script = f"seq 1 {count} | sed 's/^/{tag} /' | logger -t ntlflood"
        result = flat_lab.exec(name, ["sh", "-c", script], timeout=120)
        assert result.returncode == 0, result.stderr
        last = f"{tag} {count}"
        await _wait(
            lambda: any(r.message == last for r in view.store.records[-50:]), 60, "the last line"
        )
        flood = _markers(list(view.store.records), tag)
        numbers = [int(r.message.rsplit(" ", 1)[1]) for r in flood]
        # The scrollback keeps the newest 10,000 (bounded); none of those is missing.
        assert len(view.store.records) <= view.store.scrollback
        assert numbers == list(range(numbers[0], count + 1))
        assert len(numbers) >= min(count, view.store.scrollback) - 100
        await pilot.press("q")


async def test_a_machine_that_boots_later_joins_and_its_stop_is_marked(
    flat_lab: labkit.FlatLab,
) -> None:
    late = "ntl-late"
    flat_lab.add_image(late)
    host = MachinedHost(flat_lab.bus_address, read_only=True)
    await host.connect()
    got = _Collector()
    found, states = got.records, got.states
    stream = host.follow_logs(["ntl-alpha", late], LogOptions(lines=5))
    task = asyncio.create_task(got.consume(stream, lambda: False))
    tag = f"ntl-late-{time.time_ns()}"
    try:
        await _wait(lambda: any(r.machine == "ntl-alpha" for r in found), 15, "alpha's backlog")
        await asyncio.to_thread(flat_lab.boot, late)
        result = flat_lab.exec(late, ["logger", "-t", "ntltest", tag])
        assert result.returncode == 0, result.stderr
        await _wait(
            lambda: any(r.message == tag and r.machine == late for r in found), 10, "late line"
        )
        marks_before = sum(s.startswith(f"{late}:stopped") for s in states)
        await asyncio.to_thread(flat_lab.stop, late)
        await _wait(
            lambda: sum(s.startswith(f"{late}:stopped") for s in states) > marks_before,
            10,
            "the stop to be marked",
        )
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await stream.aclose()  # type: ignore[attr-defined]
        await host.close()
        if late in flat_lab.containers:
            flat_lab.stop(late)
