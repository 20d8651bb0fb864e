from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nspawn_tui.view.history import completed_bins, graph_rows


def test_averages_complete_bins_only() -> None:
    points = [(0.0, 10.0), (1.0, 20.0), (5.0, 30.0), (9.0, 50.0), (10.0, 99.0)]
    # now=11: bins [0,5) and [5,10) are complete; [10,15) is still filling
    assert completed_bins(points, 11.0) == [15.0, 40.0]


def test_unchanged_within_a_bin() -> None:
    points = [(float(t), float(t % 7)) for t in range(100)]
    assert completed_bins(points, 101.0) == completed_bins(points, 104.9)
    assert completed_bins(points, 101.0) != completed_bins(points, 105.0)


def test_gaps_repeat_the_previous_value_and_none_is_skipped() -> None:
    points = [(0.0, 4.0), (1.0, None), (12.0, 8.0)]
    assert completed_bins(points, 16.0) == [4.0, 4.0, 8.0]
    assert completed_bins([(0.0, None)], 10.0) == []


def test_keeps_the_last_count_bins() -> None:
    points = [(float(t), float(t)) for t in range(0, 1000, 5)]
    assert len(completed_bins(points, 1000.0, count=60)) == 60


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        completed_bins([], 1.0, bin_seconds=0)


@given(st.lists(st.tuples(st.floats(0, 500), st.floats(0, 1000)), max_size=200), st.floats(0, 600))
def test_values_stay_within_the_samples_range(raw: list[tuple[float, float]], now: float) -> None:
    points = sorted(raw)
    bins = completed_bins(points, now)
    assert len(bins) <= 60
    if bins:
        values = [v for _, v in points]
        assert min(values) - 1e-6 <= min(bins) and max(bins) <= max(values) + 1e-6


def test_graph_rows_newest_at_the_right_scaled_to_the_largest() -> None:
    rows = graph_rows([1.0, 2.0, 4.0], width=5, height=2)
    assert rows == ["    █", "  ▄██"]  # 4 = 16 eighths: full; 2 = 8: one line; 1 = 4: half


def test_graph_rows_keep_a_baseline_and_drop_the_oldest() -> None:
    assert graph_rows([0.0, 0.0], width=3, height=1) == [" ▁▁"]  # quiet, not empty
    assert graph_rows([9.0, 1.0, 1.0], width=2, height=1) == ["██"]  # 9 is out of view
    assert graph_rows([], width=3, height=2) == ["   ", "▁▁▁"]  # no history yet


def test_graph_rows_tiny_values_still_show() -> None:
    rows = graph_rows([100.0, 0.1], width=2, height=3)
    assert rows[-1] == "█▁" and rows[0] == "█ "


def test_graph_rows_degenerate_sizes() -> None:
    assert graph_rows([1.0], width=0, height=2) == ["", ""]
    assert graph_rows([1.0], width=4, height=0) == []
