"""The bounded, time-ordered, filtered store of records behind a log view.

Records are kept ordered by (timestamp, arrival); a record without a
timestamp is placed after the record that arrived before it. The store
holds at most ``scrollback`` records (the oldest are dropped). A filter
selects the *visible* records, maintained incrementally as records arrive.
Never imports Textual.
"""

from __future__ import annotations

import re
import warnings
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

from nspawn_tui.journal.records import LogRecord

DEFAULT_SCROLLBACK = 10_000
_SEQ_BITS = 32
_SEQ_MASK = (1 << _SEQ_BITS) - 1


class SearchError(ValueError):
    """A search pattern that cannot be used, with a message fit to show."""


def compile_search(text: str) -> re.Pattern[str]:
    """A search as a pattern: ``re:EXPR`` is a regular expression, anything
    else plain text; both ignore case unless the text has a capital letter."""
    regex = text.startswith("re:")
    body = text[3:] if regex else text
    if not body:
        raise SearchError("empty search")
    flags = 0 if any(c.isupper() for c in body) else re.IGNORECASE
    try:
        # re warns about some patterns ("[[": possible nested set) on stderr,
        # which is the terminal the UI draws on: not a word of it
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return re.compile(body if regex else re.escape(body), flags)
    except re.error as error:
        raise SearchError(f"bad regular expression: {error}") from error
    except OverflowError as error:  # a{99999999999}: re says so with OverflowError
        raise SearchError(f"bad regular expression: {error}") from error
    except RecursionError:  # thousands of nested groups
        raise SearchError("bad regular expression: nested too deeply") from None


def record_matches(pattern: re.Pattern[str], record: LogRecord) -> bool:
    """Whether ``pattern`` occurs in the message or identifier of ``record``."""
    search = pattern.search
    return search(record.message) is not None or search(record.identifier) is not None


@dataclass(frozen=True, slots=True)
class LogFilter:
    """Which records are visible. ``None`` fields do not filter."""

    max_priority: int | None = None  # show priorities 0..max (records without one always)
    unit: str | None = None
    machines: frozenset[str] | None = None
    grep: re.Pattern[str] | None = None  # only records matching this

    def accepts(self, record: LogRecord) -> bool:
        if (
            self.max_priority is not None
            and record.priority is not None
            and record.priority > self.max_priority
        ):
            return False
        if self.unit is not None and record.unit != self.unit:
            return False
        if self.machines is not None and record.machine not in self.machines:
            return False
        return self.grep is None or record_matches(self.grep, record)

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


def _first(pair: tuple[int, LogRecord]) -> int:
    return pair[0]


def _merge(keys: list[int], records: list[LogRecord], batch: list[tuple[int, LogRecord]]) -> int:
    """Merge a key-sorted, non-empty ``batch`` into the sorted ``keys``/``records``;
    returns the lowest index that changed."""
    at = bisect_right(keys, batch[0][0])
    if at == len(keys):
        keys.extend(pair[0] for pair in batch)
        records.extend(pair[1] for pair in batch)
        return at
    merged = sorted([*zip(keys[at:], records[at:], strict=True), *batch], key=_first)
    keys[at:] = [pair[0] for pair in merged]
    records[at:] = [pair[1] for pair in merged]
    return at


