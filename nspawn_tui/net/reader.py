"""The network reader: per-machine modes and rates (a sweep) and one machine's detail.

Blocking; the host calls it from a worker thread.  What a sweep costs:

- the host's link table (name, kind, state, bridge, peer namespace): one
  ``RTM_GETLINK`` dump at the first sweep; then the link changes the kernel
  announces (a socket subscribed to ``RTMGRP_LINK``, drained without blocking
  at every sweep) are applied to it, and it is dumped again only when
  notifications were lost;
- counters: one ``RTM_GETSTATS`` dump (64-bit counters only, about 230 bytes a
  link) when some machine has host-side links;
- per machine: its namespace (host or not, and our id for it) resolved once
  per leader PID, again when machines change;
- inside a namespace: ``/proc/LEADER/net/dev``, only for watched machines
  without a host-side link.

:meth:`NetworkReader.details` reads one machine with pyroute2
(:mod:`.iproute`): its host-side links (found in the sweep's table, then
read again by ifindex) and, through a netlink socket made inside its
namespace, what it sees itself (interfaces, addresses, counters).  Nothing
here raises for an unreadable namespace or a netlink failure: the figures
are ``None`` with a reason.
"""

from __future__ import annotations

import os
import struct
import threading
import time
from collections.abc import Collection, Hashable, Sequence
from pathlib import Path
from typing import NamedTuple

from nspawn_tui.host.base import Machine
from nspawn_tui.host.network import (
    HOST_NETWORK,
    PRIVATE,
    UNAVAILABLE,
    VETH,
    Interface,
    NetworkInfo,
)
from nspawn_tui.net import iproute
from nspawn_tui.net import netlink as nl
from nspawn_tui.net.inside import (
    CONTAINER_SIDE,
    HOST_SIDE,
    LOOPBACK,
    interface,
    interfaces_total,
    is_loopback,
    read_inside,
)
from nspawn_tui.net.links import LinkRecord, group_by_nsid, host_view, parse_link, parse_stats_raw
from nspawn_tui.net.namespace import PROC, Namespace, host_namespaces, resolve
from nspawn_tui.net.procnet import read_net_dev
from nspawn_tui.net.rates import ByteRateTracker, LinkRates, LinkRateTracker, add
from nspawn_tui.safe import clean


class NetFigures(NamedTuple):
    """One machine's network at one sweep (rates from the container's point of view).

    A named tuple: a sweep makes one per machine, and a frozen dataclass costs
    several times as much to build."""

    mode: str  # HOST_NETWORK, VETH, PRIVATE, UNAVAILABLE
    rx_bps: float | None = None
    tx_bps: float | None = None
    reason: str = ""


def _describe(error: Exception) -> str:
    code = error.errno if isinstance(error, OSError) else None
    return os.strerror(code) if code else clean(str(error)) or type(error).__name__


