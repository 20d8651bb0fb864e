"""Searching the visible records of a :class:`~nspawn_tui.journal.store.LogStore`.

The store mixes :class:`Searching` in: a pattern is looked for in a record's
message and identifier as they are shown (cleaned: an ESC is the ``^[`` on
the screen), an identifier's verdict kept per shared entry, over
the visible rows, forwards or backwards, wrapping or not.  A scan stops with
:class:`~nspawn_tui.journal.patterns.SearchTooSlow` once it has taken
:data:`~nspawn_tui.journal.patterns.SCAN_BUDGET` (a line alone, past its own
limit, raises it too). Never imports Textual.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from time import monotonic
from typing import Any

from nspawn_tui.journal.patterns import SCAN_BUDGET, SearchPattern
from nspawn_tui.safe import clean, clean_lines

#: lines searched between two looks at the clock
_CLOCK_EVERY = 64


class Searching:
    """The search half of a LogStore: what it reads of the store is declared here."""

    search: SearchPattern | None
    _search_ident: dict[int, bool]
    _table: list[Any]  # each entry has an ``identifier``
    _shared: array[int]
    _msg: list[str]
    _vis: array[int]
    _base: int

    def _hit(
        self, pattern: SearchPattern, idents: dict[int, bool], shared: int, message: str
    ) -> bool:
        found = idents.get(shared)
        if found is None:
            found = idents[shared] = pattern.found(clean(self._table[shared].identifier))
        return found or pattern.found(clean_lines(message))

    def set_search(self, pattern: SearchPattern | None) -> None:
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
        if matches is None:
            return None
        return next((at for at in self._within_budget(order) if matches(at)), None)

    def _within_budget(self, order: Iterable[int]) -> Iterator[int]:
        """``order``, stopped with SearchTooSlow once the scan has taken SCAN_BUDGET."""
        deadline = monotonic() + SCAN_BUDGET
        for done, at in enumerate(order):
            if done and not done % _CLOCK_EVERY and monotonic() > deadline:
                assert self.search is not None  # a scan runs for a search only
                raise self.search.too_slow(
                    f"{done:,} of {len(self._vis):,} lines searched in {SCAN_BUDGET:g} s"
                )
            yield at

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
        if matches is None:
            return 0
        return sum(1 for at in self._within_budget(range(len(self._vis))) if matches(at))
