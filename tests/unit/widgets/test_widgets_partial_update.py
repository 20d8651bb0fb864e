"""changed_span: the cells that differ between two drawn texts."""

from __future__ import annotations

from nspawn_tui.widgets.machine_table import changed_span


def test_changed_span_equal_texts_is_empty() -> None:
    assert changed_span("  12.5", "  12.5") == (0, 0)
    assert changed_span("ab", "ab  ") == (0, 0)  # trailing blanks look the same


def test_changed_span_covers_only_differing_characters() -> None:
    assert changed_span("  12.5", "  12.7") == (5, 6)
    assert changed_span("  12.5", "  13.5") == (3, 4)
    assert changed_span("1.8G / 3.6G", "1.9G / 3.6G") == (2, 3)


def test_changed_span_with_different_lengths_reaches_the_longer_end() -> None:
    assert changed_span("9%", "10%") == (0, 3)  # cell by cell: the "%" moved
    assert changed_span("mem 9G", "mem 10G") == (4, 7)
    assert changed_span("abc", "ab") == (2, 3)
    assert changed_span("x 9% y", "x 10% y") == (2, 7)


def test_changed_span_with_double_width_characters_is_whole_text() -> None:
    assert changed_span("日本1", "日本2") == (0, 5)
