"""``nspawn-tui logs`` when standard output is not a terminal: plain text lines.

Like ``journalctl`` into a pipe: one line per record (time, machine,
identifier[pid]: message), the continuation lines of a multi-line message
indented, every line cleaned (:func:`nspawn_tui.safe.clean`) so that nothing
a container wrote reaches whatever reads the output as a control sequence.
Problems of a source (a failing ``journalctl``, an unknown machine) go to
standard error, cleaned.  Works on any :class:`~nspawn_tui.host.base.Host`
through its ``follow_logs``.  Never imports Textual.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Final, TextIO

from nspawn_tui.host.base import Host
from nspawn_tui.journal.records import (
    LogBatch,
    LogEvent,
    LogOptions,
    LogRecord,
    format_record_text,
)
from nspawn_tui.safe import clean

#: with --follow, records are gathered this long (seconds) before the first
#: are printed, so that the backlogs of several machines come out merged
SETTLE_SECONDS: Final = 0.5


def record_lines(record: LogRecord) -> str:
    """One record as text: its lines, each cleaned, each ending in a newline."""
    return "".join(clean(line) + "\n" for line in format_record_text(record).split("\n"))


def _order(record: LogRecord) -> tuple[int, int]:
    return (record.timestamp if record.timestamp is not None else -1, record.seq)


def _tail(records: list[LogRecord], count: int, start: int) -> list[LogRecord]:
    """In time order: the last ``count`` records stamped before ``start`` (the
    backlog, in microseconds), and every record stamped later."""
    records.sort(key=_order)
    at = len(records)
    while at and (stamp := records[at - 1].timestamp) is not None and stamp >= start:
        at -= 1
    return records[max(0, at - count) : at] + records[at:] if count else records[at:]


class _Output:
    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out, self.err = out, err
        self.failed = False

    def records(self, records: Iterable[LogRecord]) -> None:
        text = "".join(record_lines(record) for record in records)
        if text:
            self.out.write(text)
            self.out.flush()

    def error(self, machine: str, message: str) -> None:
        self.failed = True
        self.err.write(f"nspawn-tui: {clean(machine)}: {clean(message)}\n")
        self.err.flush()


async def print_logs(
    host: Host,
    names: Sequence[str],
    options: LogOptions,
    out: TextIO,
    err: TextIO,
    *,
    settle: float = SETTLE_SECONDS,
) -> int:
    """Print the merged journals of ``names`` on a connected ``host``.

    Without ``options.follow``: the last ``options.lines`` records of all of
    them, in time order, then return.  With it: those, then new records as
    they come, until cancelled.  Returns 1 if a machine is unknown or a
    source reported an error, else 0.
    """
    output = _Output(out, err)
    known = {machine.name for machine in await host.list_machines()}
    wanted = []
    for name in dict.fromkeys(names):
        if name in known:
            wanted.append(name)
        else:
            output.error(name, "no such machine or image")
    if wanted:
        start = int(host.now() * 1_000_000)
        events = host.follow_logs(wanted, options)
        await _relay(events, set(wanted), options, output, settle, start)
    return 1 if output.failed else 0


async def _relay(
    events: AsyncIterator[LogEvent],
    wanted: set[str],
    options: LogOptions,
    output: _Output,
    settle: float,
    start: int,
) -> None:
    loop = asyncio.get_running_loop()
    # Records are held until the backlogs are in (one shot: the end of every
    # source; following: a short settle time), then the last N are printed.
    held: list[LogRecord] | None = []
    deadline = loop.time() + settle
    ended: set[str] = set()
    waiting: asyncio.Future[LogEvent] = asyncio.ensure_future(anext(events))
    try:
        while True:
            timeout = None
            if held is not None and options.follow:
                timeout = max(0.0, deadline - loop.time())
            done, _ = await asyncio.wait({waiting}, timeout=timeout)
            if not done:  # settled: the backlog out, then records as they come
                assert held is not None
                output.records(_tail(held, options.lines, start))
                held = None
                continue
            try:
                event = waiting.result()
            except StopAsyncIteration:
                break
            if isinstance(event, LogBatch):
                if held is not None:
                    held.extend(event.records)
                else:
                    output.records(sorted(event.records, key=_order))
            else:
                if event.state == "error":
                    output.error(event.machine, event.message)
                if event.state != "joined":
                    ended.add(event.machine)
                if not options.follow and ended >= wanted:
                    break  # every source ended (a real host's stream stays open)
            waiting = asyncio.ensure_future(anext(events))
    finally:
        if not waiting.done():
            waiting.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await waiting
        aclose = getattr(events, "aclose", None)  # an async generator: stop its readers
        if aclose is not None:
            await aclose()
    if held is not None:
        output.records(_tail(held, options.lines, start))
