"""``--listen`` parsing, the sweep loop and the HTTP server (on a port the system picks)."""

from __future__ import annotations

import asyncio
import io
import socket
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from nspawn_tui.exporter.server import (
    Exporter,
    ListenAddress,
    ListenError,
    MetricsServer,
    parse_listen,
    warn_if_exposed,
)
from nspawn_tui.host.base import HostError, Snapshot
from nspawn_tui.host.demo.host import DemoHost

OPENMETRICS = "application/openmetrics-text; version=1.0.0"


class CountingHost(DemoHost):
    """The demo host, counting snapshots and how many run at once."""

    def __init__(self, *, delay: float = 0.0, fail: bool = False) -> None:
        super().__init__(seed=3, machines=4)
        self.calls = 0
        self.running = 0
        self.most_at_once = 0
        self.delay = delay
        self.fail = fail

    async def snapshot(self) -> Snapshot:
        self.calls += 1
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.fail:
                raise HostError("machined went away: \x1b[31mboom")
            return await super().snapshot()
        finally:
            self.running -= 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, ListenAddress("127.0.0.1", 9750)),
        ("127.0.0.1:9750", ListenAddress("127.0.0.1", 9750)),
        ("127.0.0.1:0", ListenAddress("127.0.0.1", 0)),
        ("0.0.0.0:9750", ListenAddress("0.0.0.0", 9750)),
        ("[::1]:9750", ListenAddress("::1", 9750)),
        ("[::]:80", ListenAddress("::", 80)),
        ("localhost:9000", ListenAddress("127.0.0.1", 9000)),
        ("9751", ListenAddress("127.0.0.1", 9751)),
        ("192.168.1.7:65535", ListenAddress("192.168.1.7", 65535)),
    ],
)
def test_parse_listen_accepts(text: str | None, expected: ListenAddress) -> None:
    assert parse_listen(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (":9750", "give the address as well"),
        ("127.0.0.1", "expected ADDRESS:PORT"),
        ("127.0.0.1:", "port must be a number"),
        ("127.0.0.1:65536", "port must be a number"),
        ("127.0.0.1:-1", "port must be a number"),
        ("127.0.0.1:http", "port must be a number"),
        ("::1:9750", "IPv6 address in brackets"),
        ("[::1]", "expected [IPV6]:PORT"),
        ("[127.0.0.1]:9750", "only an IPv6 address goes in brackets"),
        ("example.com:9750", "must be an IP address"),
        ("999.1.1.1:9750", "must be an IP address"),
        ("\x1b[31m:1", "must be an IP address (or localhost), not '^[[31m'"),
    ],
)
def test_parse_listen_refuses_with_a_clear_message(text: str, words: str) -> None:
    with pytest.raises(ListenError) as caught:
        parse_listen(text)
    assert words in str(caught.value)
    assert "\x1b" not in str(caught.value)


def test_only_loopback_by_default_and_a_warning_otherwise() -> None:
    assert parse_listen(None).loopback
    assert parse_listen("[::1]:1").loopback
    out = io.StringIO()
    warn_if_exposed(parse_listen(None), out)
    assert out.getvalue() == ""
    warn_if_exposed(parse_listen("0.0.0.0:9750"), out)
    assert "0.0.0.0 is not loopback" in out.getvalue()


def test_url_brackets_ipv6() -> None:
    assert ListenAddress("::1", 0).url(1234) == "http://[::1]:1234/metrics"
    assert ListenAddress("127.0.0.1", 9750).url() == "http://127.0.0.1:9750/metrics"


def _get(url: str, accept: str | None = None) -> tuple[str, str]:
    request = urllib.request.Request(url)
    if accept:
        request.add_header("Accept", accept)
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.headers["Content-Type"], response.read().decode("utf-8")