class LogStore:
    """Records in time order, at most ``scrollback`` of them, and the visible subset."""

    def __init__(self, scrollback: int = DEFAULT_SCROLLBACK) -> None:
        if scrollback < 1:
            raise ValueError("scrollback must be at least 1")
        self._scrollback = scrollback
        self._keys: list[int] = []
        self._records: list[LogRecord] = []
        self._vis_keys: list[int] = []
        self._visible: list[LogRecord] = []
        self._filter = LogFilter()
        self._last_ts = 0
        self.search: re.Pattern[str] | None = None
        self.received = 0  # records ever added
        self.dropped = 0  # records dropped for the scrollback limit

    # ------------------------------------------------------------ contents

    @property
    def scrollback(self) -> int:
        return self._scrollback

    @property
    def total(self) -> int:
        """Records held (visible or not)."""
        return len(self._records)

    def __len__(self) -> int:
        """Visible records."""
        return len(self._visible)

    def __getitem__(self, index: int) -> LogRecord:
        return self._visible[index]

    @property
    def visible(self) -> Sequence[LogRecord]:
        return self._visible

    @property
    def records(self) -> Sequence[LogRecord]:
        """Every record held, in time order."""
        return self._records

    def machines(self) -> list[str]:
        return sorted({record.machine for record in self._records})

    def units(self) -> list[str]:
        return sorted({record.unit for record in self._records if record.unit})

    def clear(self) -> None:
        self._keys.clear()
        self._records.clear()
        self._vis_keys.clear()
        self._visible.clear()
        self._last_ts = 0

    def _key(self, record: LogRecord) -> int:
        ts = record.timestamp
        if ts is None or ts < 0:
            ts = self._last_ts
        else:
            self._last_ts = ts
        return (ts << _SEQ_BITS) | (record.seq & _SEQ_MASK)

    def add(self, records: Iterable[LogRecord]) -> AddResult:
        """Insert records in time order; drop the oldest beyond the scrollback.

        The batch is sorted and merged into the tail it overlaps, so a batch
        interleaving with recent records costs O(batch + overlap), not one
        list insertion per record.
        """
        key_of = self._key
        batch = [(key_of(record), record) for record in records]
        if not batch:
            return AddResult(0, 0, None)
        self.received += len(batch)
        batch.sort(key=_first)
        _merge(self._keys, self._records, batch)
        log_filter = self._filter
        if log_filter.active:
            accepts = log_filter.accepts
            batch = [pair for pair in batch if accepts(pair[1])]
        first = _merge(self._vis_keys, self._visible, batch) if batch else None
        added = len(batch)
        dropped = 0
        keys = self._keys
        excess = len(keys) - self._scrollback
        if excess > 0:
            cut = keys[excess - 1]
            del keys[:excess]
            del self._records[:excess]
            self.dropped += excess
            dropped = bisect_right(self._vis_keys, cut)
            if dropped:
                del self._vis_keys[:dropped]
                del self._visible[:dropped]
                if first is not None:
                    first = max(0, first - dropped)
                added = min(added, len(self._visible))
        return AddResult(added, dropped, first)

    # ------------------------------------------------------------- filters

    def set_filter(self, log_filter: LogFilter) -> None:
        """Apply a new filter (recomputes the visible list once)."""
        self._filter = log_filter
        if log_filter.active:
            pairs = [
                (key, record)
                for key, record in zip(self._keys, self._records, strict=True)
                if log_filter.accepts(record)
            ]
            self._vis_keys = [key for key, _ in pairs]
            self._visible = [record for _, record in pairs]
        else:
            self._vis_keys = list(self._keys)
            self._visible = list(self._records)

    def index_of(self, record: LogRecord) -> int | None:
        """The visible index of ``record``, None if it is not visible."""
        for at in range(len(self._visible)):
            if self._visible[at] is record:
                return at
        return None

    # -------------------------------------------------------------- search

    def set_search(self, pattern: re.Pattern[str] | None) -> None:
        self.search = pattern

    def is_match(self, index: int) -> bool:
        return self.search is not None and record_matches(self.search, self._visible[index])

    def next_match(self, from_index: int, *, wrap: bool = True) -> int | None:
        """The first visible index after ``from_index`` whose record matches the search."""
        pattern = self.search
        if pattern is None or not self._visible:
            return None
        visible = self._visible
        count = len(visible)
        start = max(-1, min(from_index, count - 1)) + 1
        order: Iterable[int] = range(start, count)
        if wrap:
            order = chain(order, range(0, start))
        for at in order:
            if record_matches(pattern, visible[at]):
                return at
        return None

    def prev_match(self, from_index: int, *, wrap: bool = True) -> int | None:
        """The last visible index before ``from_index`` whose record matches the search."""
        pattern = self.search
        if pattern is None or not self._visible:
            return None
        visible = self._visible
        count = len(visible)
        start = min(max(0, from_index), count)
        order: Iterable[int] = range(start - 1, -1, -1)
        if wrap:
            order = chain(order, range(count - 1, start - 1, -1))
        for at in order:
            if record_matches(pattern, visible[at]):
                return at
        return None

    def match_count(self) -> int:
        pattern = self.search
        if pattern is None:
            return 0
        return sum(1 for record in self._visible if record_matches(pattern, record))
