"""Searches: plain text or ``re:``, case by capitals, and every look bounded in time.

A catastrophic expression (``(a|aa)+$`` on a line of a's that ends otherwise)
backtracks for longer than anyone waits with :mod:`re`; here a line gets
``LINE_TIMEOUT`` and a scan of the store ``SCAN_BUDGET``, then
``SearchTooSlow``.  The times asserted are bounds against a hang (tens of
times the limits), not measurements.
"""

from __future__ import annotations

import time

import pytest

from nspawn_tui.journal import search as search_module
from nspawn_tui.journal.patterns import (
    LINE_TIMEOUT,
    SearchError,
    SearchTooSlow,
    compile_search,
)
from nspawn_tui.journal.sources import LogRecord, next_seq
from nspawn_tui.journal.store import LogStore

#: backtracks exponentially in the length of the run of a's (both engines)
CATASTROPHIC = "re:(a|aa)+$"
HOSTILE = "a" * 64 + "!"


def rec(message: str, ts: int) -> LogRecord:
    return LogRecord("m", ts, 6, "u", "app", "1", message, "", "", next_seq())


def test_plain_text_is_literal_and_case_follows_capitals() -> None:
    pattern = compile_search("a.b(")
    assert pattern.found("x A.B( y") and not pattern.found("axb(")
    assert not pattern.bounded  # an escaped literal: linear, no time limit needed
    assert compile_search("Error").found("Error") and not compile_search("Error").found("error")
    assert compile_search("error").found("ERROR")


def test_an_expression_has_the_usual_syntax_and_spans() -> None:
    pattern = compile_search(r"re:\d{3}")
    assert pattern.bounded
    assert pattern.found("code 404") and not pattern.found("code 40")
    assert pattern.spans("404 and 500, 12") == [(0, 3), (8, 11)]
    assert compile_search("re:x*").spans("abc") == []  # empty matches are not marks
    assert compile_search("re:FAIL").spans("fail FAIL") == [(5, 9)]


def test_a_catastrophic_expression_is_stopped_on_a_line() -> None:
    pattern = compile_search(CATASTROPHIC)
    started = time.monotonic()
    with pytest.raises(SearchTooSlow, match=r"too slow \(over 0.25 s on one line\)"):
        pattern.found(HOSTILE)
    with pytest.raises(SearchTooSlow):
        pattern.spans(HOSTILE)
    assert time.monotonic() - started < 20 * LINE_TIMEOUT
    assert pattern.found("aaa")  # the same expression on a harmless line


def test_an_expression_with_a_typo_on_an_ordinary_line_does_not_stall() -> None:
    """``(\\w+\\s?)+$x`` takes 0.7 s a line with Python's re: here, at most the limit."""
    pattern = compile_search(r"re:(\w+\s?)+$x")
    line = "Started Session 42 of User root; a bad day at the data center again, nothing to say"
    started = time.monotonic()
    outcome: bool | None
    try:
        outcome = pattern.found(line)
    except SearchTooSlow:
        outcome = None  # stopped at the limit: as good, the view says so
    assert outcome is not True
    assert time.monotonic() - started < 20 * LINE_TIMEOUT


def test_a_slow_scan_stops_after_its_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    store = LogStore()
    store.add([rec(f"line {n}", n) for n in range(1000)])
    store.set_search(compile_search("re:nowhere"))
    assert store.next_match(0) is None  # within the budget: searched to the end
    monkeypatch.setattr(search_module, "SCAN_BUDGET", -1.0)  # every look at the clock is late
    with pytest.raises(SearchTooSlow, match=r"64 of 1,000 lines searched"):
        store.next_match(0)
    with pytest.raises(SearchTooSlow):
        store.match_count()
    store.set_search(compile_search("line 999"))
    assert store.prev_match(len(store)) == 999  # found before the first look at the clock


def test_a_hostile_line_in_the_store_stops_the_scan() -> None:
    store = LogStore()
    store.add([rec("aaa!", 1), rec(HOSTILE, 2), rec("aa", 3)])
    store.set_search(compile_search(CATASTROPHIC))
    assert store.prev_match(len(store)) == 2  # the newest line matches: found first
    with pytest.raises(SearchTooSlow):
        store.prev_match(2)


@pytest.mark.parametrize("text", ["re:(", "re:", "", "re:a{99999999999}"])
def test_bad_searches_are_search_errors(text: str) -> None:
    with pytest.raises(SearchError):
        compile_search(text)


def test_a_search_finds_what_the_screen_shows() -> None:
    """An ESC is drawn as ``^[`` (nspawn_tui.safe.clean): searching for that finds it."""
    store = LogStore()
    store.add([rec("plain line", 1), rec("\x1b[31mred alert", 2), rec("tab\there", 3)])
    store.set_search(compile_search("^[[31m"))
    assert store.next_match(0) == 1 and store.match_count() == 1
    store.set_search(compile_search(r"re:\^\[\[\d+m"))
    assert store.match_count() == 1
    store.set_search(compile_search("tab here"))  # a tab as drawn: to the next 4-column stop
    assert store.match_count() == 1
