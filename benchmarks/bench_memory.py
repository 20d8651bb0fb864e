"""Resident memory with 1,000 machines listed and 100,000 log lines held.

A fresh interpreter (so nothing of the other benchmarks counts) runs the real
app headless (Textual's ``run_test``, 120x40) on a demo host with 1,000
machines, waits for three polls so the table holds every row and history
has started, and fills a :class:`~nspawn_tui.journal.store.LogStore`
(scrollback 100,000) with 100,000 :class:`~nspawn_tui.journal.records.LogRecord`
values made by the real parser (``parse_record``) from ``journalctl -o json``
lines: distinct messages of about 80 characters, journal cursors, and the
units, identifiers, pids and boot ids the parser interns. RSS is VmRSS of
that process, in MB (10^6 bytes).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT, print_table, rss_mb

MACHINES = 1000
LINES = 100_000


def _records(count: int) -> list[object]:
    """Records as the log view gets them: ``journalctl -o json`` lines through the real parser."""
    from nspawn_tui.journal.records import parse_record

    units = ["nginx.service", "postgresql.service", "sshd.service", "cron.service", "app.service"]
    boot = "3f1c2a9d8e7b4c6a9d0e1f2a3b4c5d6e"
    start = 1_700_000_000_000_000
    out: list[object] = []
    for i in range(count):
        unit = units[i % len(units)]
        line = json.dumps(
            {
                "__CURSOR": f"s=9a8b7c6d5e4f40312a1b2c3d4e5f6a7b;i={i:x};b={boot};"
                f"m={i * 13:x};t={start + i * 1000:x};x={i * 7919:016x}",
                "__REALTIME_TIMESTAMP": str(start + i * 1000),
                "PRIORITY": "6" if i % 17 else "3",
                "_SYSTEMD_UNIT": unit,
                "SYSLOG_IDENTIFIER": unit.removesuffix(".service"),
                "_PID": str(1000 + i % 300),
                "_BOOT_ID": boot,
                "MESSAGE": f"request {i} handled in {i % 97} ms from 10.0.{i % 255}.{i % 7} "
                f"status=200 bytes={i * 7 % 65536}",
            }
        ).encode()
        record = parse_record(line, f"ct-{i % 50:04d}")
        assert record is not None
        out.append(record)
    return out


async def _child() -> dict[str, float]:
    from nspawn_tui.app import NspawnApp
    from nspawn_tui.host.demo.host import DemoHost
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
        rss_app = rss_mb()
        store = LogStore(scrollback=LINES)
        store.add(_records(LINES))  # type: ignore[arg-type]
        assert len(store.records) == LINES
        rss_all = rss_mb()
    return {"rss_start": before, "rss_app": rss_app, "rss_all": rss_all}


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
    print_table(
        f"resident memory, {MACHINES:,} machines + {LINES:,} log lines",
        [
            ("interpreter + imports", f"{figures['rss_start']:.1f} MB"),
            (f"app running with {MACHINES:,} machines", f"{figures['rss_app']:.1f} MB"),
            (f"+ {LINES:,} LogRecords in a LogStore", f"{figures['rss_all']:.1f} MB"),
        ],
    )
    return {"rss_mb_1000": round(figures["rss_all"], 1)}


if __name__ == "__main__":
    if sys.argv[1:] == ["--child"]:
        print(json.dumps(asyncio.run(_child())))
    else:
        print(json.dumps(run()))
