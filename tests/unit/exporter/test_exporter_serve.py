"""``nspawn-tui export`` without an image: ``commands.metrics.serve`` with the demo host, end to end."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from nspawn_tui.commands.metrics import serve
from nspawn_tui.host.base import Snapshot
from nspawn_tui.host.demo.host import DemoHost

URL = re.compile(r"^nspawn-tui: serving metrics on (http://127\.0\.0\.1:(\d+)/metrics)$", re.M)


class WatchedHost(DemoHost):
    def __init__(self) -> None:
        super().__init__(seed=5, machines=6)
        self.connected = 0
        self.closed = 0
        self.snapshots = 0

    async def connect(self) -> None:
        self.connected += 1
        await super().connect()

    async def close(self) -> None:
        self.closed += 1
        await super().close()

    async def snapshot(self) -> Snapshot:
        self.snapshots += 1
        return await super().snapshot()


def args(listen: str | None = "127.0.0.1:0", interval: float = 0.1) -> argparse.Namespace:
    return argparse.Namespace(listen=listen, interval=interval, read_only=True)


async def _started(task: asyncio.Task[int], capsys: pytest.CaptureFixture[str]) -> str:
    printed = ""
    for _ in range(200):
        assert not task.done(), task.result()
        printed += capsys.readouterr().out
        if found := URL.search(printed):
            return found.group(1)
        await asyncio.sleep(0.02)
    raise AssertionError(f"no URL printed: {printed!r}")


def _scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode("utf-8"))


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 0), (signal.SIGINT, 130)])
async def test_serve_answers_then_a_signal_ends_it_cleanly(
    capsys: pytest.CaptureFixture[str], signum: signal.Signals, status: int
) -> None:
    host = WatchedHost()
    task = asyncio.create_task(serve(host, args()))
    url = await _started(task, capsys)
    text = await asyncio.to_thread(_scrape, url)
    families = {f.name: f for f in text_string_to_metric_families(text)}
    memory = families["nspawn_machine_memory_bytes"].samples
    assert memory and all(s.labels["host"] == "local" and s.value > 0 for s in memory)
    await asyncio.sleep(0.35)  # a few sweeps at 0.1 s
    assert host.snapshots >= 2
    os.kill(os.getpid(), signum)
    assert await asyncio.wait_for(task, 5) == status
    assert (host.connected, host.closed) == (1, 1)
    with pytest.raises(OSError):
        await asyncio.to_thread(_scrape, url)
    # the handlers are gone with it: the loop has no handler for the signal any more
    loop = asyncio.get_running_loop()
    assert not loop.remove_signal_handler(signum)


async def test_sweeps_continue_while_serving(capsys: pytest.CaptureFixture[str]) -> None:
    host = WatchedHost()
    task = asyncio.create_task(serve(host, args(interval=0.05)))
    url = await _started(task, capsys)

    def sweeps() -> float:
        for family in text_string_to_metric_families(_scrape(url)):
            if family.name == "nspawn_exporter_sweeps":
                return family.samples[0].value
        raise AssertionError("no nspawn_exporter_sweeps_total")

    first = await asyncio.to_thread(sweeps)
    await asyncio.sleep(0.3)
    assert await asyncio.to_thread(sweeps) > first
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert host.closed == 1


@pytest.mark.parametrize(
    ("listen", "interval", "message"),
    [
        ("nowhere:1", 1.0, "nspawn-tui: --listen: the address must be an IP address"),
        (":9750", 1.0, "nspawn-tui: --listen: give the address as well"),
        ("127.0.0.1:0", 0.0, "nspawn-tui: --interval: the interval must be above 0"),
    ],
)
async def test_bad_options_exit_2_before_touching_the_host(
    capsys: pytest.CaptureFixture[str], listen: str, interval: float, message: str
) -> None:
    host = WatchedHost()
    assert await serve(host, args(listen, interval)) == 2
    assert capsys.readouterr().err.startswith(message)
    assert (host.connected, host.snapshots) == (0, 0)


async def test_address_in_use_exits_2_and_closes_the_host(
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = asyncio.create_task(serve(WatchedHost(), args()))
    url = await _started(first, capsys)
    port = URL.search(f"nspawn-tui: serving metrics on {url}")
    assert port is not None
    host = WatchedHost()
    assert await serve(host, args(f"127.0.0.1:{port.group(2)}")) == 2
    assert "Address already in use" in capsys.readouterr().err
    assert host.closed == 1
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
