"""What a Host says about a machine's network: its interfaces and traffic.

Rates are from the container's point of view: ``rx`` is what the container
received.  For a ``--network-veth`` container that is what its host-side
``ve-NAME`` link *sent*; the network readers do that swap, the UI never has to.
Never imports Textual.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

#: How a machine is networked (:attr:`NetworkInfo.mode`).
HOST_NETWORK: Final = "host"  # shares the host's namespace: its traffic is the host's
VETH: Final = "veth"  # a veth (or bridge port) whose host end we read
PRIVATE: Final = "private"  # its own namespace, read from inside (macvlan, ipvlan, moved link)
UNAVAILABLE: Final = "unavailable"  # not running, or not readable (see ``reason``)


@dataclass(frozen=True, slots=True)
class LinkCounters:
    """Counters of one link, as the kernel keeps them (since the link was made)."""

    rx_bytes: int = 0
    tx_bytes: int = 0
    rx_packets: int = 0
    tx_packets: int = 0
    rx_errors: int = 0
    tx_errors: int = 0
    rx_dropped: int = 0
    tx_dropped: int = 0


@dataclass(frozen=True, slots=True)
class Interface:
    """One network interface of a machine, as seen from ``side``."""

    name: str
    side: str  # "host" (the host end of the machine's veth) or "container"
    kind: str = ""  # "veth", "macvlan", "ipvlan", "loopback", "ether", ... ("" unknown)
    state: str = ""  # operstate: "up", "down", "unknown", ... ("" unknown)
    bridge: str | None = None  # the bridge the host end is enslaved to (--network-bridge)
    mac: str = ""
    addresses: tuple[str, ...] = ()
    counters: LinkCounters | None = None  # None: unavailable
    # Per second over the last interval, from the container's point of view.
    rx_bps: float | None = None
    tx_bps: float | None = None
    rx_pps: float | None = None
    tx_pps: float | None = None


@dataclass(frozen=True, slots=True)
class NetworkInfo:
    """A machine's network, for the detail panel and ``list --json``."""

    mode: str  # HOST_NETWORK, VETH, PRIVATE, UNAVAILABLE
    interfaces: tuple[Interface, ...] = ()
    rx_bps: float | None = None  # sum over the interfaces (container's view), None unknown
    tx_bps: float | None = None
    port_forwards: tuple[str, ...] = ()  # the .nspawn file's [Network] Port= values
    reason: str = ""  # why figures are missing (cleaned text)
