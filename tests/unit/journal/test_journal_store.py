"""LogStore: time order across sources, scrollback bound, filters, search."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nspawn_tui.journal.sources import LogRecord, next_seq
from nspawn_tui.journal.store import LogFilter, LogStore, SearchError, compile_search


def rec(
    machine: str, ts: int | None, message: str = "", priority: int | None = 6, unit: str = "u"
) -> LogRecord:
    return LogRecord(
        machine, ts, priority, unit, "app", "1", message or f"{machine}@{ts}", "", "", next_seq()
    )


def test_interleaved_sources_end_up_in_timestamp_order() -> None:
    store = LogStore()
    store.add([rec("a", t) for t in (10, 20, 30, 40)])
    result = store.add([rec("b", t) for t in (5, 15, 25, 45)])
    assert [r.timestamp for r in store.visible] == [5, 10, 15, 20, 25, 30, 40, 45]
    assert result.added == 4
    assert result.first == 0


def test_equal_timestamps_keep_arrival_order_and_no_timestamp_follows_predecessor() -> None:
    store = LogStore()
    first, second = rec("a", 10, "first"), rec("b", 10, "second")
    store.add([first, rec("a", 20, "later"), second])
    store.add([rec("a", 30, "thirty"), rec("a", None, "untimed")])
    assert [r.message for r in store.visible] == ["first", "second", "later", "thirty", "untimed"]


def test_scrollback_drops_oldest() -> None:
    store = LogStore(scrollback=5)
    store.add([rec("a", t) for t in range(3)])
    result = store.add([rec("a", t) for t in range(3, 10)])
    assert store.total == 5
    assert [r.timestamp for r in store.visible] == [5, 6, 7, 8, 9]
    # the view's rows that went: 0, 1, 2 (3 and 4, older than the batch's newest five,
    # were never held); the store counts all five
    assert result.dropped == 3
    assert (result.added, result.first) == (5, 0)
    assert store.dropped == 5
    assert store.received == 10
    # an out-of-order record older than everything held is dropped straight away
    store.add([rec("b", 1)])
    assert [r.timestamp for r in store.visible] == [5, 6, 7, 8, 9]


def test_a_timestamp_no_column_holds_is_a_missing_one() -> None:
    """A journal's ``__REALTIME_TIMESTAMP`` past 2**63 (broken or forged) loses nothing."""
    store = LogStore(scrollback=10)
    store.add([rec("a", 5), rec("a", 7)])
    cursor = "s=1;i=1;b=2;t=56bc75e2d630fffff"
    huge = dataclasses.replace(rec("a", 0), timestamp=10**20, message="huge", cursor=cursor)
    six = rec("a", 6)
    negative = dataclasses.replace(rec("a", 0), timestamp=-1, message="negative")
    result = store.add([huge, six, negative])
    assert result.added == 3
    # each ordered after what arrived before it: huge after 7 (the newest held), negative after 6
    assert [r.message for r in store.visible] == ["a@5", "a@6", "negative", "a@7", "huge"]
    kept = store.visible[-1]
    assert (kept.timestamp, kept.cursor) == (10**20, cursor)


def test_filters_priority_unit_machine_incrementally() -> None:
    store = LogStore()
    store.add([rec("a", 1, priority=3), rec("a", 2, priority=6), rec("b", 3, priority=4, unit="x")])
    store.set_filter(LogFilter(max_priority=4))
    assert [r.timestamp for r in store.visible] == [1, 3]
    added = store.add(
        [rec("a", 4, priority=7), rec("a", 5, priority=0), rec("a", 6, priority=None)]
    )
    assert [r.timestamp for r in store.visible] == [1, 3, 5, 6]
    assert added.added == 2
    store.set_filter(LogFilter(unit="x"))
    assert [r.timestamp for r in store.visible] == [3]
    store.set_filter(LogFilter(machines=frozenset({"a"}), grep=compile_search("a@4")))
    assert [r.timestamp for r in store.visible] == [4]
    store.set_filter(LogFilter())
    assert len(store) == store.total == 6


def test_search_jumps_forward_and_back_with_wrap() -> None:
    store = LogStore()
    store.add([rec("a", t, "error here" if t in (2, 5) else "fine") for t in range(8)])
    store.set_search(compile_search("ERROR"))  # capitals: case-sensitive, no match
    assert store.next_match(0) is None
    store.set_search(compile_search("error"))
    assert store.next_match(-1) == 2
    assert store.next_match(2) == 5
    assert store.next_match(5) == 2  # wraps
    assert store.next_match(5, wrap=False) is None
    assert store.prev_match(len(store)) == 5
    assert store.prev_match(5) == 2
    assert store.prev_match(2) == 5
    assert store.match_count() == 2
    assert store.is_match(5) and not store.is_match(4)


def test_regex_search_and_bad_regex() -> None:
    pattern = compile_search(r"re:\d{3}")
    assert pattern.found("code 404") and not pattern.found("code 40")
    with pytest.raises(SearchError, match="bad regular expression"):
        compile_search("re:(")
    with pytest.raises(SearchError):
        compile_search("")


def test_index_of_and_clear() -> None:
    store = LogStore()
    records = [rec("a", t) for t in range(4)]
    store.add(records)
    assert store.index_of(records[2]) == 2
    store.clear()
    assert len(store) == 0 and store.index_of(records[2]) is None


@given(
    st.lists(
        st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 50)), max_size=30), max_size=8
    ),
    st.integers(1, 60),
    st.sampled_from([None, 3, 5]),
)
def test_batches_in_any_order_match_a_sorted_reference(
    batches: list[list[tuple[str, int]]], scrollback: int, max_priority: int | None
) -> None:
    store = LogStore(scrollback=scrollback)
    store.set_filter(LogFilter(max_priority=max_priority))
    everything: list[LogRecord] = []
    for batch in batches:
        records = [rec(m, ts, priority=ts % 8) for m, ts in batch]
        everything += records
        store.add(records)
    reference = sorted(everything, key=lambda r: (r.timestamp, r.seq))[-scrollback:]
    assert list(store.records) == reference
    assert list(store.visible) == [
        r for r in reference if max_priority is None or (r.priority or 0) <= max_priority
    ]
