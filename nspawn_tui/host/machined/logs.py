"""Journals of machines on a real host: one journalctl per machine, merged.

A mixin of :class:`~nspawn_tui.host.machined.host.MachinedHost`.  Running machines
are read with ``journalctl -M NAME`` (which asks machined, so a private bus
address is passed on); stopped ones from the journal directory in their image.

The journal seam: every ``journalctl`` command line the host runs goes
through its :class:`CommandPrefix` (none for the local host), so a remote
host reads journals with ``ssh HOST journalctl ...``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nspawn_tui.host.base import EventHub, EventKind, HostError, Machine

if TYPE_CHECKING:
    # The journal's readers load when logs are first asked for, not before the
    # dashboard's first frame (benchmarks/README.md).
    from nspawn_tui.journal.sources import JournalSource, LogEvent, LogOptions, LogRecord


@dataclass(frozen=True, slots=True, init=False)
class CommandPrefix:
    """Words put before a command line the host runs, e.g. ``ssh -xT HOST``.

    Empty for the local host: the command line runs as it is.  With
    ``quote_words`` the prefix hands the rest to a shell as one line, as ssh
    does, so each word of the wrapped command is quoted (a cursor's ``;``, a
    unit filter with spaces, stay one argument on the other side).
    """

    words: tuple[str, ...]
    quote_words: bool

    def __init__(self, *words: str, quote_words: bool = False) -> None:
        object.__setattr__(self, "words", words)
        object.__setattr__(self, "quote_words", quote_words)

    def wrap(self, argv: Sequence[str]) -> list[str]:
        """``argv`` run through this prefix."""
        if self.quote_words:
            return [*self.words, *(shlex.quote(word) for word in argv)]
        return [*self.words, *argv]


#: No prefix: commands run on this machine.
LOCAL = CommandPrefix()


class MachinedLogs:
    bus_address: str | None
    hub: EventHub
    command_prefix: CommandPrefix
    _log_dirs: dict[str, str | None]

    async def list_machines(self) -> list[Machine]:
        raise NotImplementedError

    def _journal_env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.bus_address:
            env["DBUS_SYSTEM_BUS_ADDRESS"] = self.bus_address
        return env

    def _source(self, machine: Machine, options: LogOptions) -> JournalSource:
        from nspawn_tui.journal.sources import JournalSource, journal_directory, options_argv

        directory = None if machine.running else journal_directory(machine.root_directory)
        self._log_dirs[machine.name] = directory
        name = machine.name

        def argv(cursor: str | None) -> list[str]:
            local = options_argv(name, options, directory=directory, after_cursor=cursor)
            return self.command_prefix.wrap(local)

        follow = options.follow and machine.running and options.boot != -1
        return JournalSource(name, argv, env=self._journal_env(), follow=follow)

    async def follow_logs(
        self, names: Sequence[str], options: LogOptions
    ) -> AsyncIterator[LogEvent]:
        from nspawn_tui.journal.sources import JournalMerger, SourceStatus

        wanted = list(dict.fromkeys(names))
        machines = {m.name: m for m in await self.list_machines()}
        merger = JournalMerger()
        queue: asyncio.Queue[LogEvent] = asyncio.Queue(maxsize=256)
        running: set[str] = set()
        missing: list[str] = []
        for name in wanted:
            machine = machines.get(name)
            if machine is None:
                missing.append(name)
                continue
            if machine.running:
                running.add(name)
            merger.add(self._source(machine, options))

        async def pump() -> None:
            async for event in merger.events(keep_open=True):
                await queue.put(event)

        async def watch() -> None:
            async for event in self.hub.subscribe():
                if event.name not in wanted:
                    continue
                if event.kind is EventKind.MACHINE_NEW and event.name not in running:
                    found = {m.name: m for m in await self.list_machines()}.get(event.name)
                    if found is not None and found.running:
                        running.add(event.name)
                        merger.remove(event.name)
                        merger.add(self._source(found, options))
                elif event.kind is EventKind.MACHINE_REMOVED and event.name in running:
                    running.discard(event.name)
                    await queue.put(SourceStatus(event.name, "stopped", "the machine stopped"))

        for name in missing:
            yield SourceStatus(name, "error", f"no machine or image called {name!r}")
        tasks = [asyncio.create_task(pump()), asyncio.create_task(watch())]
        try:
            while True:
                getter = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait([getter, *tasks], return_when=asyncio.FIRST_COMPLETED)
                if getter in done:
                    yield getter.result()
                    continue
                getter.cancel()
                for task in [t for t in tasks if t.done()]:
                    tasks.remove(task)
                    error = task.exception()
                    if error is not None:
                        raise error
                if not tasks and queue.empty():
                    return
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await merger.close()

    async def log_record(self, record: LogRecord) -> dict[str, str]:
        from nspawn_tui.journal.sources import JournalError, fetch_record_fields, record_argv

        directory = self._log_dirs.get(record.machine)
        try:
            return await fetch_record_fields(
                self.command_prefix.wrap(record_argv(record, directory=directory)),
                env=self._journal_env(),
            )
        except JournalError as exc:
            raise HostError(str(exc)) from None
