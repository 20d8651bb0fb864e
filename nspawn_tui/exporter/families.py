"""The metric families of one sweep: a :class:`Snapshot` as Prometheus metrics.

:class:`SnapshotCollector` is a prometheus-client collector over the latest
:class:`Sweep` (an immutable record swapped in whole by the sweep loop): a
scrape formats that record and does nothing else, whatever the scrape rate.

Every machine series has the labels ``host`` (the host's label: ``local``
for this machine, the SSH target's name in a fleet) and ``machine`` (its
plain name; a fleet's ``HOST/NAME`` is split).  Label values come from
containers and hosts: each passes :func:`nspawn_tui.safe.clean` first (no
control character, newline or bidi override reaches the exposition; quotes
and backslashes are escaped by prometheus-client).  A figure that is not
available is left out, never written as 0; limits that mean "no limit" are
left out too.  The machines of a host that is down are left out (its
``nspawn_host_up`` is 0).

| metric | type | labels | meaning |
| --- | --- | --- | --- |
| `nspawn_machine_cpu_seconds_total` | counter | host, machine | CPU time used by the machine's cgroup |
| `nspawn_machine_memory_bytes` | gauge | host, machine | memory in use now |
| `nspawn_machine_memory_max_bytes` | gauge | host, machine | memory limit (MemoryMax); absent when unlimited |
| `nspawn_machine_memory_high_bytes` | gauge | host, machine | memory throttle limit (MemoryHigh); absent when unlimited |
| `nspawn_machine_memory_peak_bytes` | gauge | host, machine | highest memory use seen |
| `nspawn_machine_tasks` | gauge | host, machine | tasks (processes and threads) |
| `nspawn_machine_tasks_max` | gauge | host, machine | task limit (TasksMax); absent when unlimited |
| `nspawn_machine_oom_kills_total` | counter | host, machine | processes killed by the OOM killer |
| `nspawn_machine_io_read_bytes_total` | counter | host, machine | bytes read from block devices |
| `nspawn_machine_io_write_bytes_total` | counter | host, machine | bytes written to block devices |
| `nspawn_machine_network_receive_bytes_per_second` | gauge | host, machine | bytes received per second, as the container sees it |
| `nspawn_machine_network_transmit_bytes_per_second` | gauge | host, machine | bytes sent per second, as the container sees it |
| `nspawn_machine_state` | gauge | host, machine, state | 1 for its state (running, opening, closing, stopped); stopped images too |
| `nspawn_machine_info` | gauge | host, machine, os, class, unit | 1, with its OS (PRETTY_NAME), class (container, vm) and unit |
| `nspawn_host_up` | gauge | host | 1 when the host answered its last sweep, else 0 |
| `nspawn_host_cpu_ratio` | gauge | host | the host's CPU use, 0..1 of all its CPUs |
| `nspawn_host_cpus` | gauge | host | the host's CPU count |
| `nspawn_host_memory_used_bytes` | gauge | host | the host's memory in use |
| `nspawn_host_memory_total_bytes` | gauge | host | the host's memory |
| `nspawn_exporter_last_sweep_timestamp_seconds` | gauge | | when the last sweep ended (Unix time) |
| `nspawn_exporter_sweep_duration_seconds` | gauge | | how long the last sweep took |
| `nspawn_exporter_sweeps_total` | counter | | sweeps made |
| `nspawn_exporter_sweep_errors_total` | counter | | sweeps that failed (the host raised an error) |

Only these families are served: the exporter has its own registry, without
prometheus-client's default process, platform and GC collectors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from nspawn_tui.fleet.names import split
from nspawn_tui.host.base import UNLIMITED, HostStats, Machine, Sample, Snapshot
from nspawn_tui.safe import clean

MACHINE_LABELS = ("host", "machine")
HOST_LABELS = ("host",)


@dataclass(frozen=True, slots=True)
class Sweep:
    """What the latest sweep left for scrapes: never changed, only replaced whole."""

    snapshot: Snapshot | None  # None before the first sweep, or after a failed one
    label: str  # the host's label when the snapshot is of one host ("local")
    finished_at: float | None = None  # time.time() at its end
    duration_s: float | None = None
    sweeps: int = 0
    errors: int = 0
    #: Hosts known from earlier sweeps (marked down when a sweep fails).
    known_hosts: tuple[str, ...] = field(default=())


#: (name, help, type, figure of a Sample); limits are handled by ``_limit``.
_Figure = Callable[[Sample], float | int | None]


def _limit(value: int | None) -> int | None:
    return None if value is None or value >= UNLIMITED else value


def _cpu_seconds(s: Sample) -> float | None:
    return None if s.cpu_usage_usec is None else s.cpu_usage_usec / 1e6


MACHINE_FIGURES: tuple[tuple[str, str, str, _Figure], ...] = (
    ("nspawn_machine_cpu_seconds_total", "CPU time used by the machine.", "counter", _cpu_seconds),
    ("nspawn_machine_memory_bytes", "Memory in use by the machine.", "gauge",
     lambda s: s.memory_current),
    ("nspawn_machine_memory_max_bytes", "Memory limit of the machine (absent: none).", "gauge",
     lambda s: _limit(s.memory_max)),
    ("nspawn_machine_memory_high_bytes", "Memory throttle limit (absent: none).", "gauge",
     lambda s: _limit(s.memory_high)),
    ("nspawn_machine_memory_peak_bytes", "Highest memory use seen.", "gauge",
     lambda s: s.memory_peak),
    ("nspawn_machine_tasks", "Tasks (processes and threads) of the machine.", "gauge",
     lambda s: s.tasks_current),
    ("nspawn_machine_tasks_max", "Task limit of the machine (absent: none).", "gauge",
     lambda s: _limit(s.tasks_max)),
    ("nspawn_machine_oom_kills_total", "Processes killed by the OOM killer.", "counter",
     lambda s: s.oom_kills),
    ("nspawn_machine_io_read_bytes_total", "Bytes read from block devices.", "counter",
     lambda s: s.io_read_bytes),
    ("nspawn_machine_io_write_bytes_total", "Bytes written to block devices.", "counter",
     lambda s: s.io_write_bytes),
    ("nspawn_machine_network_receive_bytes_per_second",
     "Bytes received per second (as the container sees it).", "gauge",
     lambda s: s.net_rx_bps),
    ("nspawn_machine_network_transmit_bytes_per_second",
     "Bytes sent per second (as the container sees it).", "gauge",
     lambda s: s.net_tx_bps),
)  # fmt: skip


def _family(
    name: str, help_text: str, kind: str, labels: tuple[str, ...]
) -> CounterMetricFamily | GaugeMetricFamily:
    if kind == "counter":
        return CounterMetricFamily(name, help_text, labels=labels)
    return GaugeMetricFamily(name, help_text, labels=labels)


@dataclass(frozen=True, slots=True)
class HostView:
    """One host of a sweep: its label, whether it answered, its figures."""

    label: str
    up: bool
    stats: HostStats | None


def hosts_of(sweep: Sweep) -> tuple[HostView, ...]:
    """The hosts of a sweep: a fleet's :class:`HostStatus` list, or the one host."""
    snapshot = sweep.snapshot
    if snapshot is None:
        return tuple(HostView(label, False, None) for label in sweep.known_hosts)
    if snapshot.hosts:
        return tuple(HostView(h.label, h.connected, h.stats) for h in snapshot.hosts)
    return (HostView(sweep.label, snapshot.connected, snapshot.stats),)


