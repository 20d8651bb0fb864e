"""What a machine sees of its own network: interfaces, addresses and counters, from inside.

pyroute2's ``IPRoute`` (:mod:`.iproute`), on a netlink socket made in the
machine's namespace (:func:`~nspawn_tui.net.namespace.open_inside`), dumps
its links and addresses; when that cannot be had, ``/proc/LEADER/net/dev``
still gives the names and counters.  Also the
:class:`~nspawn_tui.host.network.Interface` builder both sides share.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from nspawn_tui.host.network import Interface, LinkCounters
from nspawn_tui.net import iproute
from nspawn_tui.net.links import LinkRecord
from nspawn_tui.net.namespace import PROC, open_inside
from nspawn_tui.net.procnet import read_net_dev
from nspawn_tui.net.rates import LinkRates, LinkRateTracker, total

HOST_SIDE: Final = "host"
CONTAINER_SIDE: Final = "container"
LOOPBACK: Final = "lo"


def describe(error: OSError) -> str:
    return os.strerror(error.errno) if error.errno else str(error)


def interface(
    link: LinkRecord,
    side: str,
    counters: LinkCounters | None,
    rates: LinkRates,
    bridge: str | None = None,
    addresses: tuple[str, ...] = (),
) -> Interface:
    return Interface(
        name=link.name,
        side=side,
        kind=link.kind,
        state=link.state,
        bridge=bridge,
        mac=link.mac,
        addresses=addresses,
        counters=counters,
        rx_bps=rates.rx_bps,
        tx_bps=rates.tx_bps,
        rx_pps=rates.rx_pps,
        tx_pps=rates.tx_pps,
    )


def interfaces_total(interfaces: Iterable[Interface]) -> tuple[float | None, float | None]:
    """Summed (rx, tx) bytes per second of the interfaces whose rates are known."""
    return total(LinkRates(i.rx_bps, i.tx_bps) for i in interfaces)


def is_loopback(item: Interface) -> bool:
    return item.kind == "loopback" or item.name == LOOPBACK


def read_inside(
    leader: int, rates: LinkRateTracker, now: float, proc: Path = PROC
) -> tuple[tuple[Interface, ...], str]:
    """The machine's own interfaces, and a reason when some of it could not be read."""
    try:
        with iproute.iproute(open_inside(leader, proc)) as ipr:
            links, addresses = iproute.dump(ipr)
    except OSError as error:
        return _from_proc(leader, rates, now, proc, describe(error))
    by_index = {link.index: link for link in links}
    interfaces = []
    for link in links:
        found = (
            rates.update((leader, CONTAINER_SIDE, link.name), link.counters, now)
            if link.counters is not None
            else LinkRates()
        )
        master = by_index.get(link.master) if link.master is not None else None
        interfaces.append(
            interface(
                link,
                CONTAINER_SIDE,
                link.counters,
                found,
                master.name if master else None,
                tuple(addresses.get(link.index, ())),
            )
        )
    return tuple(interfaces), ""


def _from_proc(
    leader: int, rates: LinkRateTracker, now: float, proc: Path, why: str
) -> tuple[tuple[Interface, ...], str]:
    try:
        devices = read_net_dev(leader, proc)
    except OSError as error:
        return (), f"cannot read inside the container: {why}; {describe(error)}"
    interfaces = tuple(
        interface(
            LinkRecord(index=0, name=name, kind="loopback" if name == LOOPBACK else ""),
            CONTAINER_SIDE,
            counters,
            rates.update((leader, CONTAINER_SIDE, name), counters, now),
        )
        for name, counters in sorted(devices.items())
    )
    return interfaces, f"no netlink inside the container ({why}): no addresses or states"
