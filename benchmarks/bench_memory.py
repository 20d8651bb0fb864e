"""Resident memory with 1,000 machines listed and 100,000 log lines held.

A fresh interpreter (so nothing of the other benchmarks counts) runs the real
app headless (Textual's ``run_test``, 120x40) on a demo host with 1,000
machines, waits for three polls so the table holds every row and history
has started, then fills a :class:`~nspawn_tui.journal.store.LogStore`
(scrollback 100,000) with 100,000 lines of typical journal text, in batches
of 1,000 as the journal readers deliver them. RSS is VmRSS of that process.

The lines are ``journalctl -o json`` records through the real parser
(``parse_record``): distinct messages of about 100 characters (sshd,
nginx, postgres, systemd, an application), real-format cursors
(``s=;i=;b=;m=;t=;x=``, numbers in lowercase hex as journald writes them),
20 machines with two boots each, five units and a few PIDs per unit that
change over time. Not the demo host's journal: its messages average about
66 characters and its cursors lack ``m=`` and ``x=``, so it would flatter
the figure.

Figures: ``rss_mb_1000`` (MB, 10^6 bytes, app and lines), and
``bytes_per_held_line`` (RSS after the lines minus RSS before them, per
line) next to ``message_utf8_bytes_per_line`` (the messages' own size).
"""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import os
import random
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT, print_table, rss_mb

MACHINES = 1000
LINES = 100_000
BATCH = 1000
LOG_MACHINES = 20

#: (unit, identifier, priority, message template): str.format with _fields().
TEMPLATES = (
    (
        "ssh.service",
        "sshd",
        6,
        "Accepted publickey for deploy from 10.0.{a}.{b} port {port} ssh2: ED25519 SHA256:{fp}",
    ),
    (
        "nginx.service",
        "nginx",
        6,
        '10.0.{a}.{b} - - "GET /api/v1/items/{n} HTTP/1.1" 200 {size} "-" "Mozilla/5.0 (X11; Linux x86_64)"',
    ),
    (
        "postgresql@15-main.service",
        "postgres",
        6,
        "LOG:  checkpoint complete: wrote {n} buffers ({a}.{b}%); write={ms}.{a} s, sync=0.00{a} s",
    ),
    (
        "init.scope",
        "systemd",
        6,
        "Started session-{n}.scope - Session {n} of User deploy (from 10.0.{a}.{b}, tty pts/{a}, "
        "seat0).",
    ),
    (
        "app.service",
        "app",
        4,
        "worker {a}: job {hash} for tenant {n} took {ms} ms, {size} rows written, "
        "upstream slow, retrying",
    ),
)


def _fields(rng: random.Random) -> dict[str, object]:
    return {
        "a": rng.randint(0, 9),
        "b": rng.randint(1, 254),
        "n": rng.randint(1, 99999),
        "port": rng.randint(32768, 60999),
        "hash": f"{rng.getrandbits(64):016x}",
        "fp": base64.b64encode(rng.randbytes(32)).decode().rstrip("="),
        "size": rng.randint(100, 90000),
        "ms": rng.randint(1, 900),
    }


def journal_lines(count: int, seed: int = 16) -> Iterator[tuple[str, bytes]]:
    """``count`` (machine, ``journalctl -o json`` line) pairs, in time order."""
    rng = random.Random(seed)
    machines = [f"ct-{n:02d}" for n in range(LOG_MACHINES)]
    seqnum_ids = {m: f"{rng.getrandbits(128):032x}" for m in machines}
    boots = {m: [f"{rng.getrandbits(128):032x}" for _ in range(2)] for m in machines}
    seqnums = dict.fromkeys(machines, 1000)
    start = 1_700_000_000_000_000
    for i in range(count):
        machine = machines[rng.randrange(LOG_MACHINES)]
        unit, ident, priority, text = TEMPLATES[rng.randrange(len(TEMPLATES))]
        boot = boots[machine][i * 2 // count]  # the second boot for the last half
        seqnums[machine] += 1
        ts = start + i * 997
        cursor = (
            f"s={seqnum_ids[machine]};i={seqnums[machine]:x};b={boot};"
            f"m={ts - start + 5_000_000:x};t={ts:x};x={rng.getrandbits(64):x}"
        )
        record = {
            "__CURSOR": cursor,
            "__REALTIME_TIMESTAMP": str(ts),
            "PRIORITY": str(priority if i % 13 else 3),
            "_SYSTEMD_UNIT": unit,
            "SYSLOG_IDENTIFIER": ident,
            "_PID": str(
                100 + zlib.crc32(ident.encode()) % 50 + i * 4 // count
            ),  # a restart a quarter
            "_BOOT_ID": boot,
            "MESSAGE": text.format(**_fields(rng)),
        }
        yield machine, json.dumps(record, separators=(",", ":")).encode()


async def _child() -> dict[str, float]:
    from nspawn_tui.app import NspawnApp
    from nspawn_tui.host.demo.host import DemoHost
    from nspawn_tui.journal.records import LogRecord, parse_record
    from nspawn_tui.journal.store import LogStore
    from nspawn_tui.screens.dashboard import DashboardScreen

    before = rss_mb()
    app = NspawnApp(DemoHost(machines=MACHINES), interval=0.25)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(400):
            await pilot.pause(0.02)
            screen = app.screen
            if isinstance(screen, DashboardScreen) and screen.polls >= 3:
                break
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        assert screen.snapshot is not None and len(screen.snapshot.machines) == MACHINES
        gc.collect()
        rss_app = rss_mb()
        store = LogStore(scrollback=LINES)
        message_bytes = 0
        batch: list[LogRecord] = []
        for machine, line in journal_lines(LINES):
            record = parse_record(line, machine)
            assert record is not None
            message_bytes += len(record.message.encode())
            batch.append(record)
            if len(batch) == BATCH:
                store.add(batch)
                batch = []
        store.add(batch)
        del batch
        assert store.total == LINES
        gc.collect()
        rss_all = rss_mb()
    return {
        "rss_start": before,
        "rss_app": rss_app,
        "rss_all": rss_all,
        "message_bytes": message_bytes / LINES,
    }


def run() -> dict[str, float]:
    env = dict(os.environ, TEXTUAL_ANIMATIONS="none")
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env=env,
    )
    if result.returncode != 0:
        raise RuntimeError(f"memory benchmark child failed: {result.stderr.strip()[-2000:]}")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    per_line = (figures["rss_all"] - figures["rss_app"]) * 1e6 / LINES
    print_table(
        f"resident memory, {MACHINES:,} machines + {LINES:,} log lines",
        [
            ("interpreter + imports", f"{figures['rss_start']:.1f} MB"),
            (f"app running with {MACHINES:,} machines", f"{figures['rss_app']:.1f} MB"),
            (f"+ {LINES:,} journal lines in a LogStore", f"{figures['rss_all']:.1f} MB"),
            ("RSS per held line", f"{per_line:.0f} B"),
            ("its message alone (UTF-8)", f"{figures['message_bytes']:.1f} B"),
        ],
    )
    return {
        "rss_mb_1000": round(figures["rss_all"], 1),
        "bytes_per_held_line": round(per_line),
        "message_utf8_bytes_per_line": round(figures["message_bytes"], 1),
    }


if __name__ == "__main__":
    if sys.argv[1:] == ["--child"]:
        print(json.dumps(asyncio.run(_child())))
    else:
        print(json.dumps(run()))
