"""Journal records: the JSON parser, journalctl readers and their merger.

One :class:`JournalSource` runs ``journalctl -o json`` for one container and
turns its output into batches of :class:`LogRecord`; :func:`follow_journals`
merges several sources into one stream of :data:`LogEvent`. Records and the parser live in
:mod:`nspawn_tui.journal.records` (re-exported here); the bounded,
filtered store behind the log view is :mod:`nspawn_tui.journal.store`.

This module never imports Textual.
"""

from __future__ import annotations

import asyncio
import os
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from nspawn_tui.journal.records import (
    OMITTED_TEXT,
    OUTPUT_FIELDS,
    PRIORITY_NAMES,
    LogBatch,
    LogEvent,
    LogOptions,
    LogRecord,
    SourceState,
    SourceStatus,
    format_record_text,
    format_time,
    next_seq,
    parse_full_record,
    parse_lines,
    parse_record,
)
from nspawn_tui.safe import clean_lines

__all__ = [
    "OMITTED_TEXT",
    "OUTPUT_FIELDS",
    "PRIORITY_NAMES",
    "JournalError",
    "JournalMerger",
    "JournalSource",
    "LogBatch",
    "LogEvent",
    "LogOptions",
    "LogRecord",
    "SourceState",
    "SourceStatus",
    "follow_journals",
    "format_record_text",
    "format_time",
    "journal_directory",
    "journalctl_argv",
    "fetch_record_fields",
    "next_seq",
    "options_argv",
    "parse_full_record",
    "parse_lines",
    "parse_record",
    "record_argv",
]

# ---------------------------------------------------------------- journalctl


def journalctl_argv(
    machine: str,
    *,
    lines: int = 1000,
    follow: bool = True,
    priority: int | None = None,
    unit: str | None = None,
    boot: int | None = None,
    directory: str | None = None,
    after_cursor: str | None = None,
    executable: str = "journalctl",
) -> list[str]:
    """The journalctl command line for one container.

    With ``directory`` (``ROOT/var/log/journal`` of a stopped container) the
    journal files are read directly and never followed. With ``after_cursor``
    (a restart) only newer entries are asked for instead of the last ``lines``.
    """
    argv = [executable]
    if directory is not None:
        argv += ["-D", directory]
        follow = False
    else:
        argv += ["-M", machine]
    argv += ["-o", "json"]
    if after_cursor:
        argv.append(f"--after-cursor={after_cursor}")
    else:
        argv += ["-n", str(max(0, lines))]
    if follow:
        argv.append("-f")
    argv.append("--output-fields=" + ",".join(OUTPUT_FIELDS))
    if priority is not None:
        argv += ["-p", str(priority)]
    if unit:
        argv += ["-u", unit]
    if boot is not None:
        argv += ["-b", str(boot)]
    return argv


def options_argv(
    machine: str,
    options: LogOptions,
    *,
    directory: str | None = None,
    after_cursor: str | None = None,
    executable: str = "journalctl",
) -> list[str]:
    """:func:`journalctl_argv` from :class:`LogOptions`."""
    return journalctl_argv(
        machine,
        lines=options.lines,
        follow=options.follow,
        priority=options.priority,
        unit=options.unit,
        boot=options.boot,
        directory=directory,
        after_cursor=after_cursor,
        executable=executable,
    )


class JournalError(Exception):
    """Reading the journal failed, with a message fit to show (cleaned: it quotes journalctl)."""

    def __str__(self) -> str:
        return clean_lines(super().__str__())


ArgvFactory = Callable[[str | None], list[str]]


def _not_found(program: str) -> str:
    """Why ``program`` did not start, with the hint that fits it."""
    name = program.rsplit("/", 1)[-1]
    hint = {
        "journalctl": "is systemd installed?",
        "ssh": "is an OpenSSH client installed?",
    }.get(name, "is it installed?")
    return f"{program} not found ({hint})"


@dataclass(slots=True)
class JournalSource:
    """One journalctl reader for one container, restarted after a back-off.

    ``argv`` receives the cursor of the last record read (None at first) and
    returns the command line, e.g.
    ``lambda cursor: options_argv(name, options, after_cursor=cursor)``.
    ``follow=False`` sources (stopped containers, ``-b -1``) end after one run.
    """

    machine: str
    argv: ArgvFactory
    env: Mapping[str, str] | None = None
    follow: bool = True
    retry_delay: float = 1.0
    max_retry_delay: float = 30.0
    chunk_size: int = 1 << 16
    _process: asyncio.subprocess.Process | None = field(default=None, init=False)
    _stopped: bool = field(default=False, init=False)

    async def events(self) -> AsyncGenerator[LogEvent, None]:
        """Batches of records and status changes until stopped (or the end of a one-shot)."""
        delay = self.retry_delay
        cursor: str | None = None
        while not self._stopped:
            argv = self.argv(cursor)
            try:
                process = await asyncio.create_subprocess_exec(
                    *argv,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE,
                    env=dict(self.env) if self.env is not None else None,
                )
            except FileNotFoundError:
                yield SourceStatus(self.machine, "error", _not_found(argv[0]))
            except OSError as error:
                yield SourceStatus(self.machine, "error", f"cannot run {argv[0]}: {error.strerror}")
            else:
                self._process = process
                yield SourceStatus(self.machine, "joined", "reading the journal")
                stderr_tail: deque[str] = deque(maxlen=5)
                stderr_task = asyncio.ensure_future(_collect(process, stderr_tail))
                got_any = False
                try:
                    async for batch in self._read(process):
                        got_any = got_any or bool(batch.records)
                        if batch.records:
                            cursor = batch.records[-1].cursor or cursor
                        yield batch
                    code = await process.wait()
                    await stderr_task
                finally:
                    if process.returncode is None:
                        _kill(process)
                        await process.wait()
                    stderr_task.cancel()
                    self._process = None
                if got_any:
                    delay = self.retry_delay
                tail = " / ".join(stderr_tail)
                if code == 0 and not self.follow:
                    yield SourceStatus(self.machine, "stopped", "end of the journal")
                    return
                if self._stopped:
                    break
                how = f"journalctl exited with status {code}"
                yield SourceStatus(
                    self.machine, "error" if code else "stopped", f"{how}: {tail}" if tail else how
                )
            if self._stopped or not self.follow:
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_retry_delay)

    async def _read(self, process: asyncio.subprocess.Process) -> AsyncIterator[LogBatch]:
        stdout = process.stdout
        assert stdout is not None
        machine = self.machine
        rest = b""
        while True:
            chunk = await stdout.read(self.chunk_size)
            if not chunk:
                break
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()
            batch = parse_lines(lines, machine)
            if batch.records or batch.broken:
                yield batch
        if rest.strip():
            batch = parse_lines([rest], machine)
            yield batch

    def stop(self) -> None:
        """Stop reading: kill journalctl and do not restart."""
        self._stopped = True
        if self._process is not None and self._process.returncode is None:
            _kill(self._process)


