"""``nspawn-tui export [--listen ADDRESS:PORT]``: the host's (or fleet's) figures for Prometheus.

Connects the host, sweeps it once, binds the server (127.0.0.1:9750 unless
``--listen`` says otherwise; port 0 lets the system choose) and prints the
URL actually bound on standard output.  Then it sweeps every ``--interval``
seconds until SIGTERM (exit 0) or SIGINT (exit 130), and closes the host.
The metrics are documented in :mod:`nspawn_tui.exporter.families`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from nspawn_tui.exporter.server import (
    Exporter,
    ListenError,
    MetricsServer,
    parse_listen,
    warn_if_exposed,
)
from nspawn_tui.host.base import Host, HostError

EXIT_USAGE = 2
#: Exit status per signal that ends the exporter.
SIGNAL_STATUS = {signal.SIGTERM: 0, signal.SIGINT: 128 + signal.SIGINT}


async def serve(host: Host, args: argparse.Namespace) -> int:
    """Serve metrics until a signal; the exit status.  Raises HostError if the host fails at start."""
    try:
        address = parse_listen(args.listen)
        exporter = Exporter(host, float(args.interval), errors=sys.stderr)
    except (ListenError, ValueError) as exc:
        option = "--listen" if isinstance(exc, ListenError) else "--interval"
        print(f"nspawn-tui: {option}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    loop = asyncio.get_running_loop()
    stopped: asyncio.Future[int] = loop.create_future()

    def on_signal(status: int) -> None:
        if not stopped.done():
            stopped.set_result(status)

    for signum, status in SIGNAL_STATUS.items():
        loop.add_signal_handler(signum, on_signal, status)
    server = MetricsServer(exporter.collector, address)
    sweeping: asyncio.Task[None] | None = None
    try:
        await host.connect()
        try:
            url = server.start()
        except HostError as exc:  # the address: in use, not ours; said without "try --demo"
            print(f"nspawn-tui: {exc}", file=sys.stderr)
            return EXIT_USAGE
        await exporter.sweep_once()
        print(f"nspawn-tui: serving metrics on {url}", flush=True)
        warn_if_exposed(address)
        sweeping = asyncio.create_task(exporter.run(), name="nspawn-tui sweeps")
        sweeping.add_done_callback(lambda _: on_signal(EXIT_USAGE))
        status = await stopped
        if sweeping.done():
            sweeping.result()  # a sweep that raised: its error, not a silent stop
        return status
    finally:
        for signum in SIGNAL_STATUS:
            loop.remove_signal_handler(signum)
        if sweeping is not None:
            sweeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeping
        await server.stop()
        await host.close()
