"""Per-link rates: arithmetic, counter resets, two readers of one link."""

from __future__ import annotations

import pytest

from nspawn_tui.host.network import LinkCounters
from nspawn_tui.net.rates import LinkRates, LinkRateTracker, rates_between, total


def c(rx: int, tx: int, rxp: int = 0, txp: int = 0) -> LinkCounters:
    return LinkCounters(rx_bytes=rx, tx_bytes=tx, rx_packets=rxp, tx_packets=txp)


def test_the_first_reading_is_unknown_then_bytes_and_packets_per_second() -> None:
    tracker = LinkRateTracker()
    assert tracker.update("k", c(1000, 50, 10, 1), 10.0) == LinkRates()
    rates = tracker.update("k", c(3000, 150, 30, 3), 12.0)
    assert rates == LinkRates(rx_bps=1000.0, tx_bps=50.0, rx_pps=10.0, tx_pps=1.0)
    assert tracker.last("k") == rates


def test_a_counter_going_backwards_is_unknown_once_then_counts_from_there() -> None:
    tracker = LinkRateTracker()
    tracker.update("k", c(10_000, 10_000), 0.0)
    reset = tracker.update("k", c(100, 20_000), 1.0)  # rx reset (a recreated link), tx fine
    assert reset.rx_bps is None and reset.tx_bps == 10_000.0
    assert tracker.update("k", c(600, 20_000), 2.0).rx_bps == 500.0


def test_a_reading_too_soon_keeps_the_baseline_and_the_last_rates() -> None:
    tracker = LinkRateTracker(min_interval=0.25)
    tracker.update("k", c(0, 0), 0.0)
    first = tracker.update("k", c(1000, 0), 1.0)
    assert tracker.update("k", c(1001, 0), 1.01) == first  # the detail right after the sweep
    assert tracker.update("k", c(3000, 0), 2.0).rx_bps == pytest.approx(2000.0)


def test_no_time_passing_gives_the_last_rates_not_a_division_by_zero() -> None:
    tracker = LinkRateTracker(min_interval=0.0)
    tracker.update("k", c(0, 0), 5.0)
    assert tracker.update("k", c(10, 10), 5.0) == LinkRates()


def test_prune_forgets_gone_keys() -> None:
    tracker = LinkRateTracker()
    tracker.update((1, "host", 5), c(0, 0), 0.0)
    tracker.update((2, "host", 6), c(0, 0), 0.0)
    tracker.prune(lambda key: isinstance(key, tuple) and key[0] == 2)
    assert len(tracker) == 1 and tracker.last((1, "host", 5)) == LinkRates()


def test_totals_sum_the_known_and_are_none_when_nothing_is_known() -> None:
    assert total([]) == (None, None)
    assert total([LinkRates(), LinkRates()]) == (None, None)
    assert total([LinkRates(rx_bps=1.0), LinkRates(rx_bps=2.0, tx_bps=0.0)]) == (3.0, 0.0)


def test_rates_between() -> None:
    assert rates_between(c(0, 0), c(10, 20, 1, 2), 2.0) == LinkRates(5.0, 10.0, 0.5, 1.0)
