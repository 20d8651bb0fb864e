"""The columnar LogStore: records come back exactly as added, and a held line is small."""

from __future__ import annotations

import gc
import tracemalloc

from hypothesis import given, settings
from hypothesis import strategies as st

from nspawn_tui.journal.records import record_matches, split_cursor
from nspawn_tui.journal.sources import LogRecord, next_seq
from nspawn_tui.journal.store import LogFilter, LogStore, compile_search

SEQNUM_ID = "9a8b7c6d5e4f40312a1b2c3d4e5f6a7b"
BOOT = "3f1c2a9d8e7b4c6a9d0e1f2a3b4c5d6e"


def cursor(ts: int, i: int, *, m: bool = True, x: bool = True) -> str:
    text = f"s={SEQNUM_ID};i={i:x};b={BOOT}"
    text += f";m={i * 13:x}" if m else ""
    text += f";t={ts:x}"
    return text + (f";x={i * 7919 + 1:x}" if x else "")


def rec(
    ts: int | None,
    message: str = "",
    *,
    machine: str = "a",
    cur: str = "",
    pid: str = "1",
    identifier: str = "app",
    priority: int | None = 6,
) -> LogRecord:
    return LogRecord(
        machine,
        ts,
        priority,
        "u.service",
        identifier,
        pid,
        message or f"m{ts}",
        BOOT,
        cur,
        next_seq(),
    )


# -------------------------------------------------------------- cursors


def test_split_cursor_gives_back_journald_cursors_byte_for_byte() -> None:
    for text in (
        cursor(1_700_000_000_000_000, 0x3E9),
        cursor(5, 1, m=False),
        cursor(5, 1, x=False),
        cursor(5, 1, m=False, x=False),
        f"s={SEQNUM_ID};i=ffffffffffffffff;b={BOOT};m=0;t=5;x=ffffffffffffffff",
    ):
        ts = int(text.split(";t=")[1].split(";")[0], 16)
        split = split_cursor(text, ts)
        assert split is not None
        frame, i, m, x = split
        assert frame.format(i, m, x, ts) == text
        assert SEQNUM_ID in frame and BOOT in frame  # the shared part holds the ids


def test_split_cursor_refuses_what_it_could_not_rebuild() -> None:
    good = cursor(16, 1)
    assert split_cursor(good, 17) is None  # t= is not the timestamp
    assert split_cursor(good.replace("i=1;", "i=01;"), 16) is None  # leading zero
    assert split_cursor(good.replace("i=1;", "i=A;"), 16) is None  # capitals
    assert split_cursor(good + ";y=1", 16) is None
    assert split_cursor("not a cursor", 16) is None
    assert split_cursor(good.replace("i=1;", "i=10000000000000000;"), 16) is None  # > 64 bits


# ---------------------------------------------------- records come back


def test_every_kind_of_record_comes_back_equal_and_byte_exact() -> None:
    odd_cursors = [
        cursor(30, 3).replace("i=3", "i=03"),
        "s=x;i=1",
        cursor(99, 4),  # t= not the timestamp (40)
        "",
    ]
    records = [
        rec(10, cur=cursor(10, 1)),
        rec(20, cur=cursor(20, 2, m=False, x=False)),
        rec(30, cur=odd_cursors[0]),
        rec(35, cur=odd_cursors[1]),
        rec(40, cur=odd_cursors[2]),
        rec(45, cur=odd_cursors[3]),
        rec(None, cur=cursor(50, 5)),  # no timestamp: after its predecessor, cursor kept
        rec(-7, cur="s=neg"),  # a negative timestamp is kept as it came
        rec(60, "two\nlines ünïcödé \udcff", cur=cursor(60, 6), priority=None),
    ]
    store = LogStore()
    store.add(records)
    assert list(store.records) == records
    assert [r.cursor for r in store.visible] == [r.cursor for r in records]
    assert [r.timestamp for r in store.visible] == [10, 20, 30, 35, 40, 45, None, -7, 60]
    assert store[3].fields() == records[3].fields()


def test_shared_fields_are_one_object_and_a_record_asked_twice_is_the_same() -> None:
    store = LogStore()
    store.add([rec(t, cur=cursor(t, t), machine="".join(["we", "b"])) for t in range(1, 50)])
    assert store[0].machine is store[40].machine
    assert store[0].boot_id is store[40].boot_id
    assert store[5] is store[5]
    assert store.index_of(store[5]) == 5
    copy = rec(None)
    assert store.index_of(copy) is None
    equal = LogRecord(*(getattr(store[7], f) for f in LogRecord.__dataclass_fields__))
    assert equal is not store[7] and store.index_of(equal) == 7


