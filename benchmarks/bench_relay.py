"""Shell relay benchmark: throughput and added keystroke latency of ``nspawn_tui.terminal.relay.relay``.

Two PTY pairs stand for the user's terminal and the container's PTY. A
producer thread writes into the container side, a consumer thread reads the
user side; in between runs either :func:`~nspawn_tui.terminal.relay.relay` or a bare
Python copy loop (the reference), in the main thread. Latency: one byte typed
on the user side, echoed by the "container", read back; compared with the
same round trip on the container PTY directly (no relay, no second PTY).

Figures (medians of several runs):

- ``relay_mb_per_s``: 100 MB from container to user through the relay.
- ``relay_raw_mb_per_s``: the same through a plain ``os.read``/``os.write`` loop.
- ``relay_added_latency_ms``: median keystroke round trip through the relay
  minus the median direct round trip.

Run: ``.venv/bin/python benchmarks/bench_relay.py`` (last line: one JSON object).
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import sys
import threading
import time
import tty
from collections.abc import Callable

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from nspawn_tui.terminal.relay import relay

MB = 1_000_000
TOTAL = 100 * MB
BLOCK = 65536
RUNS = 5
ROUND_TRIPS = 300


class _Pair:
    """user PTY (relay's stdin/stdout = its slave) and container PTY (relay's master)."""

    def __init__(self) -> None:
        self.user_master, self.user_slave = os.openpty()
        self.cont_master, self.cont_slave = os.openpty()
        tty.setraw(self.cont_slave)
        tty.setraw(self.user_slave)  # relay() does this itself; the copy loop needs it too
        self.cont_slave_open = True

    def close_container(self) -> None:
        if self.cont_slave_open:
            self.cont_slave_open = False
            os.close(self.cont_slave)

    def close(self) -> None:
        self.close_container()
        for fd in (self.user_master, self.user_slave, self.cont_master):
            os.close(fd)


def _copy_loop(src: int, dst: int) -> None:
    """The reference: the plainest Python PTY-to-PTY copy."""
    read, write = os.read, os.write
    while True:
        try:
            data = read(src, BLOCK)
        except OSError:
            return  # EIO: the writer closed its side
        if not data:
            return
        while data:
            data = data[write(dst, data) :]


def _throughput(use_relay: bool, total: int = TOTAL) -> float:
    """MB/s from the container side to the user side."""
    pair = _Pair()
    payload = os.urandom(BLOCK)
    started = threading.Event()
    timing: dict[str, float] = {}
    received = [0]

    def producer() -> None:
        started.wait()
        timing["start"] = time.perf_counter()
        sent = 0
        while sent < total:
            n = os.write(pair.cont_slave, payload[: min(BLOCK, total - sent)])
            sent += n

    def consumer() -> None:
        while received[0] < total:
            received[0] += len(os.read(pair.user_master, BLOCK))
        timing["end"] = time.perf_counter()
        pair.close_container()  # ends the relay / copy loop

    threads = [threading.Thread(target=f, daemon=True) for f in (producer, consumer)]
    for thread in threads:
        thread.start()
    started.set()
    try:
        if use_relay:
            result = relay(
                pair.cont_master,
                stdin_fd=pair.user_slave,
                stdout_fd=pair.user_slave,
                banner=None,
            )
            if result.reason != "exited":
                raise RuntimeError(f"relay ended with {result}")
        else:
            _copy_loop(pair.cont_master, pair.user_slave)
        for thread in threads:
            thread.join()
    finally:
        pair.close()
    if received[0] != total:
        raise RuntimeError(f"received {received[0]} of {total} bytes")
    return total / MB / (timing["end"] - timing["start"])


def _round_trips(use_relay: bool, count: int = ROUND_TRIPS) -> list[float]:
    """Keystroke round trips in ms: typed, echoed by the 'container', read back."""
    pair = _Pair()
    samples: list[float] = []

    def echo() -> None:
        """The 'container': echo every byte; b"q" means the shell exits."""
        try:
            while True:
                data = os.read(pair.cont_slave, 1024)
                if not data or b"q" in data:
                    return
                os.write(pair.cont_slave, data)
        finally:
            pair.close_container()  # by this thread: nobody else is blocked on it

    def typist(fd: int) -> Callable[[], None]:
        def run() -> None:
            try:
                for _ in range(count):
                    t0 = time.perf_counter()
                    os.write(fd, b"k")
                    got = b""
                    while not got:
                        got = os.read(fd, 16)
                    samples.append((time.perf_counter() - t0) * 1000)
                    time.sleep(0.001)
            finally:
                os.write(fd, b"q")

        return run

    echo_thread = threading.Thread(target=echo, daemon=True)
    echo_thread.start()
    try:
        if use_relay:
            typing = threading.Thread(target=typist(pair.user_master), daemon=True)
            typing.start()
            relay(
                pair.cont_master, stdin_fd=pair.user_slave, stdout_fd=pair.user_slave, banner=None
            )
        else:
            typing = threading.Thread(target=typist(pair.cont_master), daemon=True)
            typing.start()
        typing.join()
        echo_thread.join(5)
    finally:
        pair.close()
    return samples


def run(runs: int = RUNS) -> dict[str, float]:
    """The figures, each the median of ``runs`` runs (relay and reference interleaved)."""
    previous = signal.getsignal(signal.SIGWINCH)
    relay_rates: list[float] = []
    raw_rates: list[float] = []
    added: list[float] = []
    for _ in range(runs):
        raw_rates.append(_throughput(False))
        relay_rates.append(_throughput(True))
        direct = statistics.median(_round_trips(False))
        relayed = statistics.median(_round_trips(True))
        added.append(relayed - direct)
    assert signal.getsignal(signal.SIGWINCH) == previous
    return {
        "relay_mb_per_s": round(statistics.median(relay_rates), 1),
        "relay_raw_mb_per_s": round(statistics.median(raw_rates), 1),
        "relay_added_latency_ms": round(statistics.median(added), 3),
    }


if __name__ == "__main__":
    figures = run()
    ratio = figures["relay_mb_per_s"] / figures["relay_raw_mb_per_s"]
    print(f"relay / plain copy: {ratio:.2f}x", file=sys.stderr)
    print(json.dumps(figures))