def _kill(process: asyncio.subprocess.Process) -> None:
    try:
        process.kill()
    except ProcessLookupError:
        pass  # it has just exited by itself: nothing left to stop


async def _collect(process: asyncio.subprocess.Process, tail: deque[str]) -> None:
    stderr = process.stderr
    assert stderr is not None
    while line := await stderr.readline():
        text = line.decode("utf-8", errors="replace").strip()
        if text:
            tail.append(text)


class JournalMerger:
    """Merges the events of any number of sources; sources may join later."""

    def __init__(self, maxsize: int = 256) -> None:
        self._queue: asyncio.Queue[LogEvent | None] = asyncio.Queue(maxsize)
        self._tasks: dict[str, tuple[JournalSource, asyncio.Task[None]]] = {}

    @property
    def machines(self) -> list[str]:
        return list(self._tasks)

    def add(self, source: JournalSource) -> None:
        """Start reading ``source`` (replacing a previous source of that machine)."""
        self.remove(source.machine)
        task = asyncio.ensure_future(self._pump(source))
        self._tasks[source.machine] = (source, task)

    def remove(self, machine: str) -> None:
        """Stop reading one machine's journal."""
        entry = self._tasks.pop(machine, None)
        if entry is not None:
            source, task = entry
            source.stop()
            task.cancel()

    async def _pump(self, source: JournalSource) -> None:
        events = source.events()
        try:
            async for event in events:
                await self._queue.put(event)
        finally:
            source.stop()
            await events.aclose()
            entry = self._tasks.get(source.machine)
            if entry is not None and entry[0] is source:
                del self._tasks[source.machine]
            if not self._queue.full():
                self._queue.put_nowait(None)  # wake up events() to notice the end

    async def events(self, *, keep_open: bool = False) -> AsyncIterator[LogEvent]:
        """Every source's events in arrival order, until all sources ended
        (with ``keep_open``: until closed). Closing the iterator stops every source."""
        try:
            while keep_open or self._tasks or not self._queue.empty():
                event = await self._queue.get()
                if event is not None:
                    yield event
        finally:
            await self.close()

    async def close(self) -> None:
        """Stop every source and wait for their readers to finish."""
        entries = list(self._tasks.values())
        self._tasks.clear()
        for source, task in entries:
            source.stop()
            task.cancel()
        tasks = [task for _, task in entries]
        if tasks:
            await asyncio.wait(tasks)
        for task in tasks:
            error = None if task.cancelled() else task.exception()
            if error is not None:
                raise error


async def follow_journals(sources: Iterable[JournalSource]) -> AsyncIterator[LogEvent]:
    """The merged events of ``sources``; closing the iterator stops every reader."""
    merger = JournalMerger()
    for source in sources:
        merger.add(source)
    async for event in merger.events():
        yield event


def record_argv(
    record: LogRecord, *, directory: str | None = None, executable: str = "journalctl"
) -> list[str]:
    """journalctl command line printing every field of ``record`` (``--all``: no nulls)."""
    where = ["-D", directory] if directory is not None else ["-M", record.machine]
    return [executable, *where, "-o", "json", "--all", f"--cursor={record.cursor}", "-n", "1"]


async def fetch_record_fields(
    argv: Sequence[str], env: Mapping[str, str] | None = None, timeout: float = 10.0
) -> dict[str, str]:
    """Run ``argv`` (see :func:`record_argv`) and return the fields of the first record.

    Raises :class:`JournalError` with a readable message when that fails.
    """
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=dict(env) if env is not None else None,
        )
    except OSError as error:
        raise JournalError(f"cannot run {argv[0]}: {error.strerror or error}") from error
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError as error:
        _kill(process)
        await process.wait()
        raise JournalError(f"{argv[0]} did not answer within {timeout:g} s") from error
    line = out.split(b"\n", 1)[0]
    fields = parse_full_record(line) if line.strip() else {}
    if not fields:
        detail = err.decode("utf-8", "replace").strip() or "no such record"
        raise JournalError(f"record not found: {detail}")
    return fields


def journal_directory(root: str) -> str:
    """Where a container image keeps its persistent journal."""
    return os.path.join(root, "var", "log", "journal")
