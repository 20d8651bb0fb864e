"""The bounded, time-ordered, filtered store of records behind a log view.

Records are kept ordered by (timestamp, arrival); a record without a
timestamp is placed after the record that arrived before it. The store
holds at most ``scrollback`` records (the oldest are dropped). A filter
selects the *visible* records, maintained incrementally as records arrive.

The store is columnar, not a list of records, so that a held line costs
little more than its message: the message strings in a list; timestamp,
arrival number and the cursor's numbers (``i``, ``m``, ``x``) in typed
arrays; the fields lines share (machine, unit, identifier, PID, boot ID,
priority and the cursor's frame: its ``s``/``b`` ids and which parts it
has) once in a table, a row holding its index; visibility as a byte per
row and an array of visible rows. A cursor is rebuilt byte for byte; one
not in journald's format (or whose ``t`` is not the timestamp, or of a
record without a usable timestamp) is kept whole on the side.
:class:`LogRecord` values are made when asked for (``store[i]``,
``visible``, ``records``); the fields they share are the same objects.
Never imports Textual.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, compress, repeat
from operator import itemgetter
from typing import NamedTuple, TypeAlias, overload

from nspawn_tui.journal.records import LogRecord, record_matches, split_cursor
from nspawn_tui.journal.records import SearchError as SearchError  # re-exported
from nspawn_tui.journal.records import compile_search as compile_search

DEFAULT_SCROLLBACK = 10_000


@dataclass(frozen=True, slots=True)
class LogFilter:
    """Which records are visible. ``None`` fields do not filter."""

    max_priority: int | None = None  # show priorities 0..max (records without one always)
    unit: str | None = None
    machines: frozenset[str] | None = None
    grep: re.Pattern[str] | None = None  # only records matching this

    def accepts(self, record: LogRecord) -> bool:
        return self.keeps(record.priority, record.unit, record.machine) and (
            self.grep is None or record_matches(self.grep, record)
        )

    def keeps(self, priority: int | None, unit: str, machine: str) -> bool:
        """Whether a record of this priority, unit and machine passes (the grep aside)."""
        return not (
            (
                self.max_priority is not None
                and priority is not None
                and priority > self.max_priority
            )
            or (self.unit is not None and unit != self.unit)
            or (self.machines is not None and machine not in self.machines)
        )

    @property
    def active(self) -> bool:
        return not (
            self.max_priority is None
            and self.unit is None
            and self.machines is None
            and self.grep is None
        )


@dataclass(frozen=True, slots=True)
class AddResult:
    """What :meth:`LogStore.add` changed in the visible list."""

    added: int  # visible records inserted
    dropped: int  # visible records dropped at the front (scrollback exceeded)
    first: int | None  # lowest visible index that changed (after the drop), None if none


class _Shared(NamedTuple):
    """The fields many lines share, held once (a row keeps an index)."""

    machine: str
    unit: str
    identifier: str
    pid: str
    boot_id: str
    priority: int | None
    frame: str | None  # the cursor with the row's numbers left out; None: on the side


_SHARED_FLOOR = 4096  # the shared table is compacted past this (and twice what rows use)
_MEMO = 256

_Column: TypeAlias = "array[int] | list[str] | bytearray"
#: A row while it is merged: ts, seq, message, shared, i, m, x, shown, new.
_Row = tuple[int, int, str, int, int, int, int, int, int]


_order = itemgetter(0, 1)  # a row's (timestamp, arrival)


class _Rows(Sequence[LogRecord]):
    """The held (or visible) records of a store, each made when asked for."""

    __slots__ = ("_store", "_visible")

    def __init__(self, store: LogStore, visible: bool) -> None:
        self._store = store
        self._visible = visible

    def __len__(self) -> int:
        return self._store.count(self._visible)

    @overload
    def __getitem__(self, index: int) -> LogRecord: ...
    @overload
    def __getitem__(self, index: slice) -> list[LogRecord]: ...
    def __getitem__(self, index: int | slice) -> LogRecord | list[LogRecord]:
        store = self._store
        if isinstance(index, slice):
            return [store.record_at(pos) for pos in store.positions(self._visible)[index]]
        return store.record_at(store.position(index, self._visible))

    def __iter__(self) -> Iterator[LogRecord]:
        record_at = self._store.record_at
        for pos in self._store.positions(self._visible):
            yield record_at(pos)


class LogStore:
    """Records in time order, at most ``scrollback`` of them, and the visible subset."""

    def __init__(self, scrollback: int = DEFAULT_SCROLLBACK) -> None:
        if scrollback < 1:
            raise ValueError("scrollback must be at least 1")
        self._scrollback = scrollback
        self._filter = LogFilter()
        self._active = False  # the filter's .active
        self.search: re.Pattern[str] | None = None
        self.received = 0  # records ever added
        self.dropped = 0  # records dropped for the scrollback limit
        self._reset()

    def _reset(self) -> None:
        self._ts = array("q")  # the ordering timestamp (a missing one: the previous)
        self._seq = array("q")
        self._msg: list[str] = []
        self._shared = array("I")  # index into _table
        self._ci = array("Q")  # cursor i= (a row whose frame is None: its key in _odd)
        self._cm = array("Q")
        self._cx = array("Q")
        self._shown = bytearray()  # 1 when the filter accepts the row
        self._cols: tuple[_Column, ...] = (self._ts, self._seq, self._msg, self._shared)
        self._cols += (self._ci, self._cm, self._cx, self._shown)  # changed in place only
        self._vis = array("q")  # visible rows, as position + _base
        self._base = 0  # rows dropped so far: _vis stays valid as the front goes
        self._table: list[_Shared] = []
        self._table_ids: dict[tuple[str, str, str, str, str, int | None, str | None], int] = {}
        self._table_limit = _SHARED_FLOOR
        self._odd: dict[int, tuple[int | None, str]] = {}
        self._odd_next = 0
        self._last_ts = 0
        self._verdicts: dict[int, bool] = {}  # the filter on a row's shared fields
        self._grep_ident: dict[int, bool] = {}  # the filter's grep found in the identifier
        self._search_ident: dict[int, bool] = {}
        self._memo: dict[int, tuple[int, LogRecord]] = {}  # records asked for, by seq

    # ------------------------------------------------------------ contents

    @property
    def scrollback(self) -> int:
        return self._scrollback

    @property
    def total(self) -> int:
        """Records held (visible or not)."""
        return len(self._ts)

    def __len__(self) -> int:
        """Visible records."""
        return len(self._vis)

    def __getitem__(self, index: int) -> LogRecord:
        """The visible record at ``index``; asked again, the same object (if recent)."""
        pos = self._vis[index] - self._base
        seq, shared = self._seq[pos], self._shared[pos]
        memo = self._memo.get(seq)
        if memo is not None and memo[0] == shared and memo[1].message is self._msg[pos]:
            return memo[1]
        if len(self._memo) >= _MEMO:
            self._memo.clear()
        record = self.record_at(pos)
        self._memo[seq] = (shared, record)
        return record

    @property
    def visible(self) -> Sequence[LogRecord]:
        """The visible records as they are now (each made when read; safe in a thread)."""
        return _Rows(self._snapshot(), True)

    @property
    def records(self) -> Sequence[LogRecord]:
        """Every record held, in time order, as they are now."""
        return _Rows(self._snapshot(), False)

    def _snapshot(self) -> LogStore:
        """A copy that later changes do not touch: the columns copied (a few ms for 100k)."""
        copy = object.__new__(LogStore)
        copy.__dict__.update(self.__dict__)  # the table only grows or is replaced: shared
        for name in ("_ts", "_seq", "_msg", "_shared", "_ci", "_cm", "_cx", "_vis"):
            setattr(copy, name, getattr(self, name)[:])
        copy._odd, copy._memo = dict(self._odd), {}
        copy._cols = ()  # never changed
        return copy

    def count(self, visible: bool) -> int:
        return len(self._vis) if visible else len(self._ts)

    def position(self, index: int, visible: bool) -> int:
        """The row position of the visible (or held) record at ``index``."""
        return self._vis[index] - self._base if visible else range(len(self._ts))[index]

    def positions(self, visible: bool) -> Sequence[int]:
        """Row positions of the visible (or all) records, a snapshot."""
        if visible:
            base = self._base
            return [row - base for row in self._vis]
        return range(len(self._ts))

    def record_at(self, pos: int) -> LogRecord:
        """The record held at row ``pos`` (0 the oldest)."""
        shared = self._table[self._shared[pos]]
        frame = shared.frame
        timestamp: int | None
        if frame is None:
            timestamp, cursor = self._odd[self._ci[pos]]
        else:
            timestamp = ts = self._ts[pos]
            cursor = frame.format(self._ci[pos], self._cm[pos], self._cx[pos], ts) if frame else ""
        return LogRecord(
            shared.machine,
            timestamp,
            shared.priority,
            shared.unit,
            shared.identifier,
            shared.pid,
            self._msg[pos],
            shared.boot_id,
            cursor,
            self._seq[pos],
        )

    def _held(self) -> list[_Shared]:
        return [self._table[at] for at in set(self._shared)]

    def machines(self) -> list[str]:
        return sorted({shared.machine for shared in self._held()})

    def units(self) -> list[str]:
        return sorted({shared.unit for shared in self._held() if shared.unit})

    def clear(self) -> None:
        self._reset()

    # ---------------------------------------------------------- adding

    def _row(self, record: LogRecord) -> _Row:
        ts = record.timestamp
        cursor = record.cursor
        i = m = x = 0
        if ts is None or ts < 0:  # ordered after its predecessor, kept whole on the side
            ts, frame = self._last_ts, None
        else:
            self._last_ts = ts
            frame = ""
            if cursor:
                split = split_cursor(cursor, ts)
                if split is None:
                    frame = None
                else:
                    frame, i, m, x = split
        if frame is None:
            i = self._odd_next
            self._odd_next += 1
            self._odd[i] = (record.timestamp, cursor)
        r = record
        key = (r.machine, r.unit, r.identifier, r.pid, r.boot_id, r.priority, frame)
        shared = self._table_ids.get(key)
        if shared is None:
            shared = self._table_ids[key] = len(self._table)
            self._table.append(_Shared(*key))
        message = r.message
        shown = int(self._accepts(shared, message)) if self._active else 1
        return (ts, r.seq, message, shared, i, m, x, shown, 1)

    def _append(self, rows: list[_Row]) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Append rows to the columns; their ``shown`` and ``new`` flags."""
        values = list(zip(*rows, strict=True))
        for column, more in zip(self._cols, values, strict=False):
            column.extend(more)
        return values[7], values[8]

    def _cut(self, start: int, stop: int | None) -> None:
        for column in self._cols:
            del column[start:stop]

    def add(self, records: Iterable[LogRecord]) -> AddResult:
        """Insert records in time order; drop the oldest beyond the scrollback.

        The batch is sorted and merged into the tail it overlaps, so a batch
        interleaving with recent records costs O(batch + overlap), not one
        insertion per record.
        """
        batch = [self._row(record) for record in records]
        if not batch:
            return AddResult(0, 0, None)
        self.received += len(batch)
        batch.sort(key=_order)
        at = bisect_left(self._ts, batch[0][0])
        merged = at < len(self._ts)
        if merged:  # an overlap: merge the tail (old rows first on ties)
            tail: list[_Row] = list(zip(*(c[at:] for c in self._cols), repeat(0)))
            tail.extend(batch)
            tail.sort(key=_order)
            self._cut(at, None)
            batch = tail
        shown, new = self._append(batch)
        base, vis = self._base, self._vis
        del vis[bisect_left(vis, at + base) :]
        vis.extend(compress(range(at + base, at + base + len(shown)), shown))
        if merged:
            fresh = [p for p, (s, n) in enumerate(zip(shown, new, strict=True), at) if s and n]
            added, first = len(fresh), bisect_left(vis, fresh[0] + base) if fresh else None
        else:  # appended: every row is new
            added = shown.count(1)
            first = bisect_left(vis, at + base + shown.index(1)) if added else None
        dropped = 0
        excess = len(self._ts) - self._scrollback
        if excess > 0:
            if self._odd:
                table, odd = self._table, self._odd
                for pos in range(excess):
                    if table[self._shared[pos]].frame is None:
                        del odd[self._ci[pos]]
            self._cut(0, excess)
            self._base += excess
            self.dropped += excess
            dropped = bisect_left(vis, self._base)
            if dropped:
                del vis[:dropped]
                if first is not None:
                    first = max(0, first - dropped)
                added = min(added, len(vis))
        if len(self._table) > self._table_limit:
            self._compact()
        return AddResult(added, dropped, first)

    def _compact(self) -> None:
        """Forget shared entries no held row uses (PIDs come and go)."""
        used = sorted(set(self._shared))
        renumber = {old: new for new, old in enumerate(used)}
        self._table = [self._table[old] for old in used]
        self._table_ids = {shared: at for at, shared in enumerate(self._table)}
        self._shared[:] = array("I", map(renumber.__getitem__, self._shared))
        self._table_limit = max(_SHARED_FLOOR, 2 * len(used))
        self._memo.clear()
        self._verdicts.clear()
        self._grep_ident.clear()
        self._search_ident.clear()

    # ------------------------------------------------------------- filters

    def _verdict(self, shared: int) -> bool:
        """Whether the filter accepts what rows of ``shared`` have in common."""
        verdict = self._verdicts.get(shared)
        if verdict is None:
            row = self._table[shared]
            verdict = self._verdicts[shared] = self._filter.keeps(
                row.priority, row.unit, row.machine
            )
        return verdict

    def _hit(
        self, pattern: re.Pattern[str], idents: dict[int, bool], shared: int, message: str
    ) -> bool:
        found = idents.get(shared)
        if found is None:
            found = idents[shared] = pattern.search(self._table[shared].identifier) is not None
        return found or pattern.search(message) is not None

    def _accepts(self, shared: int, message: str) -> bool:
        grep = self._filter.grep
        return self._verdict(shared) and (
            grep is None or self._hit(grep, self._grep_ident, shared, message)
        )

    def set_filter(self, log_filter: LogFilter) -> None:
        """Apply a new filter (recomputes the visible list once)."""
        self._filter = log_filter
        self._active = log_filter.active
        self._verdicts.clear()
        self._grep_ident.clear()
        count = len(self._ts)
        if log_filter.active:
            verdicts = [self._verdict(at) for at in range(len(self._table))]
            shown = bytearray(map(verdicts.__getitem__, self._shared))
            grep = log_filter.grep
            if grep is not None:
                hit, idents, shared, msg = self._hit, self._grep_ident, self._shared, self._msg
                for pos in [pos for pos in range(count) if shown[pos]]:
                    if not hit(grep, idents, shared[pos], msg[pos]):
                        shown[pos] = 0
        else:
            shown = bytearray(b"\x01") * count
        self._shown[:] = shown
        base = self._base
        self._vis = array("q", compress(range(base, base + count), shown))

    def index_of(self, record: LogRecord) -> int | None:
        """The visible index of ``record`` (an equal one), None if it is not visible."""
        start, base, vis = 0, self._base, self._vis
        while True:
            try:
                pos = self._seq.index(record.seq, start)
            except (ValueError, OverflowError):
                return None
            if self.record_at(pos) == record:
                at = bisect_left(vis, pos + base)
                if at < len(vis) and vis[at] == pos + base:
                    return at
            start = pos + 1

    # -------------------------------------------------------------- search

    def set_search(self, pattern: re.Pattern[str] | None) -> None:
        self.search = pattern
        self._search_ident.clear()

    def _matcher(self) -> Callable[[int], bool] | None:
        """Whether the visible record at an index matches the search (None: no search)."""
        pattern = self.search
        if pattern is None:
            return None
        hit, idents, shared, msg, vis = (
            self._hit,
            self._search_ident,
            self._shared,
            self._msg,
            self._vis,
        )
        base = self._base

        def matches(index: int) -> bool:
            pos = vis[index] - base
            return hit(pattern, idents, shared[pos], msg[pos])

        return matches

    def is_match(self, index: int) -> bool:
        matches = self._matcher()
        return matches is not None and matches(index)

    def _first_match(self, order: Iterable[int]) -> int | None:
        matches = self._matcher()
        return None if matches is None else next((at for at in order if matches(at)), None)

    def next_match(self, from_index: int, *, wrap: bool = True) -> int | None:
        """The first visible index after ``from_index`` whose record matches the search."""
        count = len(self._vis)
        start = max(-1, min(from_index, count - 1)) + 1
        order: Iterable[int] = range(start, count)
        return self._first_match(chain(order, range(0, start)) if wrap else order)

    def prev_match(self, from_index: int, *, wrap: bool = True) -> int | None:
        """The last visible index before ``from_index`` whose record matches the search."""
        count = len(self._vis)
        start = min(max(0, from_index), count)
        order: Iterable[int] = range(start - 1, -1, -1)
        return self._first_match(chain(order, range(count - 1, start - 1, -1)) if wrap else order)

    def match_count(self) -> int:
        matches = self._matcher()
        return 0 if matches is None else sum(1 for at in range(len(self._vis)) if matches(at))
