"""``nspawn-tui list [--json]``: every machine with its metrics and network, for scripts."""

from __future__ import annotations

from typing import Any

from nspawn_tui.host.base import Snapshot
from nspawn_tui.host.network import Interface, NetworkInfo
from nspawn_tui.safe import cell_width, clean
from nspawn_tui.view.formatting import (
    format_bytes,
    format_duration,
    format_percent,
    format_rate,
    is_unlimited,
)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def interface_record(interface: Interface) -> dict[str, Any]:
    """One interface for ``list --json``: names as the host gives them, null where unknown."""
    counters = interface.counters
    return {
        "name": interface.name,
        "side": interface.side,
        "kind": interface.kind or None,
        "state": interface.state or None,
        "bridge": interface.bridge,
        "mac": interface.mac or None,
        "addresses": list(interface.addresses),
        "rx_bytes_per_s": _round(interface.rx_bps),
        "tx_bytes_per_s": _round(interface.tx_bps),
        "rx_packets_per_s": _round(interface.rx_pps),
        "tx_packets_per_s": _round(interface.tx_pps),
        "counters": None
        if counters is None
        else {
            "rx_bytes": counters.rx_bytes,
            "tx_bytes": counters.tx_bytes,
            "rx_packets": counters.rx_packets,
            "tx_packets": counters.tx_packets,
            "rx_errors": counters.rx_errors,
            "tx_errors": counters.tx_errors,
            "rx_dropped": counters.rx_dropped,
            "tx_dropped": counters.tx_dropped,
        },
    }


def machine_records(
    snapshot: Snapshot,
    now: float,
    networks: dict[str, NetworkInfo] | None = None,
    *,
    host: str | None = None,
) -> list[dict[str, Any]]:
    """The ``list --json`` objects: null where a figure is unavailable.

    Texts are the host's as they are (JSON escapes them).  ``networks``: the
    interfaces of running machines, by name (``interfaces`` is null without).
    ``host``: the label of a single host (a fleet's machines carry their own);
    a machine's ``host`` is null when neither says.
    """
    networks = networks or {}
    records = []
    for machine in snapshot.machines:
        sample = snapshot.samples.get(machine.name)
        memory_max = sample.memory_max if sample else None
        tasks_max = sample.tasks_max if sample else None
        records.append(
            {
                "name": machine.name,
                "host": machine.host or host or None,
                "class": machine.machine_class,
                "state": machine.state,
                "os": machine.os or None,
                "addresses": list(machine.addresses),
                "leader": machine.leader,
                "unit": machine.unit or None,
                "root_directory": machine.root_directory or None,
                "started_at": machine.started_at,
                "uptime_s": round(now - machine.started_at, 3)
                if machine.running and machine.started_at
                else None,
                "cpu_percent": (
                    round(sample.cpu_percent, 2)
                    if sample and sample.cpu_percent is not None
                    else None
                ),
                "memory_bytes": sample.memory_current if sample else None,
                "memory_max_bytes": None if is_unlimited(memory_max) else memory_max,
                "memory_unlimited": is_unlimited(memory_max),
                "memory_peak_bytes": sample.memory_peak if sample else None,
                "oom_kills": sample.oom_kills if sample else None,
                "tasks": sample.tasks_current if sample else None,
                "tasks_max": None if is_unlimited(tasks_max) else tasks_max,
                "io_read_bytes": sample.io_read_bytes if sample else None,
                "io_write_bytes": sample.io_write_bytes if sample else None,
                "net_mode": sample.net_mode if sample else None,
                "net_rx_bytes_per_s": _round(sample.net_rx_bps) if sample else None,
                "net_tx_bytes_per_s": _round(sample.net_tx_bps) if sample else None,
                "interfaces": [interface_record(i) for i in network.interfaces]
                if (network := networks.get(machine.name)) is not None
                and network.mode not in ("host", "unavailable")
                else None,
            }
        )
    return records


def table(records: list[dict[str, Any]]) -> str:
    """The ``list`` table: every cell cleaned, columns aligned by terminal cells.

    A HOST column first when the machines are on more than one host.
    """
    fleet = len({r.get("host") for r in records}) > 1
    header = (
        *(("HOST",) if fleet else ()),
        "NAME",
        "STATE",
        "OS",
        "ADDRESS",
        "CPU%",
        "MEMORY",
        "TASKS",
        "NET RX",
        "NET TX",
        "UPTIME",
    )
    rows = [header]
    for r in records:
        rows.append(
            (
                *((clean(r["host"] or ""),) if fleet else ()),
                clean(r["name"]),
                clean(r["state"]),
                clean(r["os"]) or "—",
                clean(r["addresses"][0]) if r["addresses"] else "",
                format_percent(r["cpu_percent"]) if r["state"] != "stopped" else "",
                format_bytes(r["memory_bytes"]) if r["state"] != "stopped" else "",
                "n/a" if r["tasks"] is None and r["state"] != "stopped" else str(r["tasks"] or ""),
                _net_cell(r, "net_rx_bytes_per_s"),
                _net_cell(r, "net_tx_bytes_per_s"),
                format_duration(r["uptime_s"]),
            )
        )
    widths = [max(cell_width(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            cell + " " * (widths[i] - cell_width(cell)) for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    )


def _net_cell(record: dict[str, Any], key: str) -> str:
    if record["state"] == "stopped":
        return ""
    if record["net_mode"] == "host":
        return "host"
    return format_rate(record[key])
