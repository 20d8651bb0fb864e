"""Small helpers over dbus-next's low-level API: calls, property reads, errors.

The proxy-object API of dbus-next introspects every object first; on a poll
path that is one extra round trip per machine, so we send messages directly.
"""

from __future__ import annotations

import os
from typing import Any, Final

from dbus_next import BusType, Message, MessageType
from dbus_next.aio import MessageBus
from dbus_next.errors import AuthError, DBusError, InvalidAddressError

from nspawn_tui.dbus.patient import patient_bus
from nspawn_tui.host.base import HostError, HostUnavailable, NoSuchMachine

MACHINE1: Final = "org.freedesktop.machine1"
MACHINE1_PATH: Final = "/org/freedesktop/machine1"
MACHINE1_MANAGER: Final = "org.freedesktop.machine1.Manager"
MACHINE1_MACHINE: Final = "org.freedesktop.machine1.Machine"
SYSTEMD1: Final = "org.freedesktop.systemd1"
SYSTEMD1_PATH: Final = "/org/freedesktop/systemd1"
SYSTEMD1_MANAGER: Final = "org.freedesktop.systemd1.Manager"
PROPERTIES: Final = "org.freedesktop.DBus.Properties"
DBUS: Final = "org.freedesktop.DBus"
DBUS_PATH: Final = "/org/freedesktop/DBus"
UNKNOWN_OBJECT: Final = "org.freedesktop.DBus.Error.UnknownObject"
#: Object paths of machines: an unknown one is a machine that went away.
MACHINE_OBJECT_PREFIX: Final = MACHINE1_PATH + "/machine/"

_GONE_ERRORS: Final = frozenset(
    {
        "org.freedesktop.DBus.Error.ServiceUnknown",
        "org.freedesktop.DBus.Error.NameHasNoOwner",
        "org.freedesktop.DBus.Error.NoReply",
        "org.freedesktop.DBus.Error.Disconnected",
        "org.freedesktop.DBus.Error.TimedOut",
    }
)
_DENIED_ERRORS: Final = frozenset(
    {
        "org.freedesktop.DBus.Error.AccessDenied",
        "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired",
        "org.freedesktop.PolicyKit1.Error.NotAuthorized",
    }
)


def describe_address(address: str | None) -> str:
    """The bus address a connection will use, for messages."""
    if address:
        return address
    return os.environ.get(
        "DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/run/dbus/system_bus_socket (system bus)"
    )


async def connect_system_bus(address: str | None, *, negotiate_unix_fd: bool = True) -> MessageBus:
    """Connect to the system bus (or ``address``); HostUnavailable with a reason."""
    where = describe_address(address)
    try:
        bus = patient_bus(
            bus_address=address, bus_type=BusType.SYSTEM, negotiate_unix_fd=negotiate_unix_fd
        )
        return await bus.connect()
    except FileNotFoundError:
        raise HostUnavailable(f"no system bus at {where} (socket not found)") from None
    except ConnectionRefusedError:
        raise HostUnavailable(f"the system bus at {where} refused the connection") from None
    except PermissionError:
        raise HostUnavailable(
            f"permission denied connecting to the system bus at {where}"
        ) from None
    except (AuthError, InvalidAddressError, OSError, EOFError, ValueError) as exc:
        raise HostUnavailable(f"cannot connect to the system bus at {where}: {exc}") from None


def _service_at(path: str) -> str:
    """Who a person should know is missing, from the object a call went to."""
    if path.startswith(MACHINE1_PATH):
        return "systemd-machined"
    if path.startswith(SYSTEMD1_PATH):
        return "systemd's manager"
    return "the service"


def translate_error(exc: DBusError, what: str, path: str = "") -> HostError:
    """Turn a D-Bus error reply into a HostError whose message a person understands.

    ``path`` is the object the call went to: machined answers UnknownObject
    for a machine object that vanished since it was listed.
    """
    name = exc.type
    text = exc.text or name
    if name == "org.freedesktop.machine1.NoSuchMachine" or name.endswith(".NoSuchMachine"):
        return NoSuchMachine(f"{what}: no such machine ({text})")
    if name == UNKNOWN_OBJECT and path.startswith(MACHINE_OBJECT_PREFIX):
        return NoSuchMachine(f"{what}: the machine is gone ({text})")
    if name in _GONE_ERRORS:
        return HostUnavailable(f"{what}: {_service_at(path)} is not reachable ({text})")
    if name in _DENIED_ERRORS:
        return HostError(
            f"{what}: permission denied by polkit/D-Bus policy ({text}). "
            "Run nspawn-tui as root, or allow the action for your user in a polkit rule."
        )
    if name == "org.freedesktop.systemd1.NoSuchUnit":
        return HostError(f"{what}: unit not found ({text})")
    return HostError(f"{what}: {text}")


async def _exchange(
    bus: MessageBus,
    destination: str,
    path: str,
    interface: str,
    member: str,
    signature: str,
    body: list[Any] | None,
    what: str | None,
) -> Message:
    """Send one method call; the reply, or a translated HostError (fds closed)."""
    if not bus.connected:
        raise HostUnavailable("the connection to the system bus was lost")
    msg = Message(
        destination=destination,
        path=path,
        interface=interface,
        member=member,
        signature=signature,
        body=body or [],
    )
    try:
        reply = await bus.call(msg)
    except (EOFError, OSError) as exc:
        raise HostUnavailable(f"the connection to the system bus was lost ({exc})") from None
    if reply is None:
        raise HostUnavailable(f"{member}: no reply")
    if reply.message_type == MessageType.ERROR:
        for fd in reply.unix_fds or []:
            os.close(fd)
        text = reply.body[0] if reply.body and isinstance(reply.body[0], str) else ""
        error = DBusError(reply.error_name or "unknown", text, reply)
        raise translate_error(error, what or member, path)
    return reply


async def call(
    bus: MessageBus,
    destination: str,
    path: str,
    interface: str,
    member: str,
    signature: str = "",
    body: list[Any] | None = None,
    *,
    what: str | None = None,
) -> list[Any]:
    """One method call; returns the reply body or raises a translated HostError."""
    reply = await _exchange(bus, destination, path, interface, member, signature, body, what)
    return list(reply.body)


async def get_all(
    bus: MessageBus, destination: str, path: str, interface: str, *, what: str | None = None
) -> dict[str, Any]:
    """All properties of one interface, unwrapped from their Variants."""
    body = await call(bus, destination, path, PROPERTIES, "GetAll", "s", [interface], what=what)
    return {key: variant.value for key, variant in body[0].items()}


async def get_property(
    bus: MessageBus, destination: str, path: str, interface: str, name: str
) -> Any:
    body = await call(bus, destination, path, PROPERTIES, "Get", "ss", [interface, name])
    return body[0].value


async def name_has_owner(bus: MessageBus, name: str) -> bool:
    body = await call(bus, DBUS, DBUS_PATH, DBUS, "NameHasOwner", "s", [name])
    return bool(body[0])


async def call_with_fds(
    bus: MessageBus,
    destination: str,
    path: str,
    interface: str,
    member: str,
    signature: str = "",
    body: list[Any] | None = None,
    *,
    what: str | None = None,
) -> tuple[list[Any], list[int]]:
    """Like :func:`call`, for replies that carry unix file descriptors.

    dbus-next leaves 'h' values in a low-level reply as indexes into
    ``unix_fds``; the caller owns (and must close) every descriptor returned.
    """
    reply = await _exchange(bus, destination, path, interface, member, signature, body, what)
    return list(reply.body), list(reply.unix_fds or [])
