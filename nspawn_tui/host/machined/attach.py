"""The attach seam: how the machined host opens a shell or a login in a machine.

:class:`~nspawn_tui.host.machined.host.MachinedHost` hands ``open_shell`` and
``open_login`` (after the read-only check) to its :class:`ShellAttach`, which
returns the master side of a PTY; the caller relays it and closes it.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from dbus_next.aio import MessageBus

from nspawn_tui.host.base import HostUnavailable
from nspawn_tui.host.machined import bus as du


class ShellAttach(Protocol):
    """Opens a PTY connected to a shell or a login prompt in a running machine.

    A remote implementation runs ``ssh -t HOST machinectl shell USER@NAME
    COMMAND`` (or ``machinectl login NAME``) on a local PTY and returns that
    PTY's master: no file descriptor has to cross the bus.
    """

    async def open_shell(self, name: str, user: str, command: Sequence[str]) -> int:
        """The PTY master of ``command`` (the user's shell if empty) run as ``user``."""
        ...

    async def open_login(self, name: str) -> int:
        """The PTY master of a login prompt in ``name``."""
        ...


class MachinedShellAttach:
    """machined's ``OpenMachineShell``/``OpenMachineLogin``: a PTY passed over D-Bus.

    ``bus`` gives the connected bus (reconnecting if needed); it must pass
    unix file descriptors.
    """

    def __init__(self, bus: Callable[[], Awaitable[MessageBus]]) -> None:
        self._bus = bus

    async def open_shell(self, name: str, user: str, command: Sequence[str]) -> int:
        argv = list(command)
        path = argv[0] if argv else ""
        env = [f"TERM={os.environ.get('TERM', 'xterm-256color')}"]
        return await self._open_pty(
            "OpenMachineShell", "sssasas", [name, user or "root", path, argv, env],
            f"shell in {name}",
        )  # fmt: skip

    async def open_login(self, name: str) -> int:
        return await self._open_pty("OpenMachineLogin", "s", [name], f"login to {name}")

    async def _open_pty(self, member: str, signature: str, body: list[Any], what: str) -> int:
        bus = await self._bus()
        reply, fds = await du.call_with_fds(
            bus, du.MACHINE1, du.MACHINE1_PATH, du.MACHINE1_MANAGER, member, signature, body,
            what=what,
        )  # fmt: skip
        if not fds:
            raise HostUnavailable(
                f"{what}: no file descriptor in the reply (the bus does not pass unix fds)"
            )
        index = int(reply[0])
        master = fds[index]
        for i, fd in enumerate(fds):
            if i != index:
                os.close(fd)
        return master
