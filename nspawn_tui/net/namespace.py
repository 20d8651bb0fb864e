"""A machine's network namespace: is it ours, which id do we give it, and a socket inside.

A namespace is named by its leader's ``/proc/PID/ns/net``.  Our own (and PID
1's) identify a host-networked container; for the others the id our
namespace gives theirs (``RTM_GETNSID``) is what a host-side veth carries as
``IFLA_LINK_NETNSID``.  :func:`made_inside` makes something (a socket) that
lives in the machine's namespace: a short-lived thread enters it
(``setns``), makes it and leaves; a socket stays bound to the namespace it
was made in, and no thread of ours is ever left inside.  :func:`open_inside`
makes the netlink socket the detail hands to pyroute2 (whose own way into a
namespace, ``IPRoute(netns=...)``, forks a child to make the socket).
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol, TypeVar, cast

from nspawn_tui.net import netlink as nl
from nspawn_tui.net.links import parse_nsid

PROC: Final = Path("/proc")
CLONE_NEWNET: Final = 0x40000000


@dataclass(frozen=True, slots=True)
class Namespace:
    """What is known of one leader's network namespace."""

    leader: int
    ident: tuple[int, int] | None = None  # (st_dev, st_ino) of the nsfs inode
    host: bool = False  # the host's namespace (ours or PID 1's)
    nsid: int | None = None  # our id for it; None: not assigned (no link of ours points there)
    error: str = ""  # why it could not be read ("" when it was)


def _ident(path: Path) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_dev, info.st_ino


def host_namespaces(proc: Path = PROC) -> frozenset[tuple[int, int]]:
    """Our network namespace and PID 1's (when readable)."""
    found = {_ident(proc / "self" / "ns" / "net")}
    try:
        found.add(_ident(proc / "1" / "ns" / "net"))
    except OSError:
        pass  # PID 1's namespace is not ours to read (not root): ours is enough
    return frozenset(found)


def _describe(error: OSError) -> str:
    return os.strerror(error.errno) if error.errno else str(error)


def resolve(
    leader: int,
    sock: nl.RouteSocket,
    host: frozenset[tuple[int, int]],
    proc: Path = PROC,
) -> Namespace:
    """The namespace of ``leader`` (never raises for a vanished or unreadable leader)."""
    try:
        fd = os.open(proc / str(leader) / "ns" / "net", os.O_RDONLY | os.O_CLOEXEC)
    except (FileNotFoundError, ProcessLookupError):
        return Namespace(leader, error=f"leader process {leader} is gone")
    except OSError as error:
        return Namespace(leader, error=f"cannot open the namespace of {leader}: {_describe(error)}")
    try:
        info = os.fstat(fd)
        ident = (info.st_dev, info.st_ino)
        if ident in host:
            return Namespace(leader, ident, host=True)
        try:
            nsid = parse_nsid(sock.request(nl.RTM_GETNSID, nl.nsid_request(fd)))
        except OSError as error:
            return Namespace(leader, ident, error=f"no namespace id: {_describe(error)}")
        return Namespace(leader, ident, nsid=nsid)
    finally:
        os.close(fd)


def _setns_function() -> Callable[[int, int], int]:
    import ctypes  # here: 5 ms of start-up otherwise, for a call only the details make

    # the interpreter's own symbols include libc's (find_library would run ldconfig)
    libc = ctypes.CDLL(None, use_errno=True)
    function = libc.setns
    function.argtypes = (ctypes.c_int, ctypes.c_int)
    function.restype = ctypes.c_int
    return cast("Callable[[int, int], int]", function)


_SETNS: list[Callable[[int, int], int]] = []  # libc's, loaded at the first use


def setns(fd: int) -> None:
    """Move the calling thread into the network namespace at ``fd``."""
    if hasattr(os, "setns"):  # Python 3.12
        os.setns(fd, CLONE_NEWNET)
        return
    if not _SETNS:
        _SETNS.append(_setns_function())
    if _SETNS[0](fd, CLONE_NEWNET) != 0:
        import ctypes

        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


class _Closeable(Protocol):
    def close(self) -> None: ...


_Made = TypeVar("_Made", bound=_Closeable)


def made_inside(leader: int, make: Callable[[], _Made], proc: Path = PROC) -> _Made:
    """``make()``, called by a short-lived thread inside ``leader``'s network namespace
    (OSError when entering or leaving fails; what was made is then closed)."""
    target = os.open(proc / str(leader) / "ns" / "net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        home = os.open(proc / "thread-self" / "ns" / "net", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        os.close(target)
        raise
    result: list[_Made] = []
    failure: list[OSError] = []

    def enter() -> None:
        # A thread of its own: if leaving failed, it ends here, inside, harmlessly.
        try:
            setns(target)
        except OSError as error:
            failure.append(error)
            return
        try:
            result.append(make())
        except OSError as error:
            failure.append(error)
        finally:
            try:
                setns(home)
            except OSError as error:
                failure.append(error)

    try:
        thread = threading.Thread(target=enter, name="nspawn-tui-netns", daemon=True)
        thread.start()
        thread.join()  # setns() and socket() do not block
    finally:
        os.close(target)
        os.close(home)
    if failure:
        for made in result:
            made.close()
        raise failure[0]
    return result[0]


def netlink_socket() -> socket.socket:
    """An unbound NETLINK_ROUTE datagram socket, the kind pyroute2's ``use_socket`` takes."""
    return socket.socket(
        socket.AF_NETLINK, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC, nl.NETLINK_ROUTE
    )


def open_inside(leader: int, proc: Path = PROC) -> socket.socket:
    """A NETLINK_ROUTE socket in ``leader``'s network namespace (OSError when that fails)."""
    return made_inside(leader, netlink_socket, proc)
