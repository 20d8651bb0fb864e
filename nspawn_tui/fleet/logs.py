"""The journals of machines on several hosts, merged into one stream of events.

Each host follows the journals of its own machines (plain names); every record,
batch and status is renamed to the machine's fleet name ``HOST/NAME`` on the
way through.  :class:`LogRecord` is frozen: a renamed record is a new one
built field by field (about 1 us a record, once, as it arrives).

Never imports Textual.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence

from nspawn_tui.host.base import Host, HostError
from nspawn_tui.journal.records import LogBatch, LogEvent, LogOptions, LogRecord, SourceStatus


def renamed_record(record: LogRecord, machine: str) -> LogRecord:
    """``record`` with ``machine`` as its machine's name."""
    return LogRecord(
        machine,
        record.timestamp,
        record.priority,
        record.unit,
        record.identifier,
        record.pid,
        record.message,
        record.boot_id,
        record.cursor,
        record.seq,
    )


def renamed_event(event: LogEvent, prefix: str) -> LogEvent:
    """``event`` with its machine (and its records' machine) prefixed by ``HOST/``."""
    machine = prefix + event.machine
    if isinstance(event, SourceStatus):
        return SourceStatus(machine, event.state, event.message)
    records = [renamed_record(record, machine) for record in event.records]
    return LogBatch(machine, records, event.broken)


async def merged_logs(
    groups: Mapping[str, tuple[Host, list[str]]],
    unknown: Sequence[str],
    options: LogOptions,
) -> AsyncIterator[LogEvent]:
    """Every host's ``follow_logs`` of its plain names, merged, renamed to fleet names.

    ``groups``: by prefix (``"HOST/"``), the host and its machines' plain names.
    ``unknown``: names of no host of the fleet (each gets an error status).
    A host that cannot follow journals gives an error status for each of its
    machines; the others carry on.  Ends when every host's stream ended.
    """
    for name in unknown:
        yield SourceStatus(name, "error", f"no host of the fleet has a machine called {name!r}")
    queue: asyncio.Queue[LogEvent] = asyncio.Queue(maxsize=256)

    async def pump(prefix: str, host: Host, names: list[str]) -> None:
        try:
            events = host.follow_logs(names, options)
        except HostError as exc:  # a host that has no journals says so at once
            for name in names:
                await queue.put(SourceStatus(prefix + name, "error", str(exc)))
            return
        try:
            async for event in events:
                await queue.put(renamed_event(event, prefix))
        except HostError as exc:
            for name in names:
                await queue.put(SourceStatus(prefix + name, "error", str(exc)))
        finally:
            close = getattr(events, "aclose", None)
            if close is not None:
                await close()  # its journalctl readers end with it

    tasks = [
        asyncio.ensure_future(pump(prefix, host, names)) for prefix, (host, names) in groups.items()
    ]
    try:
        while tasks or not queue.empty():
            if not queue.empty():
                yield queue.get_nowait()
                continue
            getter = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait([getter, *tasks], return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                yield getter.result()
            else:
                getter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await getter
            for task in [t for t in tasks if t.done()]:
                tasks.remove(task)
                error = task.exception()
                if error is not None:
                    raise error
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
