"""Network figures on the real stack: a veth container's traffic, a private
network's loopback, a host-networked container (flat lab, real machined and nspawn)."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import labkit
import pytest

from nspawn_tui.host.base import Sample
from nspawn_tui.host.machined.host import MachinedHost
from nspawn_tui.host.network import HOST_NETWORK, PRIVATE, VETH

VETH_NAME = "ntl-network-veth-long"  # ve-NAME is too long: nspawn shortens it
PRIVATE_NAME = "ntl-net-private"
HOSTNET_NAME = "ntl-net-hostnet"
HOST_ADDRESS, CONTAINER_ADDRESS = "10.231.0.1", "10.231.0.2"
RATE = 2_000_000  # bytes per second the blast aims at


@pytest.fixture
async def host(flat_lab: labkit.FlatLab) -> AsyncIterator[MachinedHost]:
    machined_host = MachinedHost(flat_lab.bus_address, read_only=True)
    await machined_host.connect()
    try:
        yield machined_host
    finally:
        await machined_host.close()


def ip_json(argv: list[str]) -> list[dict[str, object]]:
    out = subprocess.run(argv, check=True, capture_output=True, text=True, timeout=30).stdout
    return list(json.loads(out or "[]"))


def host_side_link(leader: int) -> str:
    """The host end of the container's host0, found through host0's peer index."""
    (inside,) = ip_json(["nsenter", "-t", str(leader), "-n", "ip", "-j", "link", "show", "host0"])
    peer = inside["link_index"]
    (outside,) = [link for link in ip_json(["ip", "-j", "link", "show"]) if link["ifindex"] == peer]
    return str(outside["ifname"])


@contextmanager
def blast(address: str, seconds: float) -> Iterator[None]:
    """UDP datagrams to ``address`` at about RATE bytes/s, in a thread, for ``seconds``."""
    stop = threading.Event()

    def run() -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        payload = bytes(1000)
        deadline = time.monotonic() + seconds
        started = time.monotonic()
        sent = 0
        while not stop.is_set() and time.monotonic() < deadline:
            if sent > RATE * (time.monotonic() - started):
                time.sleep(0.005)
                continue
            sock.sendto(payload, (address, 9))
            sent += len(payload)
        sock.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(10)


async def rates(host: MachinedHost, name: str) -> Sample | None:
    return (await host.snapshot()).samples.get(name)


async def test_veth_traffic_is_that_machines_rx_and_no_one_elses(
    host: MachinedHost, flat_lab: labkit.FlatLab
) -> None:
    container = flat_lab.boot(VETH_NAME)
    try:
        if not flat_lab.veth:
            pytest.skip("nspawn could not make veth links on this machine")
        outside = host_side_link(container.leader)
        assert len(outside) <= 15 and outside != f"ve-{VETH_NAME}"  # shortened by nspawn
        enter = ["nsenter", "-t", str(container.leader), "-n", "ip"]
        for argv in (
            ["ip", "addr", "add", f"{HOST_ADDRESS}/30", "dev", outside],
            ["ip", "link", "set", outside, "up"],
            [*enter, "addr", "add", f"{CONTAINER_ADDRESS}/30", "dev", "host0"],
            [*enter, "link", "set", "host0", "up"],
        ):
            subprocess.run(argv, check=True, capture_output=True, timeout=30)

        first = await rates(host, VETH_NAME)
        assert first is not None and first.net_mode == VETH
        seen: list[tuple[float | None, float | None]] = []
        with blast(CONTAINER_ADDRESS, 8.0):
            for _poll in range(7):
                await asyncio.sleep(1.0)
                snapshot = await host.snapshot()
                mine, other = snapshot.samples[VETH_NAME], snapshot.samples["ntl-beta"]
                seen.append((mine.net_rx_bps, other.net_rx_bps))
                if (mine.net_rx_bps or 0) > RATE / 2 and len(seen) >= 3:
                    break
        rx, beta_rx = seen[-1]
        assert rx is not None and RATE / 2 < rx < RATE * 2, seen
        assert snapshot.samples[VETH_NAME].net_tx_bps is not None
        assert (snapshot.samples[VETH_NAME].net_tx_bps or 0) < rx / 10  # rx is the container's
        assert beta_rx is not None and beta_rx < RATE / 20, seen  # another veth machine: quiet
        assert snapshot.samples["ntl-beta"].net_mode == VETH

        info = await host.network(VETH_NAME)
        assert info.mode == VETH and info.reason == ""
        sides = {(i.side, i.name): i for i in info.interfaces}
        host_end = sides[("host", outside)]
        assert host_end.kind == "veth" and host_end.state in ("up", "unknown")
        assert host_end.counters is not None and host_end.counters.rx_bytes > RATE  # swapped
        inside = sides[("container", "host0")]
        assert f"{CONTAINER_ADDRESS}/30" in inside.addresses
        assert inside.counters is not None and inside.counters.rx_bytes >= RATE
        assert ("container", "lo") in sides

        # the same through the installed command line, as a script would read it
        exe = Path(sys.prefix) / "bin" / "nspawn-tui"
        argv = [str(exe), "list", "--json", "--interval", "1", "--bus", flat_lab.bus_address]
        with blast(CONTAINER_ADDRESS, 6.0):
            await asyncio.sleep(1.0)
            result = await asyncio.to_thread(
                subprocess.run, argv, capture_output=True, text=True, timeout=60, check=False
            )
        assert result.returncode == 0, result.stderr
        records = {r["name"]: r for r in json.loads(result.stdout)}
        mine_json, beta_json = records[VETH_NAME], records["ntl-beta"]
        assert mine_json["net_mode"] == VETH
        assert RATE / 2 < mine_json["net_rx_bytes_per_s"] < RATE * 2, mine_json
        assert beta_json["net_rx_bytes_per_s"] < RATE / 20, beta_json
        names = {i["name"] for i in mine_json["interfaces"]}
        assert {outside, "host0", "lo"} <= names, names
    finally:
        flat_lab.stop(VETH_NAME)


async def test_private_network_shows_its_loopback_from_inside(
    host: MachinedHost, flat_lab: labkit.FlatLab
) -> None:
    container = flat_lab.boot(PRIVATE_NAME, veth=False, extra_args=["--private-network"])
    try:
        sample = await rates(host, PRIVATE_NAME)
        assert sample is not None and sample.net_mode == PRIVATE
        assert sample.net_rx_bps is None  # not watched: not read inside
        host.watch_network([PRIVATE_NAME])
        sample = await rates(host, PRIVATE_NAME)
        assert sample is not None and sample.net_rx_bps == 0.0  # only lo: nothing leaves

        before = await host.network(PRIVATE_NAME)
        assert before.mode == PRIVATE and before.reason == ""
        (lo,) = [i for i in before.interfaces if i.name == "lo"]
        assert lo.side == "container" and lo.kind == "loopback" and lo.counters is not None
        assert "127.0.0.1/8" in lo.addresses
        assert all(i.side == "container" for i in before.interfaces)
        code = "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n" + (
            "for _ in range(100): s.sendto(bytes(1000), ('127.0.0.1', 9))"
        )
        subprocess.run(
            ["nsenter", "-t", str(container.leader), "-n", sys.executable, "-c", code],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip
        await asyncio.sleep(0.5)
        after = await host.network(PRIVATE_NAME)
        (lo_after,) = [i for i in after.interfaces if i.name == "lo"]
        assert lo_after.counters is not None
        assert lo_after.counters.rx_bytes >= lo.counters.rx_bytes + 100 * 1000
        assert lo_after.rx_bps is not None and lo_after.rx_bps > 0
        assert after.rx_bps == 0.0  # loopback is not the machine's traffic
    finally:
        host.watch_network([])
        flat_lab.stop(PRIVATE_NAME)


async def test_a_host_networked_container_has_no_figures(
    host: MachinedHost, flat_lab: labkit.FlatLab
) -> None:
    flat_lab.boot(HOSTNET_NAME, veth=False)
    try:
        sample = await rates(host, HOSTNET_NAME)
        assert sample is not None and sample.net_mode == HOST_NETWORK
        assert sample.net_rx_bps is None and sample.net_tx_bps is None
        info = await host.network(HOSTNET_NAME)
        assert info.mode == HOST_NETWORK and info.interfaces == () and info.rx_bps is None
    finally:
        flat_lab.stop(HOSTNET_NAME)


async def test_stopped_images_have_no_network_figures(host: MachinedHost) -> None:
    snapshot = await host.snapshot()
    assert "ntl-image" not in snapshot.samples
    info = await host.network("ntl-image")
    assert info.reason == "not running" and info.interfaces == ()
