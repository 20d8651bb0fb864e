"""A small NETLINK_ROUTE socket for the sweep: dumps, single requests, link notifications.

The sweep reads every link's counters at every poll and, at its first poll
(or after lost notifications), the whole link table.  pyroute2's message
classes turn every attribute of every message into an object: 160-380 ms to
decode a 1,000-link table here, against 14-21 ms for :mod:`nspawn_tui.net.links`,
which reads the few attributes a sweep needs with :mod:`struct`.  So this
socket is a plain :mod:`socket` one; one machine's detail uses pyroute2
(:mod:`nspawn_tui.net.iproute`).  Errors are :class:`OSError`.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
from typing import Final

NETLINK_ROUTE: Final = 0
RTMGRP_LINK: Final = 1  # multicast group of link changes (RTM_NEWLINK/RTM_DELLINK)

NLMSG_ERROR: Final = 2
NLMSG_DONE: Final = 3
NLM_F_REQUEST: Final = 0x1
NLM_F_MULTI: Final = 0x2
NLM_F_DUMP_INTR: Final = 0x10
NLM_F_DUMP: Final = 0x300

RTM_NEWLINK: Final = 16
RTM_DELLINK: Final = 17
RTM_GETLINK: Final = 18
RTM_NEWNSID: Final = 88
RTM_GETNSID: Final = 90
RTM_NEWSTATS: Final = 92
RTM_GETSTATS: Final = 94

NETNSA_NSID: Final = 1
NETNSA_FD: Final = 3
NSID_NOT_ASSIGNED: Final = -1
IFLA_STATS_LINK_64: Final = 1

HEADER: Final = struct.Struct("=IHHII")  # nlmsghdr: length, type, flags, seq, pid
RECV_SIZE: Final = 1 << 16
RCVBUF: Final = 1 << 20  # room for a burst of link notifications


def _header(length: int, msgtype: int, flags: int, seq: int) -> bytes:
    return HEADER.pack(HEADER.size + length, msgtype, flags, seq, 0)


def attr(kind: int, payload: bytes) -> bytes:
    """One netlink attribute (header, payload, padding to 4 bytes)."""
    size = 4 + len(payload)
    return struct.pack("=HH", size, kind) + payload + b"\0" * (-size % 4)


def link_dump_request() -> bytes:
    """The body of an RTM_GETLINK dump: an empty ifinfomsg (no VF details)."""
    return struct.pack("=BxHiII", socket.AF_UNSPEC, 0, 0, 0, 0)


def stats_request() -> bytes:
    """The body of an RTM_GETSTATS dump asking for ``rtnl_link_stats64`` only."""
    return struct.pack("=BxxxII", socket.AF_UNSPEC, 0, 1 << (IFLA_STATS_LINK_64 - 1))


def nsid_request(netns_fd: int) -> bytes:
    """The body of RTM_GETNSID: which id our namespace gives the one at ``netns_fd``."""
    return struct.pack("=Bxxx", socket.AF_UNSPEC) + attr(NETNSA_FD, struct.pack("=I", netns_fd))


class RouteSocket:
    """One NETLINK_ROUTE socket, in the network namespace of the thread that made it.

    ``groups`` subscribes to multicast groups (:data:`RTMGRP_LINK`); such a
    socket is non-blocking and read with :meth:`drain`.  Not thread-safe:
    its owner serialises the calls.
    """

    def __init__(self, groups: int = 0) -> None:
        self._sock = socket.socket(
            socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, NETLINK_ROUTE
        )
        try:
            if groups:
                self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
            self._sock.bind((0, groups))
            if groups:
                self._sock.setblocking(False)
        except OSError:
            self._sock.close()
            raise
        self._seq = 0

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> RouteSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fileno(self) -> int:
        return self._sock.fileno()

    def _send(self, msgtype: int, flags: int, body: bytes) -> int:
        self._seq += 1
        self._sock.send(_header(len(body), msgtype, flags, self._seq) + body)
        return self._seq

    def dump(self, msgtype: int, body: bytes) -> tuple[list[bytes], bool]:
        """Every message of a dump, each as its own ``bytes``; and whether the
        kernel flagged the dump as interrupted (inconsistent: read it again later)."""
        seq = self._send(msgtype, NLM_F_REQUEST | NLM_F_DUMP, body)
        messages: list[bytes] = []
        interrupted = False
        unpack = HEADER.unpack_from
        while True:
            data = self._sock.recv(RECV_SIZE)
            offset, end = 0, len(data)
            while offset + HEADER.size <= end:
                length, kind, flags, msg_seq, _pid = unpack(data, offset)
                if length < HEADER.size or offset + length > end:
                    raise OSError(errno.EBADMSG, "truncated netlink message")
                if msg_seq == seq:
                    if kind == NLMSG_DONE:
                        return messages, interrupted or bool(flags & NLM_F_DUMP_INTR)
                    if kind == NLMSG_ERROR:
                        _raise_error(data, offset)
                    interrupted = interrupted or bool(flags & NLM_F_DUMP_INTR)
                    messages.append(data[offset : offset + length])
                offset += (length + 3) & ~3

    def request(self, msgtype: int, body: bytes) -> bytes:
        """Send one (non-dump) request and return its one answer."""
        seq = self._send(msgtype, NLM_F_REQUEST, body)
        while True:
            data = self._sock.recv(RECV_SIZE)
            offset, end = 0, len(data)
            while offset + HEADER.size <= end:
                length, kind, _flags, msg_seq, _pid = HEADER.unpack_from(data, offset)
                if length < HEADER.size or offset + length > end:
                    raise OSError(errno.EBADMSG, "truncated netlink message")
                if msg_seq == seq:
                    if kind == NLMSG_ERROR:
                        _raise_error(data, offset)
                    return data[offset : offset + length]
                offset += (length + 3) & ~3

    def drain(self) -> tuple[list[bytes], bool]:
        """Notifications waiting on a subscribed socket, and whether some were lost
        (the receive buffer overflowed: the caller must read the full state again)."""
        messages: list[bytes] = []
        while True:
            try:
                data = self._sock.recv(RECV_SIZE)
            except BlockingIOError:
                return messages, False
            except OSError as error:
                if error.errno == errno.ENOBUFS:
                    return messages, True
                raise
            offset, end = 0, len(data)
            while offset + HEADER.size <= end:
                length = HEADER.unpack_from(data, offset)[0]
                if length < HEADER.size or offset + length > end:
                    return messages, True
                messages.append(data[offset : offset + length])
                offset += (length + 3) & ~3


def _raise_error(data: bytes, offset: int) -> None:
    (code,) = struct.unpack_from("=i", data, offset + HEADER.size)
    if code == 0:
        raise OSError(errno.EBADMSG, "unexpected netlink acknowledgement")
    raise OSError(-code, os.strerror(-code))


def message_type(message: bytes) -> int:
    """The ``nlmsg_type`` of one message."""
    return int(HEADER.unpack_from(message, 0)[1])
