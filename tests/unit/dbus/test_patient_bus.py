"""A burst of calls larger than the socket's buffer: dbus-next drops the bus, ours waits.

Against a real ``dbus-daemon`` (a session bus of the test's own).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator

import pytest
from dbus_next import Message
from dbus_next.aio import MessageBus

from nspawn_tui.dbus.patient import patient_bus

BURST = 5000  # ~1.2 MB of requests: far more than a unix socket buffers


@pytest.fixture
def address() -> Iterator[str]:
    if shutil.which("dbus-daemon") is None:
        pytest.skip("dbus-daemon is not installed (apt-get install dbus)")
    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert daemon.stdout is not None
        yield daemon.stdout.readline().strip()
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)


async def _burst(bus: MessageBus) -> list[object]:
    calls = [
        bus.call(
            Message(
                destination="org.freedesktop.DBus",
                path="/org/freedesktop/DBus",
                interface="org.freedesktop.DBus",
                member="NameHasOwner",
                signature="s",
                body=["org.example.n" + "x" * 200],
            )
        )
        for _ in range(BURST)
    ]
    return list(await asyncio.gather(*calls, return_exceptions=True))


async def test_the_patient_bus_answers_every_call_of_a_burst(address: str) -> None:
    bus = await patient_bus(bus_address=address).connect()
    try:
        results = await _burst(bus)
        assert bus.connected
        assert [r for r in results if isinstance(r, BaseException)] == []
        assert all(isinstance(r, Message) and r.body == [False] for r in results)
    finally:
        bus.disconnect()


async def test_control_dbus_next_alone_drops_the_bus_on_the_same_burst(address: str) -> None:
    bus = await MessageBus(bus_address=address).connect()
    results = await _burst(bus)
    assert not bus.connected
    assert any(isinstance(r, BlockingIOError) for r in results)
