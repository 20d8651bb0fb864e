"""The demo host's simulated network: rates by profile, host-networked machines, counters."""

from __future__ import annotations

import pytest

from nspawn_tui.host.base import NoSuchMachine
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.host.network import HOST_NETWORK, UNAVAILABLE, VETH


async def test_samples_carry_rates_and_host_networked_machines_none() -> None:
    host = DemoHost(seed=1, frozen=True)
    host.tick(2.0)
    snap = await host.snapshot()
    web, build = snap.samples["web"], snap.samples["build-arch"]
    assert web.net_mode == VETH and web.net_rx_bps and web.net_tx_bps
    assert web.net_tx_bps > web.net_rx_bps  # a web server sends more than it receives
    assert build.net_mode == HOST_NETWORK
    assert build.net_rx_bps is None and build.net_tx_bps is None  # not zero: the host's


async def test_same_seed_and_ticks_give_the_same_rates() -> None:
    a, b = DemoHost(seed=3, frozen=True), DemoHost(seed=3, frozen=True)
    for host in (a, b):
        host.tick(7.0)
    snap_a, snap_b = await a.snapshot(), await b.snapshot()
    assert {n: s.net_rx_bps for n, s in snap_a.samples.items()} == {
        n: s.net_rx_bps for n, s in snap_b.samples.items()
    }


async def test_network_details_counters_grow_and_views_are_swapped() -> None:
    host = DemoHost(seed=1, frozen=True)
    await host.snapshot()
    first = await host.network("web")
    host.tick(10.0)
    await host.snapshot()
    later = await host.network("web")
    assert later.mode == VETH and later.port_forwards == ("tcp:8080:80", "tcp:8443:443")
    host_end, inside, loopback = later.interfaces
    assert (host_end.name, host_end.side, inside.name, loopback.kind) == (
        "ve-web",
        "host",
        "host0",
        "loopback",
    )
    assert host_end.counters and inside.counters and first.interfaces[1].counters
    # the container's rx is its host end's tx
    assert host_end.counters.tx_bytes == inside.counters.rx_bytes
    assert inside.counters.rx_bytes > first.interfaces[1].counters.rx_bytes
    assert later.rx_bps == inside.rx_bps == host_end.rx_bps


async def test_zone_machines_sit_on_a_bridge_and_others_are_labelled() -> None:
    host = DemoHost(seed=1, frozen=True)
    await host.snapshot()
    cache = await host.network("cache")
    assert cache.interfaces[0].name == "vb-cache" and cache.interfaces[0].bridge == "vz-apps"
    build = await host.network("build-arch")
    assert build.mode == HOST_NETWORK and not build.interfaces and "host" in build.reason
    stopped = await host.network("debian-base")
    assert stopped.mode == UNAVAILABLE and stopped.reason == "not running"
    with pytest.raises(NoSuchMachine):
        await host.network("nope")


async def test_a_reboot_starts_the_counters_again() -> None:
    host = DemoHost(seed=1, frozen=True)
    host.tick(30.0)
    await host.snapshot()
    before = (await host.network("web")).interfaces[1].counters
    await host.poweroff("web")
    host.tick(20.0)
    await host.snapshot()
    await host.start("web")
    host.tick(2.0)
    await host.snapshot()
    after = (await host.network("web")).interfaces[1].counters
    assert before is not None and after is not None
    assert after.rx_bytes < before.rx_bytes


async def test_port_forwards_follow_the_settings_file() -> None:
    host = DemoHost(seed=1, frozen=True)
    await host.write_settings("db", "[Network]\nPort=tcp:5432\nPort=udp:53:53\n")
    await host.snapshot()
    assert (await host.network("db")).port_forwards == ("tcp:5432", "udp:53:53")
