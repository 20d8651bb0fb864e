"""``nspawn-tui ps NAME [--json]``: the processes of one machine, for people and scripts.

Two reads ``--interval`` seconds apart (CPU % is measured between them).
The table is in ``machinectl status`` order (cgroup by cgroup), every cell
cleaned and aligned by terminal cells; ``--json`` is a list of objects,
ASCII with escapes, ``null`` where a figure is unavailable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

from nspawn_tui.host.base import Host, HostError
from nspawn_tui.host.processes import ProcessTable
from nspawn_tui.safe import cell_width, clean
from nspawn_tui.view.formatting import UNAVAILABLE, format_bytes, format_percent

HEADER = ("PID", "NSPID", "PPID", "USER", "CPU%", "RSS", "STATE", "STARTED", "CGROUP", "COMMAND")


def add_parser(sub: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        "ps",
        help="the processes of a machine",
        description="The processes of a running machine, cgroup by cgroup, as "
        "machinectl status shows them; CPU %% is measured over --interval seconds.",
    )
    parser.add_argument("name", metavar="NAME")
    parser.add_argument("--json", action="store_true", help="JSON for scripts")
    return parser


async def run(host: Host, args: argparse.Namespace) -> int:
    await host.processes(args.name)  # the first read: CPU % is measured from here
    await asyncio.sleep(max(0.05, float(args.interval)))
    table = await host.processes(args.name)
    if table.error:
        raise HostError(f"processes of {args.name}: {table.error}")
    records = process_records(table)
    if args.json:
        # ensure_ascii: every control, C1 and bidi character is a \u escape, never raw
        print(json.dumps(records, indent=2, ensure_ascii=True))
    else:
        print(format_table(records, table.cgroup))
    sys.stdout.flush()
    return 0


def _full_cgroup(machine_cgroup: str | None, path: str) -> str:
    if machine_cgroup is None:
        return path
    return machine_cgroup.rstrip("/") + ("" if path == "/" else path) or "/"


def process_records(table: ProcessTable) -> list[dict[str, Any]]:
    """One object per process, group by group: ``null`` where a figure is unavailable.

    ``cgroup`` is the full path from the cgroup root; texts are as the host
    gives them (cleaned); JSON escapes the rest.
    """
    records = []
    for group in table.groups:
        cgroup = _full_cgroup(table.cgroup, group.path)
        for p in group.processes:
            records.append(
                {
                    "pid": p.pid,
                    "ns_pid": p.ns_pid,
                    "ppid": p.ppid,
                    "user": p.user or None,
                    "cgroup": cgroup,
                    "cpu_percent": None if p.cpu_percent is None else round(p.cpu_percent, 2),
                    "rss_bytes": p.rss,
                    "state": p.state or None,
                    "started_at": p.started_at,
                    "threads": p.threads,
                    "command": p.command,
                }
            )
    return records


def _started(value: float | None) -> str:
    if value is None:
        return UNAVAILABLE
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(value))


def _text(value: object) -> str:
    return UNAVAILABLE if value is None else clean(str(value))


def format_table(records: list[dict[str, Any]], machine_cgroup: str | None = None) -> str:
    """The table: every cell cleaned, aligned by terminal cells; cgroups below ``machine_cgroup``."""
    rows: list[tuple[str, ...]] = [HEADER]
    prefix = (machine_cgroup or "").rstrip("/")
    for r in records:
        cgroup = str(r["cgroup"])
        rows.append(
            (
                str(r["pid"]),
                _text(r["ns_pid"]),
                _text(r["ppid"]),
                _text(r["user"]),
                format_percent(r["cpu_percent"]),
                format_bytes(r["rss_bytes"]),
                _text(r["state"]),
                _started(r["started_at"]),
                clean(cgroup[len(prefix) :] if prefix and cgroup.startswith(prefix) else cgroup)
                or "/",
                clean(str(r["command"])),
            )
        )
    widths = [max(cell_width(row[i]) for row in rows) for i in range(len(HEADER))]
    return "\n".join(
        "  ".join(
            cell + " " * (widths[i] - cell_width(cell)) for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    )