def machine_labels(machine: Machine, default_host: str) -> tuple[str, str]:
    """(host, machine) label values: a fleet name ``HOST/NAME`` split, both cleaned."""
    host, name = split(machine.name)
    return clean(host or machine.host or default_host), clean(name)


def collect(sweep: Sweep) -> Iterator[Metric]:
    """Every metric family of ``sweep`` (see the module docstring)."""
    hosts = hosts_of(sweep)
    yield from _host_families(hosts)
    if sweep.snapshot is not None:
        down = {clean(h.label) for h in hosts if not h.up}
        yield from _machine_families(sweep.snapshot, sweep.label, down)
    yield from _exporter_families(sweep)


def _host_families(hosts: tuple[HostView, ...]) -> Iterator[Metric]:
    up = GaugeMetricFamily(
        "nspawn_host_up", "1 if the host answered its last sweep, else 0.", labels=HOST_LABELS
    )
    cpu = GaugeMetricFamily(
        "nspawn_host_cpu_ratio", "CPU use of the host, 0..1 of all its CPUs.", labels=HOST_LABELS
    )
    cpus = GaugeMetricFamily("nspawn_host_cpus", "CPUs of the host.", labels=HOST_LABELS)
    used = GaugeMetricFamily(
        "nspawn_host_memory_used_bytes", "Memory in use on the host.", labels=HOST_LABELS
    )
    total = GaugeMetricFamily(
        "nspawn_host_memory_total_bytes", "Memory of the host.", labels=HOST_LABELS
    )
    for host in hosts:
        label = [clean(host.label)]
        up.add_metric(label, 1.0 if host.up else 0.0)
        stats = host.stats
        if not host.up or stats is None:
            continue
        if stats.cpu_percent is not None:
            cpu.add_metric(label, stats.cpu_percent / 100.0)
        if stats.cpu_count > 0:
            cpus.add_metric(label, stats.cpu_count)
        if stats.memory_used is not None:
            used.add_metric(label, stats.memory_used)
        if stats.memory_total is not None:
            total.add_metric(label, stats.memory_total)
    yield from (up, cpu, cpus, used, total)