def test_the_side_table_of_odd_cursors_and_the_shared_table_stay_bounded() -> None:
    store = LogStore(scrollback=50)
    for start in range(0, 20_000, 500):
        store.add([rec(t, cur=f"weird-{t}", pid=str(t)) for t in range(start + 1, start + 501)])
    assert store.total == 50
    assert len(store._odd) == 50  # the side table follows the rows
    assert len(store._table) <= 4096 + 500  # compacted as PIDs churn
    assert [r.cursor for r in store.records] == [f"weird-{t}" for t in range(19_951, 20_001)]
    assert store.units() == ["u.service"] and store.machines() == ["a"]


def test_a_held_line_costs_its_message_and_under_100_bytes_more() -> None:
    count, start = 20_000, 1_700_000_000_000_000
    messages = [f"request {i} handled in {i % 97} ms status=200 " + "x" * 60 for i in range(count)]
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        store = LogStore(scrollback=count)
        for at in range(0, count, 1000):  # records made, added and let go, batch by batch
            store.add(
                [
                    rec(start + i, messages[i], cur=cursor(start + i, i + 1), machine=f"m{i % 7}")
                    for i in range(at, at + 1000)
                ]
            )
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert store.total == count
    # the messages existed before: the store adds its columns (about 60 bytes a
    # line) and their slack, not a record object, a cursor string and ints
    assert grown / count < 100, grown / count
    last = list(store.records)[-1]
    assert last.message is messages[-1] and last.cursor == cursor(start + count - 1, count)


# ------------------------------------------------- against a reference


_line = st.tuples(
    st.sampled_from("abc"),
    st.one_of(st.none(), st.integers(0, 40)),
    st.sampled_from(["err", "ok", "Err", "fine"]),
    st.sampled_from(["app", "sshd", "errd"]),
    st.integers(0, 7),
    st.sampled_from(["std", "short", "odd", "none"]),
)


def _make(line: tuple[str, int | None, str, str, int, str], n: int) -> LogRecord:
    machine, ts, message, ident, priority, kind = line
    cur = {
        "std": cursor(ts or 0, n + 1),
        "short": cursor(ts or 0, n + 1, m=False),
        "odd": f"odd-{n}",
        "none": "",
    }[kind]
    return rec(ts, f"{message} {n}", machine=machine, cur=cur, identifier=ident, priority=priority)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(_line, max_size=25), max_size=6),
    st.integers(1, 40),
    st.sampled_from([None, 3]),
    st.sampled_from([None, "err"]),
)
def test_filter_and_search_match_a_reference_built_from_records(
    batches: list[list[tuple[str, int | None, str, str, int, str]]],
    scrollback: int,
    max_priority: int | None,
    grep: str | None,
) -> None:
    log_filter = LogFilter(
        max_priority=max_priority, grep=None if grep is None else compile_search(grep)
    )
    store = LogStore(scrollback=scrollback)
    store.set_filter(log_filter)
    held: list[LogRecord] = []
    last = 0
    keyed: list[tuple[int, int, LogRecord]] = []
    n = 0
    for batch in batches:
        records = []
        for line in batch:
            record = _make(line, n)
            n += 1
            records.append(record)
        for record in records:  # the store's order: a missing timestamp takes the last one
            if record.timestamp is not None and record.timestamp >= 0:
                last = record.timestamp
            keyed.append((last, record.seq, record))
        store.add(records)
    keyed.sort(key=lambda k: (k[0], k[1]))
    held = [k[2] for k in keyed][-scrollback:]
    assert list(store.records) == held
    shown = [r for r in held if log_filter.accepts(r)]
    assert list(store.visible) == shown
    pattern = compile_search("err")
    store.set_search(pattern)
    hits = [i for i, r in enumerate(shown) if record_matches(pattern, r)]
    assert store.match_count() == len(hits)
    assert store.next_match(-1, wrap=False) == (hits[0] if hits else None)
    assert store.prev_match(len(shown), wrap=False) == (hits[-1] if hits else None)
    store.set_filter(LogFilter())
    assert list(store.visible) == held


def test_visible_is_a_snapshot_that_later_adds_and_drops_do_not_change() -> None:
    store = LogStore(scrollback=10)
    store.add([rec(t, cur=cursor(t, t + 1)) for t in range(10)])
    shown = store.visible
    held = store.records
    store.add([rec(t, cur=f"odd-{t}") for t in range(5, 25)])  # merges, then drops all ten
    assert [r.timestamp for r in shown] == list(range(10))
    assert [r.cursor for r in held] == [cursor(t, t + 1) for t in range(10)]
    assert shown[-1].timestamp == 9 and shown[2:4] == [held[2], held[3]]
    assert [r.timestamp for r in store.visible] == list(range(15, 25))
