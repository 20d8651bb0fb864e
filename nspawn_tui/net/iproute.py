"""The detail's netlink reads, through pyroute2: one machine's links and addresses.

A machine's detail reads a handful of links (the host ends of its veths and
their bridge, or the interfaces its namespace holds) with pyroute2's
``IPRoute``, and turns its decoded messages into
:class:`~nspawn_tui.net.links.LinkRecord` and addresses.  pyroute2 is
imported here, at the first detail (about 150 ms, in the detail's worker
thread), never on the app's start path.

One ``IPRoute`` per read, made, used and closed in the calling thread: its
socket and event loop are per thread (a second thread using it would
silently get a socket of its own, in that thread's namespace), and the
synchronous ``IPRoute`` runs its own event loop, so the calling thread must
not be running one (the Host calls the reader through ``asyncio.to_thread``).
For another namespace it is given a socket made there
(:func:`~nspawn_tui.net.namespace.open_inside`); ``IPRoute(netns=...)``
would fork a child to make it.  pyroute2's errors leave as :class:`OSError`.
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Final

from nspawn_tui.host.network import LinkCounters
from nspawn_tui.net.links import LinkRecord, fallback_kind
from nspawn_tui.safe import clean

COUNTERS: Final = (
    "rx_bytes", "tx_bytes", "rx_packets", "tx_packets",
    "rx_errors", "tx_errors", "rx_dropped", "tx_dropped",
)  # fmt: skip


def _text(value: object) -> str:
    """A decoded attribute as cleaned text ("" when absent or not decodable)."""
    if isinstance(value, (str, bytes)):
        return clean(value)
    return ""


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None


def link_record(msg: Any) -> LinkRecord:
    """A link from pyroute2's decoded ``ifinfmsg`` (an RTM_NEWLINK message)."""
    stats = msg.get("stats64")
    counters = (
        LinkCounters(**{name: int(stats[name]) for name in COUNTERS})
        if isinstance(stats, dict) and all(name in stats for name in COUNTERS)
        else None
    )
    master = _int(msg.get("master"))
    return LinkRecord(
        index=int(msg["index"]),
        name=_text(msg.get("ifname")),
        kind=_text(msg.get(("linkinfo", "kind"))) or fallback_kind(int(msg["ifi_type"])),
        state=_text(msg.get("operstate")).lower(),
        master=master or None,
        link_netnsid=_int(msg.get("link_netnsid")),
        mac=_text(msg.get("address")),
        counters=counters,
    )


def address(msg: Any) -> tuple[int, str] | None:
    """(ifindex, "address/prefix") from pyroute2's decoded ``ifaddrmsg``.

    IPv4: ``IFA_LOCAL`` is the interface's own address (``IFA_ADDRESS`` the
    peer's on a point-to-point link); IPv6 has only ``IFA_ADDRESS``.
    """
    if msg["family"] not in (socket.AF_INET, socket.AF_INET6):
        return None
    own = msg.get("local") or msg.get("address")
    if not isinstance(own, str) or not own:
        return None
    return int(msg["index"]), f"{clean(own)}/{int(msg['prefixlen'])}"


def _as_os_error(error: Exception, interrupted: type[Exception]) -> OSError:
    code = getattr(error, "code", None)
    if isinstance(code, int) and code > 0:
        return OSError(code, os.strerror(code))
    if isinstance(error, interrupted):  # a dump that links kept changing under
        return OSError(errno.EAGAIN, os.strerror(errno.EAGAIN))
    return OSError(errno.EBADMSG, f"netlink: {clean(str(error)) or type(error).__name__}")


@contextmanager
def iproute(sock: socket.socket | None = None) -> Iterator[Any]:
    """pyroute2's ``IPRoute`` (no multicast groups) on ``sock``, or on a socket of its
    own in the calling thread's namespace; closed (with ``sock``) on the way out."""
    try:
        from pyroute2 import IPRoute  # here: 150 ms of import, only for the detail
        from pyroute2.netlink.exceptions import (
            NetlinkDecodeError,
            NetlinkDumpInterrupted,
            NetlinkError,
        )

        ipr = IPRoute(groups=0, use_socket=sock)
    except BaseException:
        if sock is not None:
            sock.close()  # it was ours to hand over
        raise
    try:
        yield ipr
    except (NetlinkError, NetlinkDecodeError) as error:
        raise _as_os_error(error, NetlinkDumpInterrupted) from error
    finally:
        ipr.close()


def dump(ipr: Any) -> tuple[list[LinkRecord], dict[int, list[str]]]:
    """Every link of the socket's namespace (by ifindex) and its addresses."""
    from pyroute2.netlink.exceptions import NetlinkDumpInterrupted

    try:
        return _dump(ipr)
    except NetlinkDumpInterrupted:
        return _dump(ipr)  # links changed meanwhile: once more (then iproute() says why)


def _dump(ipr: Any) -> tuple[list[LinkRecord], dict[int, list[str]]]:
    links = sorted((link_record(msg) for msg in ipr.link("dump")), key=_index)
    addresses: dict[int, list[str]] = {}
    for msg in ipr.addr("dump"):
        item = address(msg)
        if item is not None:
            addresses.setdefault(item[0], []).append(item[1])
    return links, addresses


def _index(link: LinkRecord) -> int:
    return link.index


def get_links(ipr: Any, indexes: Iterable[int]) -> dict[int, LinkRecord]:
    """These links of the socket's namespace, by ifindex (those gone are left out)."""
    from pyroute2.netlink.exceptions import NetlinkError

    found: dict[int, LinkRecord] = {}
    for index in indexes:
        try:
            (msg,) = ipr.link("get", index=index)
        except NetlinkError as error:
            if error.code in (errno.ENODEV, errno.ENOENT):
                continue  # the link went away since the table was read
            raise
        found[index] = link_record(msg)
    return found
