"""Metric families from hand-built snapshots, read back through prometheus-client's parsers."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics,
)
from prometheus_client.parser import text_string_to_metric_families

from nspawn_tui.exporter.families import SnapshotCollector, Sweep
from nspawn_tui.host.base import UNLIMITED, HostStats, HostStatus, Machine, Sample, Snapshot
from nspawn_tui.safe import clean

MiB = 1024 * 1024
STATS = HostStats("vm", 4, 25.0, 8192 * MiB, 2048 * MiB)

Series = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def series(text: str) -> Series:
    """Every sample of an exposition as {(name, sorted labels): value}."""
    found: Series = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            assert key not in found, f"duplicate series {key}"
            found[key] = sample.value
    return found


def exposition(sweep: Sweep) -> str:
    registry = CollectorRegistry()
    registry.register(SnapshotCollector(sweep))
    return generate_latest(registry).decode("utf-8")


def value(found: Series, name: str, **labels: str) -> float | None:
    return found.get((name, tuple(sorted(labels.items()))))


def names_of(found: Series, name: str) -> set[str]:
    return {dict(labels).get("machine", "") for n, labels in found if n == name}


def full_sample() -> Sample:
    return Sample(
        timestamp=1.0,
        cpu_usage_usec=12_500_000,
        cpu_percent=3.0,
        memory_current=17 * MiB,
        memory_max=512 * MiB,
        memory_high=UNLIMITED,
        memory_peak=20 * MiB,
        oom_kills=2,
        tasks_current=9,
        tasks_max=UNLIMITED,
        io_read_bytes=4096,
        io_write_bytes=8192,
        net_rx_bps=100.5,
        net_tx_bps=50.0,
    )


def one_host() -> Sweep:
    machines = (
        Machine("alpha", os="Debian GNU/Linux 12 (bookworm)", unit="systemd-nspawn@alpha.service"),
        Machine("bare"),
        Machine("image", state="stopped", image_type="directory"),
    )
    samples = {"alpha": full_sample(), "bare": Sample(timestamp=1.0)}
    snapshot = Snapshot(machines, samples, STATS)
    return Sweep(snapshot, "local", finished_at=1_700_000_000.5, duration_s=0.25, sweeps=3)


def test_one_host_figures_in_base_units() -> None:
    found = series(exposition(one_host()))
    alpha = {"host": "local", "machine": "alpha"}
    assert value(found, "nspawn_machine_cpu_seconds_total", **alpha) == 12.5
    assert value(found, "nspawn_machine_memory_bytes", **alpha) == 17 * MiB
    assert value(found, "nspawn_machine_memory_max_bytes", **alpha) == 512 * MiB
    assert value(found, "nspawn_machine_memory_peak_bytes", **alpha) == 20 * MiB
    assert value(found, "nspawn_machine_tasks", **alpha) == 9
    assert value(found, "nspawn_machine_oom_kills_total", **alpha) == 2
    assert value(found, "nspawn_machine_io_read_bytes_total", **alpha) == 4096
    assert value(found, "nspawn_machine_io_write_bytes_total", **alpha) == 8192
    assert value(found, "nspawn_machine_network_receive_bytes_per_second", **alpha) == 100.5
    assert value(found, "nspawn_machine_network_transmit_bytes_per_second", **alpha) == 50.0
    assert value(found, "nspawn_host_up", host="local") == 1
    assert value(found, "nspawn_host_cpu_ratio", host="local") == 0.25
    assert value(found, "nspawn_host_cpus", host="local") == 4
    assert value(found, "nspawn_host_memory_used_bytes", host="local") == 2048 * MiB
    assert value(found, "nspawn_host_memory_total_bytes", host="local") == 8192 * MiB
    assert value(found, "nspawn_exporter_last_sweep_timestamp_seconds") == 1_700_000_000.5
    assert value(found, "nspawn_exporter_sweep_duration_seconds") == 0.25
    assert value(found, "nspawn_exporter_sweeps_total") == 3
    assert value(found, "nspawn_exporter_sweep_errors_total") == 0


def test_state_and_info_one_series_per_machine_including_stopped_images() -> None:
    found = series(exposition(one_host()))
    states = {
        (dict(labels)["machine"], dict(labels)["state"]): v
        for name, labels in found
        if name == "nspawn_machine_state"
        for v in [found[(name, labels)]]
    }
    assert states == {("alpha", "running"): 1, ("bare", "running"): 1, ("image", "stopped"): 1}
    info = value(
        found,
        "nspawn_machine_info",
        host="local",
        machine="alpha",
        os="Debian GNU/Linux 12 (bookworm)",
        unit="systemd-nspawn@alpha.service",
        **{"class": "container"},
    )
    assert info == 1
    assert names_of(found, "nspawn_machine_info") == {"alpha", "bare", "image"}


def test_unavailable_figures_and_no_limit_are_left_out_never_zero() -> None:
    found = series(exposition(one_host()))
    # "bare" has a Sample with every figure None; "image" is stopped (no Sample).
    for name in (
        "nspawn_machine_cpu_seconds_total",
        "nspawn_machine_memory_bytes",
        "nspawn_machine_tasks",
        "nspawn_machine_io_read_bytes_total",
        "nspawn_machine_network_receive_bytes_per_second",
    ):
        assert names_of(found, name) == {"alpha"}, name
    # UNLIMITED limits are absent, a real limit is present
    assert names_of(found, "nspawn_machine_memory_high_bytes") == set()
    assert names_of(found, "nspawn_machine_tasks_max") == set()
    assert names_of(found, "nspawn_machine_memory_max_bytes") == {"alpha"}
    assert 0.0 not in {v for (n, _), v in found.items() if n.startswith("nspawn_machine_memory")}


def test_host_figures_unknown_are_left_out() -> None:
    stats = HostStats("vm", 0, None, None, None)
    sweep = Sweep(Snapshot((), {}, stats), "local")
    found = series(exposition(sweep))
    assert value(found, "nspawn_host_up", host="local") == 1
    host_names = {n for n, _ in found if n.startswith("nspawn_host_")}
    assert host_names == {"nspawn_host_up"}
    assert "nspawn_exporter_last_sweep_timestamp_seconds" not in {n for n, _ in found}


def test_one_host_down_is_up_zero_and_its_stale_machines_are_left_out() -> None:
    snapshot = Snapshot((Machine("alpha"),), {"alpha": full_sample()}, STATS, connected=False)
    found = series(exposition(Sweep(snapshot, "local")))
    assert value(found, "nspawn_host_up", host="local") == 0
    assert not [n for n, _ in found if n.startswith("nspawn_machine_")]
    assert "nspawn_host_memory_used_bytes" not in {n for n, _ in found}


def test_failed_sweep_marks_the_known_hosts_down() -> None:
    sweep = Sweep(None, "local", errors=1, sweeps=2, known_hosts=("web1", "web2"))
    found = series(exposition(sweep))
    assert value(found, "nspawn_host_up", host="web1") == 0
    assert value(found, "nspawn_host_up", host="web2") == 0
    assert value(found, "nspawn_exporter_sweep_errors_total") == 1


def fleet() -> Sweep:
    machines = (
        Machine("web1/db", host="web1", unit="systemd-nspawn@db.service"),
        Machine("web1/cache", host="web1", state="stopped"),
        Machine("web2/db", host="web2"),
        Machine("local/db", host="local"),
    )
    samples = {
        "web1/db": Sample(timestamp=1.0, memory_current=5 * MiB),
        "web2/db": Sample(timestamp=1.0, memory_current=6 * MiB),
        "local/db": Sample(timestamp=1.0, memory_current=7 * MiB),
    }
    hosts = (
        HostStatus("web1", "machined on ssh web1", True, stats=STATS),
        HostStatus("web2", "machined on ssh web2", False, error="Connection refused"),
        HostStatus("local", "machined", True, stats=None),
    )
    snapshot = Snapshot(machines, samples, STATS, hosts=hosts)
    return Sweep(snapshot, "fleet")


def test_fleet_names_are_split_into_host_and_machine_labels() -> None:
    found = series(exposition(fleet()))
    assert value(found, "nspawn_machine_memory_bytes", host="web1", machine="db") == 5 * MiB
    assert value(found, "nspawn_machine_memory_bytes", host="local", machine="db") == 7 * MiB
    stopped = value(found, "nspawn_machine_state", host="web1", machine="cache", state="stopped")
    assert stopped == 1
    assert not [labels for _, labels in found if ("machine", "web1/db") in labels]


def test_fleet_host_up_per_host_and_down_hosts_machines_left_out() -> None:
    found = series(exposition(fleet()))
    assert value(found, "nspawn_host_up", host="web1") == 1
    assert value(found, "nspawn_host_up", host="web2") == 0
    assert value(found, "nspawn_host_up", host="local") == 1
    assert value(found, "nspawn_host_cpu_ratio", host="web1") == 0.25
    assert ("nspawn_host_cpu_ratio", (("host", "local"),)) not in found  # no stats yet
    assert not [labels for _, labels in found if ("host", "web2") in labels and len(labels) > 1]
    assert ("nspawn_host_up", (("host", "fleet"),)) not in found


HOSTILE = 'evil"} 1\nnspawn_host_up{host="x"} 0 \\ \x1b[31mred\u202e'


def hostile_sweep() -> Sweep:
    machine = Machine(HOSTILE, os=HOSTILE, unit=f"systemd-nspawn@{HOSTILE}.service")
    snapshot = Snapshot((machine,), {HOSTILE: Sample(timestamp=1.0, tasks_current=3)}, STATS)
    return Sweep(snapshot, "local")


def test_hostile_names_are_cleaned_and_escaped_in_the_text_format() -> None:
    text = exposition(hostile_sweep())
    assert "\x1b" not in text and "\u202e" not in text
    found = series(text)
    # the injected line did not become a series of its own
    assert value(found, "nspawn_host_up", host="x") is None
    assert value(found, "nspawn_machine_tasks", host="local", machine=clean(HOSTILE)) == 3
    (info,) = [dict(labels) for n, labels in found if n == "nspawn_machine_info"]
    assert info["os"] == clean(HOSTILE)
    assert "^[[31m" in info["machine"] and "\n" not in info["machine"]
    assert info["machine"].count("\\") == 1 and info["machine"].count('"') == 3


def test_hostile_names_survive_openmetrics_too() -> None:
    registry = CollectorRegistry()
    registry.register(SnapshotCollector(hostile_sweep()))
    text = generate_openmetrics(registry).decode("utf-8")
    assert text.endswith("# EOF\n") and "\x1b" not in text
    tasks = {
        sample.labels["machine"]: sample.value
        for family in parse_openmetrics(text)
        if family.name == "nspawn_machine_tasks"
        for sample in family.samples
    }
    assert tasks == {clean(HOSTILE): 3}


def test_collector_reads_one_sweep_and_counts_collections() -> None:
    collector = SnapshotCollector(one_host())
    registry = CollectorRegistry()
    registry.register(collector)
    assert collector.collections == 0  # registering does not collect
    generate_latest(registry)
    collector.sweep = fleet()
    after = series(generate_latest(registry).decode("utf-8"))
    assert collector.collections == 2
    assert value(after, "nspawn_host_up", host="web2") == 0
    assert value(after, "nspawn_machine_tasks", host="local", machine="alpha") is None


def test_families_are_built_once_per_sweep() -> None:
    collector = SnapshotCollector(one_host())
    first, again = list(collector.collect()), list(collector.collect())
    assert first and all(a is b for a, b in zip(first, again, strict=True))
    collector.sweep = one_host()  # equal, but a new sweep: built anew
    fresh = list(collector.collect())
    assert not any(a is b for a, b in zip(first, fresh, strict=True))
    assert [m.name for m in fresh] == [m.name for m in first]
