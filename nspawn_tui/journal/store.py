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

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import compress
from operator import attrgetter
from typing import Any, NamedTuple, TypeAlias, overload

from nspawn_tui.journal.filters import LogFilter as LogFilter  # re-exported
from nspawn_tui.journal.patterns import SearchError as SearchError  # re-exported
from nspawn_tui.journal.patterns import SearchPattern
from nspawn_tui.journal.patterns import SearchTooSlow as SearchTooSlow
from nspawn_tui.journal.patterns import compile_search as compile_search
from nspawn_tui.journal.records import LogRecord, split_cursor
from nspawn_tui.journal.search import Searching

DEFAULT_SCROLLBACK = 10_000


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
#: Rows being added, as columns: ts, seq, message, shared, i, m, x, shown.
_Batch: TypeAlias = "tuple[list[Any], ...]"


_TS_MAX = 2**63 - 1  # a timestamp column holds signed 64-bit numbers
_SEQ_MASK = 2**64 - 1
_MESSAGE, _SEQ = attrgetter("message"), attrgetter("seq")


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


class LogStore(Searching):
    """Records in time order, at most ``scrollback`` of them, and the visible subset."""

    def __init__(self, scrollback: int = DEFAULT_SCROLLBACK) -> None:
        if scrollback < 1:
            raise ValueError("scrollback must be at least 1")
        self._scrollback = scrollback
        self._filter = LogFilter()
        self._active = False  # the filter's .active
        self.search: SearchPattern | None = None
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

    def _order(self, batch: list[LogRecord]) -> list[int]:
        """Each record's place in time, in arrival order: ``timestamp << 64 | seq``.

        A record without a usable timestamp (none, negative, or past what a
        64-bit column holds) takes its predecessor's, so it sorts after it.
        """
        last, keys = self._last_ts, list[int]()
        append = keys.append
        for record in batch:
            ts = record.timestamp
            if ts is None or not 0 <= ts <= _TS_MAX:
                ts = last
            else:
                last = ts
            append(ts << 64 | (record.seq & _SEQ_MASK))
        self._last_ts = last
        return keys

    def _rows(self, batch: list[LogRecord], keys: list[int], order: list[int]) -> _Batch:
        """The columns of ``batch[k]`` for each ``k`` of ``order``, in that order."""
        records = list(map(batch.__getitem__, order))
        messages = list(map(_MESSAGE, records))
        shared_col: list[int] = []
        i_col: list[int] = []
        m_col: list[int] = []
        x_col: list[int] = []
        table, table_ids, odd = self._table, self._table_ids, self._odd
        for record in records:
            stamp, cursor = record.timestamp, record.cursor
            i = m = x = 0
            frame: str | None = ""
            if stamp is None or not 0 <= stamp <= _TS_MAX:
                frame = None
            elif cursor:
                split = split_cursor(cursor, stamp)
                if split is None:
                    frame = None
                else:
                    frame, i, m, x = split
            if frame is None:  # kept whole on the side
                i = self._odd_next
                self._odd_next += 1
                odd[i] = (stamp, cursor)
            r = record
            key = (r.machine, r.unit, r.identifier, r.pid, r.boot_id, r.priority, frame)
            shared = table_ids.get(key)
            if shared is None:
                shared = table_ids[key] = len(table)
                table.append(_Shared(*key))
            shared_col.append(shared)
            i_col.append(i)
            m_col.append(m)
            x_col.append(x)
        if self._active:
            accepts = self._accepts
            shown = [int(accepts(*row)) for row in zip(shared_col, messages, strict=True)]
        else:
            shown = [1] * len(records)
        ts_col = [keys[k] >> 64 for k in order]
        seqs = list(map(_SEQ, records))
        return ts_col, seqs, messages, shared_col, i_col, m_col, x_col, shown

    def _cut(self, start: int, stop: int | None) -> None:
        for column in self._cols:
            del column[start:stop]

    def add(self, records: Iterable[LogRecord]) -> AddResult:
        """Insert records in time order; drop the oldest beyond the scrollback.

        The batch is sorted and merged into the tail it overlaps, so a batch
        interleaving with recent records costs O(batch + overlap), not one
        insertion per record.
        """
        given = records if isinstance(records, list) else list(records)
        if not given:
            return AddResult(0, 0, None)
        self.received += len(given)
        keys = self._order(given)
        order = sorted(range(len(given)), key=keys.__getitem__)
        skipped = len(order) - self._scrollback
        if skipped > 0:  # the oldest of a batch this big would go at once: never held
            del order[:skipped]
            self.dropped += skipped
        batch = self._rows(given, keys, order)
        at = bisect_left(self._ts, batch[0][0])
        base, vis = self._base, self._vis
        del vis[bisect_left(vis, at + base) :]
        if at == len(self._ts):  # after every row held: appended
            for column, more in zip(self._cols, batch, strict=True):
                column.extend(more)
            shown = batch[7]
            vis.extend(compress(range(at + base, at + base + len(shown)), shown))
            added = shown.count(1)
            first = bisect_left(vis, at + base + shown.index(1)) if added else None
        else:  # an overlap: the tail and the batch merged by (timestamp, arrival)
            fresh = self._merge(at, batch, [keys[k] for k in order])
            added, first = len(fresh), bisect_left(vis, fresh[0] + base) if fresh else None
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

    def _merge(self, at: int, batch: _Batch, keys: list[int]) -> list[int]:
        """Merge ``batch`` (sorted, ``keys`` its order keys) into the rows from ``at`` on.

        Returns the visible rows (as position + ``_base``) that came from the batch.
        """
        tail: list[list[Any]] = [list(column[at:]) for column in self._cols]
        held = len(tail[0])
        order = [ts << 64 | (seq & _SEQ_MASK) for ts, seq in zip(tail[0], tail[1], strict=True)]
        order += keys
        perm = sorted(range(held + len(keys)), key=order.__getitem__)
        self._cut(at, None)
        for column, old, more in zip(self._cols, tail, batch, strict=True):
            both: list[Any] = old + more
            column.extend(map(both.__getitem__, perm))
        base = self._base
        shown = self._shown
        rows = range(at, at + len(perm))
        self._vis.extend(pos + base for pos in compress(rows, shown[at:]))
        return [pos + base for pos, k in zip(rows, perm, strict=True) if k >= held and shown[pos]]

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