def _machine_families(snapshot: Snapshot, default_host: str, down: set[str]) -> Iterator[Metric]:
    figures = [(_family(n, h, k, MACHINE_LABELS), f) for n, h, k, f in MACHINE_FIGURES]
    state = GaugeMetricFamily(
        "nspawn_machine_state",
        "1 for the machine's state (running, opening, closing, stopped).",
        labels=(*MACHINE_LABELS, "state"),
    )
    info = GaugeMetricFamily(
        "nspawn_machine_info",
        "1, with the machine's OS, class and systemd unit.",
        labels=(*MACHINE_LABELS, "os", "class", "unit"),
    )
    for machine in snapshot.machines:
        labels = machine_labels(machine, default_host)
        if labels[0] in down:
            continue  # a host that is down: its machines' figures would be stale
        state.add_metric([*labels, clean(machine.state)], 1.0)
        info.add_metric(
            [*labels, clean(machine.os), clean(machine.machine_class), clean(machine.unit)], 1.0
        )
        sample = snapshot.samples.get(machine.name)
        if sample is None:
            continue
        for family, figure in figures:
            value = figure(sample)
            if value is not None:
                family.add_metric(list(labels), value)
    yield state
    yield info
    for family, _ in figures:
        yield family


def _exporter_families(sweep: Sweep) -> Iterator[Metric]:
    if sweep.finished_at is not None:
        yield GaugeMetricFamily(
            "nspawn_exporter_last_sweep_timestamp_seconds",
            "When the last sweep ended (Unix time).",
            value=sweep.finished_at,
        )
    if sweep.duration_s is not None:
        yield GaugeMetricFamily(
            "nspawn_exporter_sweep_duration_seconds",
            "How long the last sweep took.",
            value=sweep.duration_s,
        )
    yield CounterMetricFamily("nspawn_exporter_sweeps_total", "Sweeps made.", value=sweep.sweeps)
    yield CounterMetricFamily(
        "nspawn_exporter_sweep_errors_total", "Sweeps that failed.", value=sweep.errors
    )


class SnapshotCollector:
    """A prometheus-client collector over the latest :class:`Sweep`.

    :attr:`sweep` is replaced whole by the sweep loop (one reference
    assignment, atomic); a scrape, in the HTTP server's thread, reads it once
    and formats it.  It never calls the Host.  The families of a sweep are
    built at its first scrape and kept for the next ones (a third of a
    scrape's time at 1,000 machines; the rest is prometheus-client's
    formatting).
    """

    def __init__(self, sweep: Sweep) -> None:
        self.sweep = sweep
        self.collections = 0  # scrapes served (for tests and curiosity)
        self._built: tuple[Sweep, tuple[Metric, ...]] | None = None

    def collect(self) -> Iterator[Metric]:
        sweep = self.sweep  # one read: a scrape sees one sweep, whole
        self.collections += 1
        built = self._built
        if built is None or built[0] is not sweep:
            built = (sweep, tuple(collect(sweep)))
            self._built = built  # one assignment: a concurrent scrape sees old or new
        return iter(built[1])

    def describe(self) -> list[Metric]:
        """Nothing: the registry must not call :meth:`collect` when registering."""
        return []
