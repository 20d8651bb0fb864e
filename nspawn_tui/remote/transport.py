"""The bus of a remote host: D-Bus over the stdin/stdout of ``ssh HOST systemd-stdio-bridge``.

What ``machinectl -H HOST`` does: ``systemd-stdio-bridge`` on the far side
connects to that host's system bus and relays it over its stdin/stdout, an
sd-bus server that accepts any client (anonymous authentication), so
dbus-next's usual ``EXTERNAL`` with our uid is accepted.  Nothing is
installed there; no unix fds cross (``negotiate_unix_fd=False``).

dbus-next 0.2.3 connects only to addresses, so each connection makes a
listening unix socket in a private (0700) temporary directory, lets the
:class:`MessageBus` constructor connect to it (the backlog takes it),
accepts that one connection, removes the socket and the directory, and
gives the accepted end to ssh as its stdin and stdout.  ssh's stderr is
kept (the last :data:`STDERR_LIMIT` bytes) for :func:`.errors.describe_ssh_failure`.

The ssh never outlives its bus: a failed or timed-out connect kills and
reaps it; a bus that disconnects (closed by the host, or EOF because ssh
died) ends it too; :meth:`SshBusTransport.close` ends the current one.
When ssh dies mid-session its words are in :attr:`SshBusTransport.last_error`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import tempfile
from typing import Final

from dbus_next.aio import MessageBus

from nspawn_tui.dbus.patient import patient_bus
from nspawn_tui.host.base import HostUnavailable
from nspawn_tui.remote.errors import describe_spawn_error, describe_ssh_failure
from nspawn_tui.remote.target import SshTarget

#: Seconds for ssh to connect and the bridge to answer Hello.
CONNECT_TIMEOUT: Final = 15.0
#: Bytes of ssh's stderr kept (the end: its last lines say why).
STDERR_LIMIT: Final = 8192
#: Seconds an ssh gets after SIGTERM before SIGKILL.
KILL_GRACE: Final = 2.0
#: Seconds to let ssh finish writing its reason after it exited.
STDERR_GRACE: Final = 0.5

BRIDGE: Final = "systemd-stdio-bridge"


class _Link:
    """One ssh running the bridge, with its stderr collected."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.bus: MessageBus | None = None
        self.stderr = bytearray()
        self.reader = asyncio.get_running_loop().create_task(self._read_stderr())
        self.watcher: asyncio.Task[None] | None = None

    async def _read_stderr(self) -> None:
        stream = self.process.stderr
        if stream is None:
            return
        while chunk := await stream.read(4096):
            self.stderr += chunk
            if len(self.stderr) > STDERR_LIMIT:
                del self.stderr[: len(self.stderr) - STDERR_LIMIT]

    def text(self) -> str:
        return self.stderr.decode("utf-8", "replace")

    async def settle(self) -> None:
        """Give the stderr reader a moment to take ssh's last words after it exited."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.reader), STDERR_GRACE)

    async def end(self) -> None:
        """SIGTERM, then SIGKILL after :data:`KILL_GRACE`; reaped either way."""
        process = self.process
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                await asyncio.wait_for(process.wait(), KILL_GRACE)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        await self.settle()
        if not self.reader.done():
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader


class SshBusTransport:
    """A :class:`~nspawn_tui.host.machined.transport.BusTransport` through ``ssh HOST``."""

    def __init__(self, target: SshTarget, *, timeout: float = CONNECT_TIMEOUT) -> None:
        self.target = target
        self.timeout = timeout
        self._links: set[_Link] = set()
        self._watchers: dict[MessageBus, asyncio.Task[None]] = {}
        self._last_error: str | None = None

    @property
    def description(self) -> str:
        target = self.target
        where = f"{target.user}@{target.host}" if target.user else target.host
        return f"ssh {where}:{target.port}" if target.port else f"ssh {where}"

    @property
    def last_error(self) -> str | None:
        """Why the last connection failed or was lost (ssh's words); None while all is well."""
        return self._last_error

    @property
    def pids(self) -> list[int]:
        """The ssh processes still running (tests check none is left)."""
        return [link.process.pid for link in self._links if link.process.returncode is None]

    async def connect(self) -> MessageBus:
        bus, server = _socket_bus()
        try:
            link = await self._spawn(server)
        except BaseException:
            _drop(bus)
            raise
        finally:
            server.close()
        self._links.add(link)
        link.bus = bus
        try:
            await self._handshake(bus, link)
        except BaseException:
            _drop(bus)
            await self._forget(link)
            raise
        self._last_error = None
        link.watcher = asyncio.get_running_loop().create_task(self._watch(bus, link))
        self._watchers[bus] = link.watcher
        return bus

    async def loss_reason(self, bus: MessageBus) -> str | None:
        """After ``bus`` disconnected: why, in ssh's words once its ssh has ended (None if
        it was closed on purpose and ssh had nothing to say)."""
        watcher = self._watchers.get(bus)
        if watcher is not None:
            await asyncio.wait({watcher}, timeout=KILL_GRACE * 2 + STDERR_GRACE)
        return self._last_error

    async def close(self) -> None:
        """Close every bus this transport made and end (and reap) their ssh processes."""
        for link in list(self._links):
            if link.bus is not None:
                link.bus.disconnect()  # first: a bus closed on purpose has no error to report
            if link.watcher is not None:
                link.watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await link.watcher
            await self._forget(link)
        self._watchers.clear()

    # ----------------------------------------------------------------- inside

    async def _spawn(self, server: socket.socket) -> _Link:
        argv = self.target.ssh_argv([BRIDGE])
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=server.fileno(),
                stdout=server.fileno(),
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,  # never the app's terminal: ssh cannot prompt on it
            )
        except OSError as exc:
            self._last_error = describe_spawn_error(exc, self.target.ssh)
            raise HostUnavailable(f"{self.target.name}: {self._last_error}") from None
        return _Link(process)

    async def _handshake(self, bus: MessageBus, link: _Link) -> None:
        """Authenticate and say Hello, racing ssh's exit and the timeout.

        Whatever dbus-next raises (an auth error, EOF, an unparsable reply: it
        may raise a bare ``Exception``) is read off the task, never caught
        blindly: the reason shown is ssh's own when ssh has something to say.
        """
        hello = asyncio.ensure_future(bus.connect())
        exited = asyncio.ensure_future(link.process.wait())
        try:
            done, _ = await asyncio.wait(
                {hello, exited}, timeout=self.timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            exited.cancel()
            if not hello.done():
                hello.cancel()
                await asyncio.wait({hello})  # dbus-next's auth loop must not outlive us
        error = None if hello.cancelled() else hello.exception()
        if hello in done and error is None:
            return
        if error is not None and link.process.returncode is None:
            # The bridge or ssh hung up: ssh's stderr says why, once it has ended.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(link.process.wait(), KILL_GRACE)
        if link.process.returncode is not None:
            await link.settle()
        if error is not None and not link.text().strip():
            self._fail(f"the bus handshake failed ({str(error) or type(error).__name__})")
        if link.process.returncode is not None:
            self._fail(describe_ssh_failure(link.text(), link.process.returncode, self.target.name))
        words = describe_ssh_failure(link.text(), None, self.target.name)
        self._fail(f"timed out after {self.timeout:g}s" + (f": {words}" if link.text() else ""))

    def _fail(self, reason: str) -> None:
        self._last_error = reason
        raise HostUnavailable(f"{self.target.name}: {reason}")

    async def _watch(self, bus: MessageBus, link: _Link) -> None:
        """End ssh when the bus goes; note why when ssh went first."""
        lost = asyncio.ensure_future(bus.wait_for_disconnect())
        exited = asyncio.ensure_future(link.process.wait())
        try:
            await asyncio.wait({lost, exited}, return_when=asyncio.FIRST_COMPLETED)
            if not lost.done():
                # ssh's exit seen first: a bus closed on purpose ends ssh too, and its
                # disconnect may be seen just after; wait for it to tell the two apart
                await asyncio.wait({lost}, timeout=KILL_GRACE)
        finally:
            exited.cancel()
            if not lost.done():
                lost.cancel()
        ended = lost.done() and not lost.cancelled()
        failed = ended and lost.exception() is not None
        on_purpose = ended and not failed  # disconnect() was called: nothing to report
        if failed and link.process.returncode is None:
            # EOF from ssh's end usually comes just before its exit is seen: wait for its words.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(link.process.wait(), KILL_GRACE)
        if link.process.returncode is not None and not on_purpose:
            await link.settle()
            self._last_error = describe_ssh_failure(
                link.text(), link.process.returncode, self.target.name
            )
            bus.disconnect()  # it sees EOF anyway; do not wait for it
        elif failed:
            self._last_error = f"the bus connection failed ({lost.exception()})"
        try:
            await self._forget(link)
        finally:
            self._watchers.pop(bus, None)

    async def _forget(self, link: _Link) -> None:
        await link.end()
        self._links.discard(link)


def _socket_bus() -> tuple[MessageBus, socket.socket]:
    """A bus connected to a private socket, and the accepted other end of that connection."""
    directory = tempfile.mkdtemp(prefix="nspawn-tui-bus-")
    path = os.path.join(directory, "bus")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
            listener.bind(path)
            listener.listen(1)
            bus = patient_bus(bus_address=f"unix:path={path}", negotiate_unix_fd=False)
            listener.settimeout(5)
            try:
                server, _ = listener.accept()
            except BaseException:
                _drop(bus)
                raise
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        os.rmdir(directory)
    server.setblocking(True)
    return bus, server


def _drop(bus: MessageBus) -> None:
    """Close a bus that never connected (dbus-next only shuts its socket down)."""
    bus.disconnect()
    for name in ("_stream", "_sock"):  # the makefile() stream holds the socket open too
        part = getattr(bus, name, None)
        if part is not None:
            part.close()
