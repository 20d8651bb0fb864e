"""Per-link rates from successive counter readings.

A rate needs two readings of the same key at least :data:`MIN_INTERVAL`
apart: a reading sooner than that (the detail panel asking right after a
sweep read the same link) returns the last rates and keeps the older
baseline, so two readers of one link do not turn jitter into rates.  A
counter going backwards (the link was recreated, or wrapped) gives ``None``
for that interval and becomes the new baseline.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Final

from nspawn_tui.host.network import LinkCounters

MIN_INTERVAL: Final = 0.25  # seconds


@dataclass(frozen=True, slots=True)
class LinkRates:
    """Per second over the last interval (None: unknown yet, or a counter reset)."""

    rx_bps: float | None = None
    tx_bps: float | None = None
    rx_pps: float | None = None
    tx_pps: float | None = None


UNKNOWN: Final = LinkRates()


def _rate(new: int, old: int, seconds: float) -> float | None:
    return (new - old) / seconds if new >= old else None


def rates_between(old: LinkCounters, new: LinkCounters, seconds: float) -> LinkRates:
    """The rates from ``old`` to ``new`` over ``seconds`` (> 0)."""
    return LinkRates(
        rx_bps=_rate(new.rx_bytes, old.rx_bytes, seconds),
        tx_bps=_rate(new.tx_bytes, old.tx_bytes, seconds),
        rx_pps=_rate(new.rx_packets, old.rx_packets, seconds),
        tx_pps=_rate(new.tx_packets, old.tx_packets, seconds),
    )


class LinkRateTracker:
    """Rates per key (e.g. ``(leader, side, ifindex)``) from successive counters."""

    def __init__(self, min_interval: float = MIN_INTERVAL) -> None:
        self._min_interval = min_interval
        # key -> (timestamp of the baseline, its counters, the last rates)
        self._previous: dict[Hashable, tuple[float, LinkCounters, LinkRates]] = {}

    def update(self, key: Hashable, counters: LinkCounters, now: float) -> LinkRates:
        """``now`` is ``time.monotonic()`` of the reading."""
        old = self._previous.get(key)
        if old is None:
            self._previous[key] = (now, counters, UNKNOWN)
            return UNKNOWN
        then, old_counters, last = old
        seconds = now - then
        if seconds <= 0 or seconds < self._min_interval:
            return last
        rates = rates_between(old_counters, counters, seconds)
        self._previous[key] = (now, counters, rates)
        return rates

    def last(self, key: Hashable) -> LinkRates:
        """The rates the last :meth:`update` of ``key`` gave (unknown if none)."""
        old = self._previous.get(key)
        return UNKNOWN if old is None else old[2]

    def prune(self, keep: Callable[[Hashable], bool]) -> None:
        """Forget every key for which ``keep`` is false (links and machines that are gone)."""
        for key in [key for key in self._previous if not keep(key)]:
            del self._previous[key]

    def __len__(self) -> int:
        return len(self._previous)


class ByteRateTracker:
    """Bytes per second only, per key: the sweep's lighter :class:`LinkRateTracker`
    (same rules: :data:`MIN_INTERVAL`, a counter going backwards gives None)."""

    def __init__(self, min_interval: float = MIN_INTERVAL) -> None:
        self._min_interval = min_interval
        # key -> (timestamp, rx bytes, tx bytes, last rx/s, last tx/s)
        self._previous: dict[Hashable, tuple[float, int, int, float | None, float | None]] = {}

    def update(
        self, key: Hashable, rx: int, tx: int, now: float
    ) -> tuple[float | None, float | None]:
        old = self._previous.get(key)
        if old is None:
            self._previous[key] = (now, rx, tx, None, None)
            return None, None
        then, old_rx, old_tx, last_rx, last_tx = old
        seconds = now - then
        if seconds <= 0 or seconds < self._min_interval:
            return last_rx, last_tx
        rx_bps = (rx - old_rx) / seconds if rx >= old_rx else None
        tx_bps = (tx - old_tx) / seconds if tx >= old_tx else None
        self._previous[key] = (now, rx, tx, rx_bps, tx_bps)
        return rx_bps, tx_bps

    def prune(self, keep: Callable[[Hashable], bool]) -> None:
        """Forget every key for which ``keep`` is false."""
        for key in [key for key in self._previous if not keep(key)]:
            del self._previous[key]

    def __len__(self) -> int:
        return len(self._previous)


def add(a: float | None, b: float | None) -> float | None:
    """a + b where unknown (None) counts as nothing, and None + None stays None."""
    if a is None:
        return b
    return a if b is None else a + b


def total(rates: Iterable[LinkRates]) -> tuple[float | None, float | None]:
    """Summed (rx_bps, tx_bps) of the links whose rates are known (None if none is)."""
    rx: float | None = None
    tx: float | None = None
    for rate in rates:
        if rate.rx_bps is not None:
            rx = (rx or 0.0) + rate.rx_bps
        if rate.tx_bps is not None:
            tx = (tx or 0.0) + rate.tx_bps
    return rx, tx