async def test_scrapes_do_no_host_work() -> None:
    host = CountingHost()
    exporter = Exporter(host, 60.0)
    await exporter.sweep_once()
    server = MetricsServer(exporter.collector, parse_listen("127.0.0.1:0"))
    url = server.start()
    try:
        assert server.port != 0 and url == f"http://127.0.0.1:{server.port}/metrics"
        for _ in range(25):
            _, text = await asyncio.to_thread(_get, url)
        assert host.calls == 1  # 25 scrapes, still the one sweep
        assert exporter.collector.collections == 25
        names = {f.name for f in text_string_to_metric_families(text)}
        assert {"nspawn_machine_memory_bytes", "nspawn_host_up"} <= names
    finally:
        await server.stop()
    with pytest.raises(OSError):
        await asyncio.to_thread(_get, url)


async def test_content_negotiation_text_and_openmetrics() -> None:
    exporter = Exporter(CountingHost(), 60.0)
    await exporter.sweep_once()
    server = MetricsServer(exporter.collector, parse_listen("127.0.0.1:0"))
    url = server.start()
    try:
        plain_type, plain = await asyncio.to_thread(_get, url)
        om_type, om = await asyncio.to_thread(_get, url, OPENMETRICS)
    finally:
        await server.stop()
    assert plain_type.startswith("text/plain") and "# EOF" not in plain
    assert om_type.startswith("application/openmetrics-text") and om.endswith("# EOF\n")


async def test_a_second_server_on_the_same_port_says_why() -> None:
    exporter = Exporter(CountingHost(), 60.0)
    first = MetricsServer(exporter.collector, parse_listen("127.0.0.1:0"))
    first.start()
    try:
        second = MetricsServer(exporter.collector, parse_listen(f"127.0.0.1:{first.port}"))
        with pytest.raises(HostError, match="cannot listen on .*: Address already in use"):
            second.start()
    finally:
        await first.stop()


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback here")
async def test_serves_on_ipv6_loopback() -> None:
    exporter = Exporter(CountingHost(), 60.0)
    await exporter.sweep_once()
    server = MetricsServer(exporter.collector, parse_listen("[::1]:0"))
    url = server.start()
    try:
        assert url.startswith("http://[::1]:")
        _, text = await asyncio.to_thread(_get, url)
    finally:
        await server.stop()
    assert 'nspawn_host_up{host="local"} 1.0' in text


async def test_sweeps_never_overlap_and_keep_the_interval() -> None:
    host = CountingHost(delay=0.05)
    exporter = Exporter(host, 0.02)
    task = asyncio.create_task(exporter.run())
    await asyncio.sleep(0.4)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert host.most_at_once == 1
    assert 3 <= host.calls <= 9  # ~0.05 s each, back to back: a slow sweep is not doubled
    assert exporter.sweep.sweeps == host.calls or exporter.sweep.sweeps == host.calls - 1


async def test_sweep_timing_and_swap() -> None:
    clock = iter([10.0, 10.5])
    exporter = Exporter(CountingHost(), 1.0, monotonic=lambda: next(clock), wall=lambda: 1234.0)
    sweep = await exporter.sweep_once()
    assert sweep.duration_s == 0.5 and sweep.finished_at == 1234.0 and sweep.sweeps == 1
    assert exporter.collector.sweep is sweep
    assert sweep.snapshot is not None and sweep.snapshot.machines


async def test_a_failing_sweep_counts_marks_down_and_says_so_once() -> None:
    host = CountingHost()
    errors = io.StringIO()
    exporter = Exporter(host, 1.0, errors=errors)
    await exporter.sweep_once()
    host.fail = True
    await exporter.sweep_once()
    await exporter.sweep_once()
    sweep = exporter.sweep
    assert sweep.snapshot is None and sweep.errors == 2 and sweep.sweeps == 3
    assert sweep.known_hosts == ("local",)
    lines = errors.getvalue().splitlines()
    assert lines == ["nspawn-tui: sweep: machined went away: ^[[31mboom"]
    host.fail = False
    await exporter.sweep_once()
    assert exporter.sweep.snapshot is not None
    assert errors.getvalue().splitlines()[-1] == "nspawn-tui: the host answers again"


def test_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="above 0"):
        Exporter(CountingHost(), 0.0)