class NetworkReader:
    """Reads the local kernel's view of every running machine's network."""

    def __init__(self, proc: Path = PROC) -> None:
        self._proc = proc
        self._lock = threading.Lock()
        self._sock: nl.RouteSocket | None = None  # requests and dumps
        self._events: nl.RouteSocket | None = None  # RTMGRP_LINK notifications
        self._links: dict[int, LinkRecord] | None = None  # the host's, by ifindex
        self._links_fresh = False  # the table was dumped in this sweep (its counters are new)
        self._dirty = True  # read the table again at the next sweep
        self._host: frozenset[tuple[int, int]] | None = None
        self._spaces: dict[int, Namespace] = {}  # by leader PID
        self._by_nsid: dict[int, list[LinkRecord]] = {}  # the table's links into other namespaces
        self._rates = LinkRateTracker()  # the detail's, by (leader, side, link)
        self._sweep_rates = ByteRateTracker()  # the sweep's, by (leader, side, link)
        self._leaders: frozenset[int] = frozenset()  # of the last sweep
        self._links_changed = False  # since the last sweep
        #: Why the last sweep had no host-side figures ("" when it had).
        self.last_error = ""

    def close(self) -> None:
        with self._lock:
            self._close_sockets()

    def _close_sockets(self) -> None:
        for sock in (self._sock, self._events):
            if sock is not None:
                sock.close()
        self._sock = self._events = None
        self._links = None
        self._dirty = True

    # ------------------------------------------------------------ the host

    def _socket(self) -> nl.RouteSocket:
        if self._sock is None:
            self._sock = nl.RouteSocket()
        return self._sock

    def _refresh_links(self) -> bool:
        """Bring the host's link table up to date; True when it changed.

        The table is dumped once (and after lost notifications); then the
        kernel's link notifications, each a whole link description, are
        applied in order.  Notifications queued before a dump are dropped (the
        dump is newer); those arriving during it are applied after it, so the
        table converges on the last state of every link.
        """
        if self._events is None:
            self._events = nl.RouteSocket(nl.RTMGRP_LINK)  # subscribe before dumping
            self._links = None
        changes, lost = self._events.drain()
        self._links_fresh = False
        if self._links is None or lost or self._dirty:
            messages, interrupted = self._socket().dump(nl.RTM_GETLINK, nl.link_dump_request())
            table: dict[int, LinkRecord] = {}
            for message in messages:
                record = parse_link(message)
                if record is not None:
                    table[record.index] = record
            self._links = table
            self._links_fresh = True
            self._dirty = interrupted
            self._table_changed()
            return True
        changed = False
        for message in changes:
            record = parse_link(message)
            if record is None:
                continue
            if nl.message_type(message) == nl.RTM_DELLINK:
                self._links.pop(record.index, None)
            else:
                self._links[record.index] = record
            changed = True
        if changed:
            self._table_changed()
        return changed

    def _table_changed(self) -> None:
        assert self._links is not None
        self._by_nsid = group_by_nsid(self._links.values())
        self._links_changed = True  # namespaces without an id are asked again at the sweep

    def _counters(self) -> dict[int, tuple[int, ...]]:
        """Every link's counters (rtnl_link_stats64's first eight fields) by ifindex."""
        if self._links_fresh:
            assert self._links is not None
            return {
                index: (c.rx_packets, c.tx_packets, c.rx_bytes, c.tx_bytes)
                for index, link in self._links.items()
                if (c := link.counters) is not None
            }
        messages, _interrupted = self._socket().dump(nl.RTM_GETSTATS, nl.stats_request())
        found: dict[int, tuple[int, ...]] = {}
        for message in messages:
            parsed = parse_stats_raw(message)
            if parsed is not None:
                found[parsed[0]] = parsed[1]
        return found

    def _namespace(self, leader: int, again: bool = False) -> Namespace:
        space = self._spaces.get(leader)
        if space is None or again:
            if self._host is None:
                self._host = host_namespaces(self._proc)
            space = resolve(leader, self._socket(), self._host, self._proc)
            if not space.error:
                self._spaces[leader] = space  # cached while the leader lives
        return space

    def _resolve_all(self, leaders: Collection[int], links_changed: bool) -> None:
        for gone in [leader for leader in self._spaces if leader not in leaders]:
            del self._spaces[gone]
        for leader in leaders:
            space = self._spaces.get(leader)
            # An id may be given to a namespace after we first asked (a link made later).
            again = links_changed and space is not None and not space.host and space.nsid is None
            self._namespace(leader, again)

    # ------------------------------------------------------------ the sweep

    def sweep(
        self, machines: Sequence[Machine], watched: Collection[str] = ()
    ) -> dict[str, NetFigures]:
        """Mode and rates of every running machine (nothing for the others)."""
        running = [(m.name, m.leader) for m in machines if m.running and m.leader]
        if not running:
            with self._lock:
                self._spaces.clear()
                self._rates.prune(lambda key: False)
                self._sweep_rates.prune(lambda key: False)
                self._leaders = frozenset()
            return {}
        now = time.monotonic()
        with self._lock:
            try:
                return self._sweep(running, set(watched), now)
            except (OSError, ValueError, struct.error) as error:
                self._close_sockets()
                self.last_error = f"cannot read the host's network links: {_describe(error)}"
                return {
                    name: NetFigures(UNAVAILABLE, reason=self.last_error) for name, _ in running
                }

    def _sweep(
        self, running: list[tuple[str, int]], watched: set[str], now: float
    ) -> dict[str, NetFigures]:
        changed = self._refresh_links() or self._links_changed
        self._links_changed = False
        if (
            changed
            or len(running) != len(self._leaders)
            or not self._leaders.issuperset(leader for _name, leader in running)
        ):
            self._resolve_all({leader for _name, leader in running}, changed)
        spaces, by_nsid = self._spaces, self._by_nsid
        counters = self._counters() if by_nsid else {}
        update = self._sweep_rates.update
        self.last_error = ""
        figures: dict[str, NetFigures] = {}
        for name, leader in running:
            space = spaces.get(leader)
            if space is None:
                # not cached: the leader could not be read (resolve again, for the reason)
                figures[name] = NetFigures(UNAVAILABLE, reason=self._namespace(leader).error)
            elif space.host:
                figures[name] = NetFigures(HOST_NETWORK, reason="shares the host's network")
            elif space.nsid is not None and space.nsid in by_nsid:
                rx: float | None = None
                tx: float | None = None
                for link in by_nsid[space.nsid]:
                    found = counters.get(link.index)
                    if found is not None:
                        # the container's view: it received what the host end sent
                        link_rx, link_tx = update((leader, link.index), found[3], found[2], now)
                        rx, tx = add(rx, link_rx), add(tx, link_tx)
                figures[name] = NetFigures(VETH, rx, tx)
            elif name in watched:
                figures[name] = self._inside_figures(leader, now)
            else:
                figures[name] = NetFigures(PRIVATE, reason="read when shown")
        leaders = frozenset(leader for _name, leader in running)
        if leaders != self._leaders:  # a machine stopped or rebooted: drop its baselines
            self._leaders = leaders
            self._sweep_rates.prune(lambda key: _leader_of(key) in leaders)
            self._rates.prune(lambda key: _leader_of(key) in leaders)
        return figures

    def _inside_figures(self, leader: int, now: float) -> NetFigures:
        try:
            devices = read_net_dev(leader, self._proc)
        except OSError as error:
            return NetFigures(PRIVATE, reason=f"cannot read inside: {_describe(error)}")
        outside = {name: counters for name, counters in devices.items() if name != LOOPBACK}
        if not outside:
            return NetFigures(PRIVATE, 0.0, 0.0)  # loopback only: nothing can leave
        rx: float | None = None
        tx: float | None = None
        for name, counters in outside.items():
            key = (leader, CONTAINER_SIDE, name)
            link_rx, link_tx = self._sweep_rates.update(
                key, counters.rx_bytes, counters.tx_bytes, now
            )
            rx, tx = add(rx, link_rx), add(tx, link_tx)
        return NetFigures(PRIVATE, rx, tx)

    # ------------------------------------------------------------ the detail

    def details(self, machine: Machine) -> NetworkInfo:
        """The interfaces of one machine, both ends, with counters and rates.

        Which host links are the machine's comes from the sweep's link table
        (their peer's namespace); what they are now (kind, state, bridge,
        counters) and what the machine sees inside are read with pyroute2."""
        if not machine.running or not machine.leader:
            return NetworkInfo(UNAVAILABLE, reason="not running")
        leader = machine.leader
        now = time.monotonic()
        with self._lock:
            try:
                self._refresh_links()
                space = self._namespace(leader, again=True)
            except (OSError, ValueError, struct.error) as error:
                self._close_sockets()
                return NetworkInfo(
                    UNAVAILABLE, reason=f"cannot read the host's network links: {_describe(error)}"
                )
            if space.error:
                return NetworkInfo(UNAVAILABLE, reason=space.error)
            if space.host:
                return NetworkInfo(
                    HOST_NETWORK, reason="shares the host's network: its traffic is the host's"
                )
            try:
                host_side = self._host_interfaces(space, leader, now)
            except OSError as error:
                return NetworkInfo(
                    UNAVAILABLE, reason=f"cannot read the host's network links: {_describe(error)}"
                )
            inside, reason = read_inside(leader, self._rates, now, self._proc)
        if host_side:
            rx, tx = interfaces_total(host_side)
            return NetworkInfo(VETH, host_side + inside, rx, tx, reason=reason)
        outside = [i for i in inside if not is_loopback(i)]
        rx, tx = interfaces_total(outside) if outside or reason else (0.0, 0.0)
        return NetworkInfo(PRIVATE, inside, rx, tx, reason=reason)

    def _host_interfaces(self, space: Namespace, leader: int, now: float) -> tuple[Interface, ...]:
        """The host ends of the machine's links, each read again (pyroute2) by ifindex."""
        if space.nsid is None or space.nsid not in self._by_nsid:
            return ()
        with iproute.iproute() as ipr:
            links = iproute.get_links(ipr, [link.index for link in self._by_nsid[space.nsid]])
            # an ifindex freed and given to another link since the table was read is not its
            mine = [link for link in links.values() if link.link_netnsid == space.nsid]
            masters = {link.master for link in mine if link.master is not None}
            bridges = iproute.get_links(ipr, sorted(masters - links.keys()))
        bridges.update(links)
        interfaces = []
        for link in sorted(mine, key=lambda link: link.index):
            view = host_view(link.counters) if link.counters is not None else None
            rates = (
                self._rates.update((leader, HOST_SIDE, link.index), view, now)
                if view is not None
                else LinkRates()
            )
            master = bridges.get(link.master) if link.master is not None else None
            interfaces.append(
                interface(link, HOST_SIDE, view, rates, master.name if master else None)
            )
        return tuple(interfaces)


def _leader_of(key: Hashable) -> object:
    return key[0] if isinstance(key, tuple) and key else None
