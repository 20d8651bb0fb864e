"""The sweep's netlink messages turned into plain typed records (pure functions, no I/O).

Hand-made for speed (see :mod:`nspawn_tui.net.netlink`; the detail's
messages are pyroute2's, :mod:`nspawn_tui.net.iproute`, and the tests check
both decoders agree on recorded messages).  Each parser takes one whole message (``nlmsghdr`` included) as bytes, reads
only the attributes the dashboard shows and returns ``None`` for a message
it cannot read (wrong type, truncated).  Interface names and kinds come from
whoever created the link (a container, for links in its namespace): they
leave this module cleaned (:func:`nspawn_tui.safe.clean`).
"""

from __future__ import annotations

import functools
import socket
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from nspawn_tui.host.network import LinkCounters
from nspawn_tui.net import netlink as nl
from nspawn_tui.safe import clean

IFLA_ADDRESS: Final = 1
IFLA_IFNAME: Final = 3
IFLA_MASTER: Final = 10
IFLA_OPERSTATE: Final = 16
IFLA_LINKINFO: Final = 18
IFLA_STATS64: Final = 23
IFLA_LINK_NETNSID: Final = 37
IFLA_INFO_KIND: Final = 1

ARPHRD_ETHER: Final = 1
ARPHRD_LOOPBACK: Final = 772
ARPHRD_NONE: Final = 65534

#: RFC 2863 operational states, as ``ip link`` names them (lower case).
OPERSTATES: Final = ("unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up")

_HDR: Final = nl.HEADER.size
_IFINFO: Final = struct.Struct("=BxHiII")  # family, type, index, flags, change
_STATSMSG: Final = struct.Struct("=BxxxII")  # family, (padding), ifindex, filter mask
_ATTR: Final = struct.Struct("=HH")
_COUNTERS: Final = struct.Struct("=8Q")  # the first eight fields of rtnl_link_stats64
_NLA_TYPE_MASK: Final = 0x3FFF  # without NLA_F_NESTED / NLA_F_NET_BYTEORDER
_STATS_AT: Final = _HDR + _STATSMSG.size + _ATTR.size  # where the first attribute's payload is
_I32: Final = struct.Struct("=i")
_U32: Final = struct.Struct("=I")


@dataclass(frozen=True, slots=True)
class LinkRecord:
    """One link of one network namespace, as the kernel describes it."""

    index: int
    name: str  # cleaned
    kind: str = ""  # "veth", "bridge", "macvlan", "loopback", "ether", ... ("" unknown)
    state: str = ""  # operstate, lower case
    master: int | None = None  # ifindex of the bridge (or bond) it is enslaved to
    link_netnsid: int | None = None  # namespace of its peer, as our namespace numbers it
    mac: str = ""
    counters: LinkCounters | None = None  # as the kernel counts them on this link


def _attrs(message: bytes, offset: int, end: int) -> Iterable[tuple[int, int, int]]:
    """(type, payload offset, payload end) of each attribute in ``message[offset:end]``."""
    unpack = _ATTR.unpack_from
    while offset + 4 <= end:
        length, kind = unpack(message, offset)
        if length < 4 or offset + length > end:
            return
        yield kind & _NLA_TYPE_MASK, offset + 4, offset + length
        offset += (length + 3) & ~3


def counters_from(values: tuple[int, ...]) -> LinkCounters:
    """rtnl_link_stats64's first eight fields (rx/tx packets, bytes, errors, dropped)."""
    rx_packets, tx_packets, rx_bytes, tx_bytes, rx_errors, tx_errors, rx_dropped, tx_dropped = (
        values
    )
    return LinkCounters(
        rx_bytes, tx_bytes, rx_packets, tx_packets, rx_errors, tx_errors, rx_dropped, tx_dropped
    )


def _kind_of(message: bytes, start: int, end: int) -> str:
    for kind, payload, stop in _attrs(message, start, end):
        if kind == IFLA_INFO_KIND:
            return clean(message[payload:stop].rstrip(b"\0"))
    return ""


def fallback_kind(arphrd: int) -> str:
    """A link's kind from its ARPHRD type, for links without ``IFLA_INFO_KIND``."""
    if arphrd == ARPHRD_LOOPBACK:
        return "loopback"
    if arphrd == ARPHRD_ETHER:
        return "ether"
    if arphrd == ARPHRD_NONE:
        return "none"
    return ""


