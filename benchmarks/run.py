"""``make bench``: every benchmark, a readable table, and as the LAST line one JSON object.

Benchmarks (each module has ``run() -> dict[str, float]`` and prints its own table):

- bench_journal (journal view) and bench_relay (shell relay): run first, in this
  fresh process, because the journal one reports this process's RSS;
- bench_sweep: metrics sweep vs the open/read/close floor;
- bench_net_sweep: network sweep on real veth links vs ``ip -s -j link`` (root);
- bench_dashboard: the installed app in tmux, htop in the same run;
- bench_startup: first paint with 100 machines;
- bench_memory: RSS with 1,000 machines and 100k log lines (own process);
- bench_fleet: 3 hosts x 50 machines at 1 Hz over a loopback sshd vs one local host (root).

A benchmark that is missing or raises is reported and skipped; the others run.
``BENCH_ONLY=sweep,startup`` (``make bench ONLY=sweep,startup``) runs a subset. See benchmarks/README.md.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

ORDER = ("journal", "relay", "sweep", "net_sweep", "dashboard", "startup", "memory", "fleet")

#: figure -> (target, "max" when lower is better / "min" when higher is better)
TARGETS: dict[str, tuple[float, str]] = {
    "dashboard_cpu_percent": (0.5, "max"),
    "dashboard_over_textual_cpu_percent": (0.1, "max"),  # above Textual's own floor, same run
    "bytes_per_changed_value": (40.0, "max"),
    "sweep_ms_1000": (10.0, "max"),
    "net_sweep_ip_ratio_1000": (1.0, "max"),  # the network sweep vs `ip -s -j link`
    "first_paint_s": (0.3, "max"),
    "first_paint_floor_ratio": (1.5, "max"),  # over a bare Textual app, same run
    "rss_mb_1000": (120.0, "max"),
    "bytes_per_held_line": (300.0, "max"),
    "journal_lines_per_s": (50_000, "min"),
    "journal_key_latency_p95_ms": (100.0, "max"),
    "relay_added_latency_ms": (2.0, "max"),
}


def _derived(figures: dict[str, float]) -> dict[str, float]:
    """Ratios measured in the same run."""
    out: dict[str, float] = {}
    for n in (10, 100, 1000):
        sweep, floor = (
            figures.get(f"sweep_us_per_container_{n}"),
            figures.get(f"floor_us_per_container_{n}"),
        )
        if sweep and floor:
            out[f"sweep_floor_ratio_{n}"] = round(sweep / floor, 3)
    relay, raw = figures.get("relay_mb_per_s"), figures.get("relay_raw_mb_per_s")
    if relay and raw:
        out["relay_raw_ratio"] = round(relay / raw, 3)
    cpu, htop_cpu = figures.get("dashboard_cpu_percent"), figures.get("htop_cpu_percent")
    if cpu is not None and htop_cpu:
        out["dashboard_htop_cpu_ratio"] = round(cpu / htop_cpu, 2)
    sent, htop_sent = figures.get("dashboard_bytes_per_s"), figures.get("htop_bytes_per_s")
    if sent is not None and htop_sent:
        out["dashboard_htop_bytes_ratio"] = round(sent / htop_sent, 2)
    fleet_cpu, local_cpu = figures.get("fleet_cpu_percent"), figures.get("fleet_local_cpu_percent")
    if fleet_cpu is not None and local_cpu:
        out["fleet_local_cpu_ratio"] = round(fleet_cpu / local_cpu, 2)  # 3 ssh hosts vs 1 local
    fleet_p50 = figures.get("fleet_latency_p50_ms")
    local_p50 = figures.get("fleet_local_latency_p50_ms")
    if fleet_p50 is not None and local_p50:
        out["fleet_local_latency_ratio"] = round(fleet_p50 / local_p50, 2)
    return out


def _verdicts(figures: dict[str, float]) -> list[tuple[str, str]]:
    rows = []
    checks = dict(TARGETS)
    if "sweep_floor_ratio_1000" in figures:
        checks["sweep_floor_ratio_1000"] = (1.5, "max")
    if "relay_raw_ratio" in figures:
        checks["relay_raw_ratio"] = (0.8, "min")
    for name, (target, kind) in checks.items():
        value = figures.get(name)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            rows.append((name, "not measured"))
            continue
        ok = value <= target if kind == "max" else value >= target
        sign = "<=" if kind == "max" else ">="
        rows.append(
            (
                name,
                f"{value:g}  (target {sign} {target:g})  {'ok' if ok else 'ABOVE TARGET' if kind == 'max' else 'BELOW TARGET'}",
            )
        )
    floor = figures.get("textual_repaint_cpu_percent")
    if floor is not None and "dashboard_cpu_percent" in figures:
        rows.append(
            (
                "  Textual's own floor",
                f"{floor:g} % for the same changed lines with no data, "
                f"{figures.get('textual_idle_cpu_percent', float('nan')):g} % idle; "
                f"nspawn-tui above it: {figures.get('dashboard_over_textual_cpu_percent', float('nan')):g} %",
            )
        )
    if "fleet_cpu_percent" in figures:
        rows.append(
            (
                "  fleet (no target)",
                f"3 ssh hosts x 50: {figures['fleet_cpu_percent']:g} % CPU, "
                f"{figures.get('fleet_ssh_bytes_per_s_per_host', float('nan')):g} B/s per host, "
                f"p50 {figures.get('fleet_latency_p50_ms', float('nan')):g} ms; one local host: "
                f"{figures.get('fleet_local_cpu_percent', float('nan')):g} %, "
                f"p50 {figures.get('fleet_local_latency_p50_ms', float('nan')):g} ms",
            )
        )
    return rows


def main() -> int:
    only = {s.strip() for s in os.environ.get("BENCH_ONLY", "").split(",") if s.strip()}
    unknown = sorted(only - set(ORDER))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; the names are: {', '.join(ORDER)}")
        return 2
    figures: dict[str, float] = {}
    failed: list[str] = []
    started = time.monotonic()
    for name in ORDER:
        if only and name not in only:
            continue
        t0 = time.monotonic()
        try:
            module = importlib.import_module(f"benchmarks.bench_{name}")
        except ImportError as exc:
            print(f"\n== {name}: not available ({exc})", flush=True)
            failed.append(name)
            continue
        try:
            result = module.run()
        except Exception:  # noqa: BLE001 - one failing benchmark must not stop the others
            print(f"\n== {name}: FAILED", flush=True)
            traceback.print_exc(file=sys.stdout)
            failed.append(name)
            continue
        figures.update({key: float(value) for key, value in result.items()})
        print(f"   ({name}: {time.monotonic() - t0:.1f} s)", flush=True)
    figures.update(_derived(figures))
    print("\n== figures vs targets")
    width = max(len(n) for n, _ in _verdicts(figures))
    for label, text in _verdicts(figures):
        print(f"  {label:<{width}}  {text}")
    if failed:
        print(f"  skipped or failed: {', '.join(failed)}")
    print(f"  total time {time.monotonic() - started:.0f} s")
    print(json.dumps(figures, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
