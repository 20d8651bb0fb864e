"""``nspawn-tui export`` scraped by a real Prometheus (Debian's package), on the flat lab.

The installed ``nspawn-tui export --bus FLAT_BUS --listen 127.0.0.1:0
--interval 1`` serves the flat lab (real machined, booted ``ntl-alpha`` and
``ntl-beta``, the stopped image ``ntl-image``); ``/usr/bin/prometheus``,
started by the test on a free loopback port with its TSDB in ``tmp_path``,
scrapes it every second.  Through Prometheus's HTTP API: ``ntl-alpha``'s
memory is above 0, ``nspawn_host_up`` is 1, ``ntl-image`` is a ``stopped``
series, and CPU seconds are a counter Prometheus can take a rate of.  Both
processes are ended at the end; none is left (checked by the lab tag).

Skips (saying why) without ``/usr/bin/prometheus``: ``make lab-deps``
installs it.  Serialize lab runs with ``flock /tmp/ntl-lab.lock``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import labkit
import pytest
from conftest import FLEET_RUNNING
from labkit import prometheus as prom
from prometheus_client.parser import text_string_to_metric_families

ALPHA = "ntl-alpha"
IMAGE = "ntl-image"


@pytest.fixture(scope="module")
def served(
    flat_lab: labkit.FlatLab, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[prom.Exporter, prom.Prometheus]]:
    reason = prom.unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    workdir: Path = tmp_path_factory.mktemp("exporter")
    exporter = prom.Exporter(
        ["--bus", flat_lab.bus_address], workdir, prefix=flat_lab.prefix, env=flat_lab.env
    )
    with exporter.start():
        server = prom.Prometheus([exporter.target], workdir, prefix=flat_lab.prefix)
        with server.start():
            yield exporter, server
        assert server.process is None
    assert exporter.status == 0, f"SIGTERM should end the exporter with 0; {exporter.errors()}"


def test_exporter_prints_a_loopback_url_and_serves_the_lab(
    served: tuple[prom.Exporter, prom.Prometheus],
) -> None:
    exporter, _ = served
    assert exporter.url.startswith("http://127.0.0.1:") and exporter.url.endswith("/metrics")
    assert not exporter.url.endswith(":0/metrics")
    families = {f.name: f for f in text_string_to_metric_families(exporter.scrape())}
    states = {
        (s.labels["machine"], s.labels["state"]) for s in families["nspawn_machine_state"].samples
    }
    assert {(ALPHA, "running"), (IMAGE, "stopped")} <= states


def test_prometheus_reads_back_a_machines_memory(
    served: tuple[prom.Exporter, prom.Prometheus],
) -> None:
    _, server = served
    found = server.wait_for(
        f'nspawn_machine_memory_bytes{{machine="{ALPHA}"}}', lambda v: v > 0, timeout=30
    )
    ((labels, value),) = found
    assert labels["host"] == "local" and labels["job"] == "nspawn-tui"
    assert 1024 * 1024 < value < 2**40  # a booted minimal Debian: ~17 MB


def test_prometheus_sees_the_host_up_and_the_stopped_image(
    served: tuple[prom.Exporter, prom.Prometheus],
) -> None:
    _, server = served
    up = server.wait_for('nspawn_host_up{host="local"}', timeout=30)
    assert [value for _, value in up] == [1.0]
    stopped = server.wait_for(f'nspawn_machine_state{{machine="{IMAGE}",state="stopped"}}')
    assert [value for _, value in stopped] == [1.0]
    assert server.values(f'nspawn_machine_memory_bytes{{machine="{IMAGE}"}}') == []
    with pytest.raises(labkit.LabError, match="no accepted value"):  # control: wait_for can fail
        server.wait_for('nspawn_host_up{host="local"}', lambda v: v == 0, timeout=2)


def test_prometheus_takes_a_rate_of_the_cpu_counter(
    served: tuple[prom.Exporter, prom.Prometheus],
) -> None:
    _, server = served
    # needs two scrapes of a counter that Prometheus accepts as one: typed and monotonic
    rates = server.wait_for(
        f'rate(nspawn_machine_cpu_seconds_total{{machine="{ALPHA}"}}[5s])', timeout=30
    )
    ((_, rate),) = rates
    assert 0.0 <= rate < 64.0  # CPU seconds per second: at most the machine's CPUs


def test_nothing_is_left_running(
    flat_lab: labkit.FlatLab, tmp_path: Path, served: tuple[prom.Exporter, prom.Prometheus]
) -> None:
    """A second pair, closed here: its processes are gone (the module's pair is still up)."""
    exporter = prom.Exporter(
        ["--bus", flat_lab.bus_address], tmp_path, prefix=flat_lab.prefix, env=flat_lab.env
    )
    with exporter.start():
        server = prom.Prometheus([exporter.target], tmp_path, prefix=flat_lab.prefix).start()
        pids = {exporter.process.pid, server.process.pid}  # type: ignore[union-attr]
        server.close()
    assert exporter.status == 0 and server.status == 0
    assert not pids & labkit.tagged_pids(flat_lab.prefix)


def test_a_fleet_exporter_puts_a_remote_machines_memory_into_prometheus(
    flat_lab: labkit.FlatLab,
    fleet_outer: labkit.NestedLab,
    fleet_ssh: Any,
    tmp_path: Path,
) -> None:
    """``export --host local --host REMOTE``: the remote machine's memory, accounted by the
    remote systemd and read over real ssh, queryable in Prometheus next to the local ones."""
    reason = prom.unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    home = tmp_path / "home"
    home.mkdir()
    env = {**flat_lab.env, "HOME": str(home), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    args = ["--bus", flat_lab.bus_address, "--host", "local", "--host", fleet_ssh.alias]
    exporter = prom.Exporter(
        [*args, "--ssh-config", str(fleet_ssh.config)], tmp_path, prefix=flat_lab.prefix, env=env
    )
    with exporter.start():
        server = prom.Prometheus([exporter.target], tmp_path, prefix=flat_lab.prefix)
        with server.start():
            remote = server.wait_for(
                f'nspawn_machine_memory_bytes{{host="{fleet_ssh.alias}",machine="{FLEET_RUNNING}"}}',
                lambda v: v > 0,
                timeout=60,
            )
            local = server.wait_for(
                f'nspawn_machine_memory_bytes{{host="local",machine="{ALPHA}"}}', lambda v: v > 0
            )
            up = server.wait_for("nspawn_host_up", timeout=30)
    ((_, remote_bytes),) = remote
    assert 1024 * 1024 < remote_bytes < 2**40 and local
    assert {labels["host"]: value for labels, value in up} == {"local": 1.0, fleet_ssh.alias: 1.0}