def parse_link(message: bytes) -> LinkRecord | None:
    """An RTM_NEWLINK (dump answer or notification) or RTM_DELLINK message.

    Only the link itself (``AF_UNSPEC``): a bridge's notices about its ports
    (``AF_BRIDGE``) carry a few attributes and are not a link's description.
    """
    if len(message) < _HDR + _IFINFO.size:
        return None
    length, msgtype = nl.HEADER.unpack_from(message, 0)[:2]
    if msgtype not in (nl.RTM_NEWLINK, nl.RTM_DELLINK):
        return None
    family, arphrd, index, _flags, _change = _IFINFO.unpack_from(message, _HDR)
    if family != socket.AF_UNSPEC:
        return None
    end = min(len(message), length)
    name: bytes = b""
    kind = ""
    state = ""
    master: int | None = None
    netnsid: int | None = None
    mac = ""
    counters: LinkCounters | None = None
    unpack = _ATTR.unpack_from
    offset = _HDR + _IFINFO.size
    # inlined attribute walk: a link has about 45 of them, a sweep may read 1,000 links
    while offset + 4 <= end:
        size, attr = unpack(message, offset)
        if size < 4 or offset + size > end:
            break
        attr &= _NLA_TYPE_MASK
        payload = offset + 4
        if attr == IFLA_IFNAME:
            name = message[payload : offset + size].rstrip(b"\0")
        elif attr == IFLA_STATS64 and size - 4 >= _COUNTERS.size:
            counters = counters_from(_COUNTERS.unpack_from(message, payload))
        elif attr == IFLA_LINK_NETNSID and size >= 8:
            netnsid = _I32.unpack_from(message, payload)[0]
        elif attr == IFLA_MASTER and size >= 8:
            master = _U32.unpack_from(message, payload)[0] or None
        elif attr == IFLA_OPERSTATE and size >= 5:
            code = message[payload]
            state = OPERSTATES[code] if code < len(OPERSTATES) else str(code)
        elif attr == IFLA_ADDRESS:
            mac = message[payload : offset + size].hex(":")
        elif attr == IFLA_LINKINFO:
            kind = _kind_of(message, payload, offset + size)
        offset += (size + 3) & ~3
    return LinkRecord(
        index=index,
        name=_name(name),
        kind=kind or fallback_kind(arphrd),
        state=state,
        master=master,
        link_netnsid=netnsid,
        mac=mac,
        counters=counters,
    )


@functools.lru_cache(maxsize=8192)
def _name(raw: bytes) -> str:
    """A cleaned interface name (the same names come back at every dump)."""
    return clean(raw)


def parse_stats_raw(message: bytes) -> tuple[int, tuple[int, ...]] | None:
    """An RTM_NEWSTATS message: (ifindex, rtnl_link_stats64's first eight fields as a
    tuple: rx/tx packets, rx/tx bytes, rx/tx errors, rx/tx dropped), or None without
    64-bit link stats.  The sweep's fast path (:func:`counters_from` makes them counters)."""
    if len(message) < _STATS_AT + _COUNTERS.size:
        return None
    length, msgtype = nl.HEADER.unpack_from(message, 0)[:2]
    if msgtype != nl.RTM_NEWSTATS:
        return None
    _family, index, _mask = _STATSMSG.unpack_from(message, _HDR)
    size, attr = _ATTR.unpack_from(message, _HDR + _STATSMSG.size)
    if attr & _NLA_TYPE_MASK == nl.IFLA_STATS_LINK_64 and size >= 4 + _COUNTERS.size:
        return index, _COUNTERS.unpack_from(message, _STATS_AT)  # the usual, only attribute
    end = min(len(message), length)
    for attr, payload, stop in _attrs(message, _HDR + _STATSMSG.size, end):
        if attr == nl.IFLA_STATS_LINK_64 and stop - payload >= _COUNTERS.size:
            return index, _COUNTERS.unpack_from(message, payload)
    return None


def parse_nsid(message: bytes) -> int | None:
    """An RTM_NEWNSID answer: the id, or None when the namespace has none here."""
    if len(message) < _HDR + 4 or nl.message_type(message) != nl.RTM_NEWNSID:
        return None
    end = min(len(message), nl.HEADER.unpack_from(message, 0)[0])
    for attr, payload, stop in _attrs(message, _HDR + 4, end):
        if attr == nl.NETNSA_NSID and stop - payload >= 4:
            nsid: int = struct.unpack_from("=i", message, payload)[0]
            return None if nsid == nl.NSID_NOT_ASSIGNED else nsid
    return None


def host_view(counters: LinkCounters) -> LinkCounters:
    """A host-side veth's counters from the container's point of view (rx <-> tx)."""
    return LinkCounters(
        rx_bytes=counters.tx_bytes,
        tx_bytes=counters.rx_bytes,
        rx_packets=counters.tx_packets,
        tx_packets=counters.rx_packets,
        rx_errors=counters.tx_errors,
        tx_errors=counters.rx_errors,
        rx_dropped=counters.tx_dropped,
        tx_dropped=counters.rx_dropped,
    )


def group_by_nsid(links: Iterable[LinkRecord]) -> dict[int, list[LinkRecord]]:
    """Links whose peer (or lower link) is in another namespace, by that namespace's id."""
    by_nsid: dict[int, list[LinkRecord]] = {}
    for link in links:
        if link.link_netnsid is not None:
            by_nsid.setdefault(link.link_netnsid, []).append(link)
    for found in by_nsid.values():
        found.sort(key=lambda link: link.index)
    return by_nsid


def match_links(
    links: Iterable[LinkRecord], nsids: Mapping[str, int | None]
) -> dict[str, list[LinkRecord]]:
    """The host-side links of each machine: those whose peer lives in its namespace.

    ``nsids`` maps a machine to the id our namespace gives its network
    namespace (None: none assigned, so no link of ours can point there).
    Names play no part: nspawn shortens long ones (``ve-NAME`` is at most 15
    characters) and any link can be called anything.  Machines sharing a
    namespace (the same id) all get its links.
    """
    by_nsid = group_by_nsid(links)
    return {
        name: list(by_nsid[nsid])
        for name, nsid in nsids.items()
        if nsid is not None and nsid in by_nsid
    }
