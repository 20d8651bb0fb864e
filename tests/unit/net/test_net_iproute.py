"""The detail's pyroute2 reads (nspawn_tui.net.iproute): its socket, errors and retries."""

from __future__ import annotations

import errno
import socket
from typing import Any

import pytest
from pyroute2.netlink.exceptions import NetlinkDumpInterrupted, NetlinkError

from nspawn_tui.net import iproute
from nspawn_tui.net.namespace import netlink_socket


def test_our_own_namespace_through_a_socket_handed_to_pyroute2() -> None:
    sock = netlink_socket()
    with iproute.iproute(sock) as ipr:
        links, addresses = iproute.dump(ipr)
        by_name = {link.name: link for link in links}
        again = iproute.get_links(ipr, [by_name["lo"].index, 2**31 - 1])  # the second: none
    assert sock.fileno() == -1  # closed with the IPRoute
    assert by_name["lo"].kind == "loopback" and by_name["lo"].counters is not None
    assert [link.index for link in links] == sorted(link.index for link in links)
    assert list(again) == [by_name["lo"].index] and again[by_name["lo"].index].name == "lo"
    if by_name["lo"].state != "down":
        assert "127.0.0.1/8" in addresses[by_name["lo"].index]


class Interrupting:
    """An IPRoute whose link dumps are interrupted ``times`` times."""

    def __init__(self, times: int) -> None:
        self.times = times

    def link(self, command: str, **kwarg: Any) -> list[Any]:
        if self.times:
            self.times -= 1
            raise NetlinkDumpInterrupted()
        return []

    def addr(self, command: str) -> list[Any]:
        return []


def test_an_interrupted_dump_is_read_once_more() -> None:
    assert iproute.dump(Interrupting(1)) == ([], {})
    with pytest.raises(NetlinkDumpInterrupted):
        iproute.dump(Interrupting(2))


def test_pyroute2_errors_leave_as_os_errors() -> None:
    with pytest.raises(OSError) as raised, iproute.iproute():
        raise NetlinkError(errno.EPERM)
    assert raised.value.errno == errno.EPERM
    with pytest.raises(OSError) as raised, iproute.iproute():
        iproute.dump(Interrupting(2))  # links kept changing: try again later
    assert raised.value.errno == errno.EAGAIN


def test_the_handed_socket_is_closed_when_pyroute2_refuses_it() -> None:
    wrong = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # not a netlink datagram socket
    with pytest.raises(ValueError), iproute.iproute(wrong):
        pass
    assert wrong.fileno() == -1
