"""A shell or login in a machine of a remote host: ``ssh -t HOST machinectl shell USER@NAME``.

The :class:`~nspawn_tui.host.machined.attach.ShellAttach` of a remote host:
no file descriptor has to cross the bus.  The ssh runs on the slave side of a
new local PTY and the master goes to the caller, who relays it (``^]^]^]``)
and closes it.

The PTY is the ssh's controlling terminal (``setsid --ctty`` from util-linux
makes it so before ssh starts; no Python runs in the forked child), so:

- the relay's window size changes reach ssh as SIGWINCH, and ssh passes
  them on;
- closing the master hangs the terminal up: ssh gets SIGHUP and ends, and
  the remote ``machinectl`` with it.

Each ssh is awaited by a task of its own, so it is reaped when it ends,
whoever holds the master.  The machine's and the user's names go into a
remote shell line: they are checked here (machined's machine names, POSIX
user names) before anything runs, and every word is quoted by
:meth:`SshTarget.ssh_argv` anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
from collections.abc import Sequence
from typing import Final

from nspawn_tui.host.base import HostError
from nspawn_tui.remote.errors import describe_spawn_error
from nspawn_tui.remote.target import SshTarget

#: A machine name as machined takes it: a host name of letters, digits, '-' and '.'.
MACHINE_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,63}", re.ASCII)
#: A POSIX user name (``useradd``'s rule, with the trailing '$' of machine accounts).
USER_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,30}\$?", re.ASCII)

#: util-linux's ``setsid``: ``--ctty`` makes the PTY the ssh's controlling terminal.
SETSID: Final = "setsid"


def check_machine(name: str) -> None:
    """Raise :class:`HostError` unless ``name`` is a machine name machined could hold."""
    if not MACHINE_NAME.fullmatch(name) or ".." in name:
        raise HostError(f"{name!r} is not a machine name (letters, digits, '-' and '.')")


def check_user(user: str) -> None:
    """Raise :class:`HostError` unless ``user`` is a POSIX user name."""
    if not USER_NAME.fullmatch(user):
        raise HostError(f"{user!r} is not a user name")


class SshShellAttach:
    """``ssh -t HOST machinectl shell|login`` on a local PTY; the master is returned."""

    def __init__(self, target: SshTarget) -> None:
        self.target = target
        self._reapers: set[asyncio.Task[int]] = set()
        self._processes: set[asyncio.subprocess.Process] = set()

    @property
    def pids(self) -> list[int]:
        """The ssh processes still running (tests check none is left)."""
        return [p.pid for p in self._processes if p.returncode is None]

    def shell_argv(self, name: str, user: str, command: Sequence[str]) -> list[str]:
        """The ssh command line of a shell (checked names; every remote word quoted)."""
        check_machine(name)
        check_user(user or "root")
        remote = ["machinectl", "shell", "--", f"{user or 'root'}@{name}", *command]
        return self.target.ssh_argv(remote, tty=True)

    def login_argv(self, name: str) -> list[str]:
        """The ssh command line of a login prompt."""
        check_machine(name)
        return self.target.ssh_argv(["machinectl", "login", "--", name], tty=True)

    async def open_shell(self, name: str, user: str, command: Sequence[str]) -> int:
        return await self._open(self.shell_argv(name, user, command), f"shell in {name}")

    async def open_login(self, name: str) -> int:
        return await self._open(self.login_argv(name), f"login to {name}")

    async def close(self) -> None:
        """Hang up every ssh still running (SIGHUP, as closing its terminal would) and reap it."""
        for process in list(self._processes):
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGHUP)
        for task in list(self._reapers):
            await task

    async def _open(self, argv: list[str], what: str) -> int:
        setsid = shutil.which(SETSID)
        if setsid is None:
            raise HostError(f"{what}: setsid (util-linux) is needed here for a remote shell")
        if shutil.which(argv[0]) is None:  # setsid would only say so on the PTY
            error = FileNotFoundError(2, "No such file or directory", argv[0])
            raise HostError(f"{what}: {describe_spawn_error(error, argv[0])}")
        master, slave = os.openpty()
        try:
            process = await asyncio.create_subprocess_exec(
                setsid, "--ctty", *argv, stdin=slave, stdout=slave, stderr=slave
            )
        except OSError as exc:
            os.close(master)
            raise HostError(f"{what}: {describe_spawn_error(exc, argv[0])}") from None
        finally:
            os.close(slave)
        self._processes.add(process)
        reaper = asyncio.get_running_loop().create_task(self._reap(process))
        self._reapers.add(reaper)
        reaper.add_done_callback(self._reapers.discard)
        return master

    async def _reap(self, process: asyncio.subprocess.Process) -> int:
        try:
            return await process.wait()
        finally:
            self._processes.discard(process)
