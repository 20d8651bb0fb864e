"""Where and how the metrics are served: ``--listen`` parsing, the sweep loop, the HTTP server.

:class:`Exporter` takes ``await host.snapshot()`` every ``interval`` seconds
(one sweep at a time, never overlapping) and swaps the result into its
:class:`~.families.SnapshotCollector`.  :class:`MetricsServer` is
prometheus-client's own threaded WSGI server (``start_http_server``) on a
registry of its own holding only that collector: it answers ``/metrics`` in
the Prometheus text format or OpenMetrics, as the scraper's ``Accept``
header asks (and gzip when accepted).  A scrape formats the latest sweep in
the server's thread and never calls the Host.
"""

from __future__ import annotations

import asyncio
import ipaddress
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TextIO
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server

from nspawn_tui.exporter.families import SnapshotCollector, Sweep
from nspawn_tui.host.base import Host, HostError
from nspawn_tui.safe import clean

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9750
DEFAULT_LISTEN = f"{DEFAULT_HOST}:{DEFAULT_PORT}"


class ListenError(ValueError):
    """A ``--listen`` value that cannot be used, with a message saying why."""


@dataclass(frozen=True, slots=True)
class ListenAddress:
    """An IP address (v4 or v6, no brackets) and a port (0: the system picks one)."""

    host: str
    port: int

    @property
    def loopback(self) -> bool:
        return ipaddress.ip_address(self.host.partition("%")[0]).is_loopback

    def url(self, port: int | None = None) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port if port is None else port}/metrics"


def parse_listen(text: str | None) -> ListenAddress:
    """``ADDRESS:PORT`` (``[V6]:PORT``, or ``PORT`` alone for loopback); None is the default.

    Only IP addresses (and ``localhost``): an address that is not loopback is
    served only when it is written out, never from an empty or a name.
    """
    if text is None:
        return ListenAddress(DEFAULT_HOST, DEFAULT_PORT)
    text = text.strip()
    if text.isdigit():
        return ListenAddress(DEFAULT_HOST, _port(text))
    if text.startswith("["):
        inside, bracket, rest = text[1:].partition("]")
        if not bracket or not rest.startswith(":"):
            raise ListenError(f"expected [IPV6]:PORT, not {clean(text)!r}")
        return ListenAddress(_address(inside, want_v6=True), _port(rest[1:]))
    host, colon, port = text.rpartition(":")
    if not colon:
        raise ListenError(f"expected ADDRESS:PORT (e.g. {DEFAULT_LISTEN}), not {clean(text)!r}")
    if ":" in host:
        raise ListenError(f"put an IPv6 address in brackets, e.g. [::1]:{DEFAULT_PORT}")
    if not host:
        raise ListenError(
            f"give the address as well: {DEFAULT_HOST}:PORT for this machine only, "
            "0.0.0.0:PORT or [::]:PORT for every interface"
        )
    return ListenAddress(_address(host, want_v6=False), _port(port))


def _address(text: str, *, want_v6: bool) -> str:
    if text == "localhost" and not want_v6:
        return DEFAULT_HOST
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise ListenError(
            f"the address must be an IP address (or localhost), not {clean(text)!r}"
        ) from None
    if want_v6 and address.version != 6:
        raise ListenError(f"only an IPv6 address goes in brackets, not {clean(text)!r}")
    return str(address)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise ListenError(f"the port must be a number from 0 to 65535, not {clean(text)!r}")
    return int(text)


class MetricsServer:
    """prometheus-client's HTTP server for one collector, in a daemon thread."""

    def __init__(self, collector: SnapshotCollector, address: ListenAddress) -> None:
        self.address = address
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(collector)
        self._httpd: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        """Bind and serve; the URL actually bound (the port chosen when 0 was asked).

        Raises :class:`HostError` when the address cannot be bound.
        """
        try:
            self._httpd, self._thread = start_http_server(
                self.address.port, addr=self.address.host, registry=self.registry
            )
        except OSError as exc:
            raise HostError(
                f"cannot listen on {self.address.url()}: {exc.strerror or exc}"
            ) from None
        return self.address.url(self.port)

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the server is not started")
        return int(self._httpd.server_address[1])

    async def stop(self) -> None:
        """Stop serving and close the socket (in a thread: shutdown waits for the loop)."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return

        def shut() -> None:
            httpd.shutdown()
            httpd.server_close()

        await asyncio.to_thread(shut)
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 5.0)


class Exporter:
    """The sweep loop: the latest snapshot of ``host`` in :attr:`collector`."""

    def __init__(
        self,
        host: Host,
        interval: float,
        *,
        errors: TextIO | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if not interval > 0:
            raise ValueError(f"the interval must be above 0 seconds, not {interval}")
        self.host = host
        self.interval = interval
        self.collector = SnapshotCollector(Sweep(snapshot=None, label=host.label))
        self._errors = errors
        self._monotonic = monotonic
        self._wall = wall
        self._last_error: str | None = None

    @property
    def sweep(self) -> Sweep:
        return self.collector.sweep

    async def sweep_once(self) -> Sweep:
        """One snapshot of the host, swapped in whole; a HostError counts and marks it down."""
        previous = self.collector.sweep
        started = self._monotonic()
        error: str | None = None
        try:
            snapshot = await self.host.snapshot()
        except HostError as exc:
            error = str(exc)  # cleaned by HostError
            sweep = replace(
                previous,
                snapshot=None,
                errors=previous.errors + 1,
                known_hosts=_known_hosts(previous),
            )
        else:
            error = None if snapshot.connected else snapshot.error
            sweep = replace(previous, snapshot=snapshot, known_hosts=())
        duration = self._monotonic() - started
        sweep = replace(
            sweep, finished_at=self._wall(), duration_s=duration, sweeps=previous.sweeps + 1
        )
        self.collector.sweep = sweep  # the swap: scrapes see the old or the new, whole
        self._report(error)
        return sweep

    def _report(self, error: str | None) -> None:
        """Say on stderr when the host's trouble starts, changes or ends (not every sweep)."""
        if error == self._last_error or self._errors is None:
            self._last_error = error
            return
        if error is None:
            print("nspawn-tui: the host answers again", file=self._errors, flush=True)
        else:
            print(f"nspawn-tui: sweep: {clean(error)}", file=self._errors, flush=True)
        self._last_error = error

    async def run(self) -> None:
        """Sweep every ``interval`` seconds until cancelled; the next starts after this one ends."""
        while True:
            started = self._monotonic()
            await self.sweep_once()
            await asyncio.sleep(max(0.0, self.interval - (self._monotonic() - started)))


def _known_hosts(sweep: Sweep) -> tuple[str, ...]:
    """The host labels a failed sweep marks down: those of the last good sweep."""
    snapshot = sweep.snapshot
    if snapshot is None:
        return sweep.known_hosts or (sweep.label,)
    if snapshot.hosts:
        return tuple(h.label for h in snapshot.hosts)
    return (sweep.label,)


def warn_if_exposed(address: ListenAddress, out: TextIO = sys.stderr) -> None:
    """A note when the metrics are served beyond this machine."""
    if not address.loopback:
        print(
            f"nspawn-tui: {address.host} is not loopback: whoever reaches port "
            f"{address.port} can read the machines' names and figures",
            file=out,
            flush=True,
        )
