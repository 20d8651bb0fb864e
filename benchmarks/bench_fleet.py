"""The cost of watching 3 hosts x 50 machines at 1 Hz over ssh, next to one local host.

Needs root (skipped otherwise, or when sshd cannot be installed).  The lab
(:mod:`benchmarks.fleet_lab`): a private bus with real machined and 50
registered machines, and a real sshd on loopback whose sessions reach that
bus.  In this process, one after the other, each for ``BENCH_FLEET_SECONDS``
(30) after a 3 s warm-up, one ``snapshot()`` a second:

- *local*: ``MachinedHost(lab bus)``: the 50 machines, cgroup files read here;
- *fleet*: ``FleetHost`` of three ``remote_host(SshTarget("h1"|"h2"|"h3"))``:
  the same 50 machines seen three times, over three ssh hosts (each host is
  two ssh connections: the bus through ``systemd-stdio-bridge`` and the
  reader ``sh``).

Figures: CPU of this process (user+system time over the period, % of one
core); CPU of the ssh clients (our child processes named ``ssh``) and of the
far side (sshd's descendants: its per-connection sshd, ``sh``, the bridge)
and of the lab's machined + dbus-daemon, all from ``/proc/PID/stat``; bytes
per second per host over ssh from the kernel's TCP counters (``ss -tinpH``:
``bytes_sent`` and ``bytes_received`` of the client sockets to sshd's port,
mapped to a host through the owning ssh's command line: TCP payload, i.e.
ssh's encrypted stream, no TCP/IP headers); refresh latency per host: each
host's own ``snapshot()`` timed here (median and p95 over the hosts'
refreshes), and ``HostStatus.latency_s`` as the fleet reports it.
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import cpu_seconds, print_table
from benchmarks.fleet_lab import ALIASES, PREFIX, FleetLab, FleetLabUnavailable, monitored
from nspawn_tui.host.base import Host, Snapshot

SECONDS = float(os.environ.get("BENCH_FLEET_SECONDS", "30"))
#: ``BENCH_FLEET_MONITOR=1``: count the lab bus's messages during each period (dbus-monitor;
#: it costs dbus-daemon CPU, so the daemons' figure is then not comparable).
MONITOR = os.environ.get("BENCH_FLEET_MONITOR", "") == "1"
WARMUP = 3
_USERS = re.compile(r'users:\(\("([^"]+)",pid=(\d+)')
_COUNTER = re.compile(r"\b(bytes_sent|bytes_received):(\d+)")


@dataclass
class Round:
    """What one measured period gave."""

    seconds: float = 0.0
    app_cpu: float = 0.0  # % of one core
    ssh_cpu: float = 0.0
    far_cpu: float = 0.0
    daemons_cpu: float = 0.0
    per_host_s: dict[str, list[float]] = field(default_factory=dict)  # own timing
    status_s: dict[str, list[float]] = field(default_factory=dict)  # HostStatus.latency_s
    polls_s: list[float] = field(default_factory=list)  # the whole snapshot()
    bytes_out: dict[str, int] = field(default_factory=dict)  # per host, client -> sshd
    bytes_in: dict[str, int] = field(default_factory=dict)
    connections: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, list[int]] = field(default_factory=dict)  # "bus"/"sh" -> [out, in]
    machines: int = 0
    with_cpu: int = 0  # running machines of ours with a CPU % in the last snapshot
    problems: list[str] = field(default_factory=list)
    bus_calls: dict[str, int] = field(default_factory=dict)  # BENCH_FLEET_MONITOR: per member


# ------------------------------------------------------------------ /proc and ss


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, comm) of every process."""
    found: dict[int, tuple[int, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1 : text.rindex(")")]
        found[int(entry.name)] = (int(text[text.rindex(")") + 2 :].split()[1]), comm)
    return found


def _descendants(root: int, table: dict[int, tuple[int, str]]) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, (ppid, _comm) in table.items():
        children.setdefault(ppid, []).append(pid)
    found: set[int] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _cpu_of(pids: set[int]) -> dict[int, float]:
    out: dict[int, float] = {}
    for pid in pids:
        try:
            out[pid] = cpu_seconds(pid)
        except (OSError, ValueError):
            continue  # exited meanwhile
    return out


def _delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds of the processes alive at both ends (a process started meanwhile counts
    from zero)."""
    return sum(after[pid] - before.get(pid, 0.0) for pid in after)


def _host_of(pid: int) -> tuple[str, str]:
    """The alias an ssh client was started for (the word after ``--``) and what it runs
    there: ``bus`` (systemd-stdio-bridge) or ``sh`` (the reader shell)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
    except OSError:
        return "?", "?"
    words = [word.decode(errors="replace") for word in argv]
    if "--" not in words or words.index("--") + 1 >= len(words):
        return "?", "?"
    alias = words[words.index("--") + 1]
    kind = "bus" if "stdio-bridge" in words[-1] else words[-1].strip("'")
    return alias, kind


def ssh_counters(port: int) -> dict[int, tuple[str, str, int, int]]:
    """ssh client pid -> (host, bus|sh, bytes sent, bytes received) of its connection to
    ``port``."""
    argv = ["ss", "-tinpH", "state", "established", "dport", "=", f":{port}"]
    text = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    found: dict[int, tuple[str, str, int, int]] = {}
    owner: int | None = None
    for line in text.splitlines():
        users = _USERS.search(line)
        if users is not None:
            owner = int(users.group(2)) if users.group(1) == "ssh" else None
        counters = dict((k, int(v)) for k, v in _COUNTER.findall(line))
        if owner is not None and counters:
            host, kind = _host_of(owner)
            sent, received = counters.get("bytes_sent", 0), counters.get("bytes_received", 0)
            found[owner] = (host, kind, sent, received)
            owner = None
    return found


# ------------------------------------------------------------------ measuring


def _timed(host: Host, sink: list[float]) -> None:
    """Record every ``snapshot()`` of ``host`` (as the fleet's poller calls it)."""
    original = host.snapshot

    async def snapshot() -> Snapshot:
        start = time.perf_counter()
        try:
            return await original()
        finally:
            sink.append(time.perf_counter() - start)

    setattr(host, "snapshot", snapshot)  # noqa: B010 - an instance attribute over the method


async def _measure(
    host: Host,
    lab: FleetLab,
    per_host: dict[str, list[float]],
    expect: int,
) -> Round:
    daemons = {
        pid
        for pid, (_ppid, comm) in _processes().items()
        if comm in ("dbus-daemon", "systemd-machine") and pid in _tagged()
    }
    await host.connect()
    for _ in range(WARMUP):
        await host.snapshot()
        await asyncio.sleep(1)
    for sink in per_host.values():
        sink.clear()
    result = Round(per_host_s=per_host)
    me = os.getpid()
    sshd = lab.sshd.pid if lab.sshd is not None else -1

    def ours() -> tuple[dict[int, float], dict[int, float], dict[int, float]]:
        table = _processes()
        clients = {p for p, (ppid, comm) in table.items() if ppid == me and comm == "ssh"}
        return _cpu_of(clients), _cpu_of(_descendants(sshd, table)), _cpu_of(daemons)

    monitor = lab.monitor_bus() if MONITOR else None
    counters0 = ssh_counters(lab.port)
    clients0, far0, daemons0 = ours()
    times0, start = os.times(), time.monotonic()
    due = start
    last: Snapshot | None = None
    for _ in range(max(1, round(SECONDS))):
        due += 1.0
        began = time.perf_counter()
        last = await host.snapshot()
        result.polls_s.append(time.perf_counter() - began)
        for status in last.hosts:
            if status.latency_s is not None:
                result.status_s.setdefault(status.label, []).append(status.latency_s)
            if status.error:
                result.problems.append(f"{status.label}: {status.error}")
        await asyncio.sleep(max(0.0, due - time.monotonic()))
    times1, result.seconds = os.times(), time.monotonic() - start
    clients1, far1, daemons1 = ours()
    counters1 = ssh_counters(lab.port)
    if monitor is not None:
        result.bus_calls = monitored(*monitor)
    used = (times1.user - times0.user) + (times1.system - times0.system)
    result.app_cpu = 100 * used / result.seconds
    result.ssh_cpu = 100 * _delta(clients0, clients1) / result.seconds
    result.far_cpu = 100 * _delta(far0, far1) / result.seconds
    result.daemons_cpu = 100 * _delta(daemons0, daemons1) / result.seconds
    for pid, (alias, kind, sent, received) in counters1.items():
        _host0, _kind0, sent0, received0 = counters0.get(pid, (alias, kind, 0, 0))
        if pid not in counters0:
            result.problems.append(f"ssh {pid} ({alias}) connected during the period")
        result.bytes_out[alias] = result.bytes_out.get(alias, 0) + sent - sent0
        result.bytes_in[alias] = result.bytes_in.get(alias, 0) + received - received0
        result.connections[alias] = result.connections.get(alias, 0) + 1
        pair = result.by_kind.setdefault(kind, [0, 0])
        pair[0] += sent - sent0
        pair[1] += received - received0
    assert last is not None
    mine = [m for m in last.machines if m.running and m.name.split("/")[-1].startswith(PREFIX)]
    result.machines = len(mine)
    result.with_cpu = sum(
        1
        for m in mine
        if (sample := last.samples.get(m.name)) is not None and sample.cpu_percent is not None
    )
    if result.machines != expect:
        result.problems.append(f"{result.machines} of {expect} machines listed")
    return result


def _tagged() -> set[int]:
    from labkit import tagged_pids

    return tagged_pids(PREFIX)


async def _run_host(make: Callable[[], Host], lab: FleetLab, expect: int) -> Round:
    host = make()
    per_host: dict[str, list[float]] = {}
    members = getattr(host, "hosts", None)
    for member in members if isinstance(members, list) else [host]:
        _timed(member, per_host.setdefault(member.label, []))
    try:
        return await _measure(host, lab, per_host, expect)
    finally:
        await host.close()


def _local(lab: FleetLab) -> Coroutine[Any, Any, Round]:
    from nspawn_tui.host.machined.host import MachinedHost

    return _run_host(lambda: MachinedHost(lab.bus_address), lab, lab.count)


def _fleet(lab: FleetLab) -> Coroutine[Any, Any, Round]:
    from nspawn_tui.fleet.host import FleetHost
    from nspawn_tui.remote.host import remote_host
    from nspawn_tui.remote.target import SshTarget

    config = str(lab.ssh_config)

    def make() -> Host:
        targets = [SshTarget(host=a, label=a, ssh_config=config) for a in ALIASES]
        return FleetHost([remote_host(target) for target in targets])

    return _run_host(make, lab, lab.count * len(ALIASES))


# ------------------------------------------------------------------ report


def _ms(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if q == 0.5:
        return 1000 * statistics.median(values)
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _figures(name: str, r: Round) -> dict[str, float]:
    pooled = [v for values in r.per_host_s.values() for v in values]
    status = [v for values in r.status_s.values() for v in values]
    out = {
        f"{name}_cpu_percent": round(r.app_cpu, 2),
        f"{name}_latency_p50_ms": round(_ms(pooled, 0.5), 1),
        f"{name}_latency_p95_ms": round(_ms(pooled, 0.95), 1),
        f"{name}_poll_p50_ms": round(_ms(r.polls_s, 0.5), 1),
        f"{name}_daemons_cpu_percent": round(r.daemons_cpu, 2),
    }
    if r.bytes_out:
        hosts = len(r.bytes_out)
        total_out, total_in = sum(r.bytes_out.values()), sum(r.bytes_in.values())
        out[f"{name}_ssh_cpu_percent"] = round(r.ssh_cpu, 2)
        out[f"{name}_remote_cpu_percent"] = round(r.far_cpu, 2)
        out[f"{name}_ssh_bytes_per_s_per_host"] = round((total_out + total_in) / hosts / r.seconds)
        out[f"{name}_ssh_bytes_out_per_s_per_host"] = round(total_out / hosts / r.seconds)
        out[f"{name}_ssh_bytes_in_per_s_per_host"] = round(total_in / hosts / r.seconds)
        for kind, (sent, got) in r.by_kind.items():
            per_s = (sent + got) / hosts / r.seconds
            out[f"{name}_ssh_{kind}_bytes_per_s_per_host"] = round(per_s)
    if status:
        out[f"{name}_status_latency_p50_ms"] = round(_ms(status, 0.5), 1)
    return out


def _rows(title: str, r: Round) -> list[tuple[str, str]]:
    rows = [
        (f"{title}: machines (running, ours)", f"{r.machines}, {r.with_cpu} with a CPU %"),
        (f"{title}: CPU of this process", f"{r.app_cpu:.2f} % of one core over {r.seconds:.0f} s"),
    ]
    if r.bytes_out:
        rows.append((f"{title}: CPU of the ssh clients", f"{r.ssh_cpu:.2f} %"))
        rows.append((f"{title}: CPU of the far side (sshd, sh, bridge)", f"{r.far_cpu:.2f} %"))
        hosts = len(r.bytes_out)
        split = ", ".join(
            f"{kind}: out {sent / hosts / r.seconds:,.0f} B/s in {got / hosts / r.seconds:,.0f} B/s"
            for kind, (sent, got) in r.by_kind.items()
        )
        rows.append((f"{title}: ssh bytes per host by connection", split))
    rows.append((f"{title}: CPU of machined + dbus-daemon", f"{r.daemons_cpu:.2f} %"))
    rows.append((f"{title}: whole snapshot() p50", f"{_ms(r.polls_s, 0.5):.1f} ms"))
    for label, values in r.per_host_s.items():
        status = r.status_s.get(label, [])
        text = f"p50 {_ms(values, 0.5):6.1f} ms  p95 {_ms(values, 0.95):6.1f} ms  ({len(values)})"
        if status:
            text += f"   HostStatus.latency_s p50 {_ms(status, 0.5):.1f} ms"
        if label in r.bytes_out:
            sent, got = r.bytes_out[label] / r.seconds, r.bytes_in[label] / r.seconds
            text += (
                f"   ssh out {sent:,.0f} B/s  in {got:,.0f} B/s "
                f"({r.connections[label]} connections)"
            )
        rows.append((f"{title}: host {label}", text))
    top = sorted(r.bus_calls.items(), key=lambda item: -item[1])[:8]
    if top:
        per_s = ", ".join(f"{key} {count / r.seconds:.0f}/s" for key, count in top)
        rows.append((f"{title}: lab bus (dbus-monitor)", per_s))
    for problem in sorted(set(r.problems))[:5]:
        rows.append((f"{title}: problem", problem))
    return rows


def run() -> dict[str, float]:
    if os.geteuid() != 0:
        print("\n== fleet: skipped (needs root: machined, cgroups and an sshd)")
        return {}
    try:
        lab = FleetLab().start()
    except FleetLabUnavailable as reason:
        print(f"\n== fleet: skipped ({reason})")
        return {}
    try:
        local = asyncio.run(_local(lab))
        fleet = asyncio.run(_fleet(lab))
    finally:
        lab.close()
    figures = _figures("fleet_local", local) | _figures("fleet", fleet)
    rows = _rows("local (1 host)", local) + _rows("fleet (3 hosts over ssh)", fleet)
    print_table(
        f"fleet: {lab.count} machines at 1 Hz, 1 local host vs 3 hosts over ssh "
        "(ssh bytes: TCP payload from ss -tinpH)",
        rows,
    )
    return figures


if __name__ == "__main__":
    import json

    print(json.dumps(run()))
