"""Journal view benchmark: ingest rate, key latency under a flood, memory.

``python benchmarks/bench_journal.py`` prints a table and, as its last line,
one JSON object of figures; ``run()`` returns the same figures.

- ``journal_lines_per_s``: 10 sources, each a real :class:`JournalSource`
  reading ``-o json`` lines from a pipe (``cat`` of a prepared file, as
  journalctl would write them), merged, parsed, stored and shown by a
  ``LogsScreen`` in a headless app, until every line is in the store.
- ``journal_key_latency_p95_ms``: time from a key press to its action in
  the log view, while 10 sources flood lines in as fast as they can.
- ``journal_rss_mb_100k``: resident memory of the process with 100,000
  lines held (scrollback 100,000), Textual included.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual.app import App

from nspawn_tui.journal.sources import (
    JournalSource,
    LogEvent,
    LogOptions,
    SourceStatus,
    follow_journals,
    parse_lines,
)
from nspawn_tui.screens.logs import LogsScreen

SOURCES = 10
MESSAGES = (
    "Accepted publickey for deploy from 10.0.3.{i} port 52595 ssh2: ED25519 SHA256:9f8e7d6c5b4a",
    '10.0.5.{i} - - "GET /static/app.js HTTP/1.1" 200 31663 "-" "curl/7.88.1"',
    "LOG:  checkpoint complete: wrote {i} buffers (0.1%); write=0.2 s",
    "Started session-{i}.scope - Session {i} of User root.",
    "WARNING:  there is already a transaction in progress",
)


def journal_lines(machine: str, count: int, start_usec: int, step_usec: int) -> bytes:
    """``count`` JSON records as ``journalctl -o json --output-fields=...`` prints them."""
    out = []
    boot = f"{abs(hash(machine)) % 16**32:032x}"
    for i in range(count):
        ts = start_usec + i * step_usec
        record = {
            "__CURSOR": f"s=8e1f0c4a5e2b4f5e9c1d;i={i:x};b={boot};m={ts:x};t={ts:x};x=1a2b3c4d5e6f",
            "__REALTIME_TIMESTAMP": str(ts),
            "__MONOTONIC_TIMESTAMP": str(ts - start_usec),
            "_BOOT_ID": boot,
            "PRIORITY": str(3 + i % 5),
            "_SYSTEMD_UNIT": "nginx.service",
            "SYSLOG_IDENTIFIER": "nginx",
            "_PID": str(100 + i % 7),
            "MESSAGE": MESSAGES[i % len(MESSAGES)].format(i=i % 250),
        }
        out.append(json.dumps(record, separators=(",", ":")))
    return ("\n".join(out) + "\n").encode()


def prepare_files(directory: Path, per_source: int) -> list[Path]:
    files = []
    for n in range(SOURCES):
        path = directory / f"m{n}.json"
        path.write_bytes(journal_lines(f"m{n}", per_source, 1_700_000_000_000_000 + n, 997))
        files.append(path)
    return files


def cat_sources(files: list[Path]) -> Callable[[LogOptions], AsyncIterator[LogEvent]]:
    def factory(options: LogOptions) -> AsyncIterator[LogEvent]:
        return follow_journals(
            JournalSource(f"m{n}", lambda _c, p=path: ["cat", str(p)], follow=False)
            for n, path in enumerate(files)
        )

    return factory


def flood_source(
    chunks: list[tuple[str, list[bytes]]],
) -> Callable[[LogOptions], AsyncIterator[LogEvent]]:
    """Parses prepared chunks of lines in a loop, forever, as fast as possible."""

    async def flood(options: LogOptions) -> AsyncIterator[LogEvent]:
        for machine, _ in chunks:
            yield SourceStatus(machine, "joined", "bench")
        while True:
            for machine, lines in chunks:
                yield parse_lines(lines, machine)
                await asyncio.sleep(0)

    return flood


class BenchApp(App[None]):
    def __init__(self, screen: LogsScreen) -> None:
        super().__init__()
        self.logs = screen

    def on_mount(self) -> None:
        self.push_screen(self.logs)


async def ingest(files: list[Path], total: int, scrollback: int) -> tuple[float, float, float]:
    """Seconds to get ``total`` lines into the view, RSS (MB) before and after."""
    screen = LogsScreen(
        cat_sources(files), [f"m{n}" for n in range(SOURCES)], scrollback=scrollback
    )
    app = BenchApp(screen)
    async with app.run_test(size=(160, 50)) as pilot:
        before = psutil.Process().memory_info().rss / 2**20
        start = time.perf_counter()
        while screen.log_view.store.received < total:
            await asyncio.sleep(0.01)
            if time.perf_counter() - start > 120:
                raise RuntimeError(
                    f"only {screen.log_view.store.received} of {total} lines arrived"
                )
        await pilot.pause()  # one more repaint of the view
        elapsed = time.perf_counter() - start
        assert len(screen.log_view.store) == min(total, scrollback)
        rss = psutil.Process().memory_info().rss / 2**20
    return elapsed, before, rss


async def key_latency(files: list[Path], presses: int = 100) -> tuple[float, float, int]:
    """p95 and median ms from key press to action, and lines ingested meanwhile."""
    chunks = []
    for n, path in enumerate(files):
        lines = path.read_bytes().splitlines()
        chunks += [(f"m{n}", lines[i : i + 200]) for i in range(0, len(lines), 200)]
    screen = LogsScreen(flood_source(chunks), [f"m{n}" for n in range(SOURCES)])
    app = BenchApp(screen)
    handled: list[float] = []
    async with app.run_test(size=(160, 50)) as pilot:
        view = screen.log_view
        original = view.move_cursor

        def timed_move(index: int) -> None:
            original(index)
            handled.append(time.perf_counter())

        view.move_cursor = timed_move  # type: ignore[method-assign]
        while view.store.received < 20_000:
            await asyncio.sleep(0.01)
        latencies = []
        first, started = view.store.received, time.perf_counter()
        for i in range(presses):
            before = len(handled)
            start = time.perf_counter()
            await pilot.press("up" if i % 2 else "down")
            while len(handled) == before:
                await asyncio.sleep(0)
            latencies.append((handled[before] - start) * 1000)
            await asyncio.sleep(0.02)
        rate = (view.store.received - first) / (time.perf_counter() - started)
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
    return p95, statistics.median(latencies), rate


def run() -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-journal-") as tmp:
        files_100k = prepare_files(Path(tmp), 10_000)
        _, rss_start, rss_100k = asyncio.run(ingest(files_100k, 100_000, scrollback=100_000))
        files = prepare_files(Path(tmp), 20_000)
        elapsed, _, rss_bounded = asyncio.run(ingest(files, 200_000, scrollback=10_000))
        p95, median, flooded = asyncio.run(key_latency(files))
    figures = {
        "journal_lines_per_s": round(200_000 / elapsed),
        "journal_key_latency_p95_ms": round(p95, 2),
        "journal_rss_mb_100k": round(rss_100k, 1),
    }
    rows = [
        (
            "ingest, 10 sources x 20,000 lines (pipe -> parse -> store -> view)",
            f"{figures['journal_lines_per_s']:,} lines/s",
        ),
        ("key press -> action while flooding, p95", f"{p95:.1f} ms"),
        ("key press -> action while flooding, median", f"{median:.1f} ms"),
        ("ingest rate during the key test", f"{flooded:,.0f} lines/s"),
        ("RSS of the app before any line", f"{rss_start:.1f} MB"),
        ("RSS with 100,000 lines held (scrollback 100,000)", f"{rss_100k:.1f} MB"),
        ("RSS after 200,000 more lines (scrollback 10,000)", f"{rss_bounded:.1f} MB"),
    ]
    width = max(len(r[0]) for r in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value:>16}")
    return figures


if __name__ == "__main__":
    os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
    print(json.dumps(run()))
