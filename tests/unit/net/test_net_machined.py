"""The machined host's network mixin: samples filled, details, port forwards, remote hosts."""

from __future__ import annotations

import os
from pathlib import Path

from nspawn_tui.host.base import Image, Machine, Sample
from nspawn_tui.host.machined.logs import LOCAL, CommandPrefix
from nspawn_tui.host.machined.network import (
    REMOTE_REASON,
    MachinedNetwork,
    with_machined_addresses,
)
from nspawn_tui.host.network import HOST_NETWORK, PRIVATE, UNAVAILABLE, Interface, NetworkInfo
from nspawn_tui.net.reader import NetFigures


class Host(MachinedNetwork):
    def __init__(self, machines: list[Machine], prefix: CommandPrefix = LOCAL) -> None:
        self.command_prefix = prefix
        self.watched_network = ()
        self._last_machines = tuple(machines)
        self.listed = 0

    async def list_machines(self) -> list[Machine]:
        self.listed += 1
        return list(self._last_machines)

    async def list_images(self) -> list[Image]:
        return []


def test_figures_go_into_the_samples_and_unknown_stays_none() -> None:
    samples = {name: Sample(timestamp=1.0) for name in ("a", "b", "c")}
    MachinedNetwork._apply_network(
        samples,
        {
            "a": NetFigures("veth", 10.0, 20.0),
            "b": NetFigures(HOST_NETWORK),
            "c": NetFigures(UNAVAILABLE, reason="leader process 5 is gone"),
            "not-sampled": NetFigures("veth", 1.0, 1.0),
        },
    )
    assert (samples["a"].net_mode, samples["a"].net_rx_bps, samples["a"].net_tx_bps) == (
        "veth", 10.0, 20.0,
    )  # fmt: skip
    assert (samples["b"].net_mode, samples["b"].net_rx_bps) == ("host", None)
    assert samples["c"].net_mode is None and samples["c"].net_rx_bps is None
    assert "not-sampled" not in samples


async def test_the_sweep_and_the_detail_of_our_own_process() -> None:
    me = Machine("me", leader=os.getpid())
    host = Host([me, Machine("img", state="stopped")])
    try:
        figures = await host._network_sweep(host._last_machines)
        assert figures["me"].mode == HOST_NETWORK and set(figures) == {"me"}
        info = await host.network("me")
        assert info.mode == HOST_NETWORK and info.rx_bps is None
        stopped = await host.network("img")
        assert stopped.mode == UNAVAILABLE and stopped.reason == "not running"
    finally:
        host._close_network()


async def test_a_remote_host_reads_no_local_network() -> None:
    host = Host([Machine("me", leader=os.getpid())], CommandPrefix("ssh", "-xT", "HOST"))
    assert await host._network_sweep(host._last_machines) == {}
    info = await host.network("me")
    assert info.mode == UNAVAILABLE and info.reason == REMOTE_REASON


async def test_port_forwards_come_from_the_nspawn_file_beside_the_image(tmp_path: Path) -> None:
    name = "ntlu-forwards-test"
    root = tmp_path / name
    root.mkdir()
    (tmp_path / f"{name}.nspawn").write_text(
        "[Exec]\nBoot=yes\n[Network]\nVirtualEthernet=yes\nPort=tcp:8080:80\nPort=53\n"
    )
    host = Host([Machine(name, state="stopped", root_directory=str(root))])
    info = await host.network(name)
    assert info.port_forwards == ("tcp:8080:80", "53")
    bare = Host([Machine("ntlu-none", state="stopped", root_directory=str(tmp_path / "x"))])
    assert (await bare.network("ntlu-none")).port_forwards == ()


def iface(
    name: str, side: str = "container", kind: str = "", addresses: tuple[str, ...] = ()
) -> Interface:
    return Interface(name=name, side=side, kind=kind, addresses=addresses)


def test_machined_addresses_fill_the_one_interface_the_namespace_could_not_describe() -> None:
    info = NetworkInfo(
        PRIVATE, (iface("lo", kind="loopback"), iface("mv-eth0")), reason="no netlink"
    )
    filled = with_machined_addresses(info, ("10.0.0.5",))
    assert [i.addresses for i in filled.interfaces] == [(), ("10.0.0.5",)]
    # two candidates: which has which is unknown, so none is guessed
    two = NetworkInfo(PRIVATE, (iface("a"), iface("b")))
    assert with_machined_addresses(two, ("10.0.0.5",)) == two
    # the namespace told us already: kept as read
    told = NetworkInfo(PRIVATE, (iface("host0", addresses=("10.0.0.9/24",)),))
    assert with_machined_addresses(told, ("10.0.0.5",)) == told
