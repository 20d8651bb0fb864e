"""History of a figure, binned for a sparkline that moves only every few seconds.

A sparkline fed with every raw sample scrolls by one column each second: every
column changes, the whole graph is repainted and sent again.  Averaging the
samples into bins aligned to the clock (5 s by default) and drawing only the
completed bins makes the graph change once per bin.  No Textual here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable


def completed_bins(
    points: Iterable[tuple[float, float | None]],
    now: float,
    *,
    bin_seconds: float = 5.0,
    count: int = 60,
) -> list[float]:
    """Averages of the last ``count`` complete bins before ``now`` (oldest first).

    ``points`` are (time, value) pairs in time order; ``None`` values (figure
    unavailable) are skipped.  A bin without a value repeats the one before it,
    so a refresh interval longer than a bin draws steps, not gaps.
    """
    if bin_seconds <= 0 or count <= 0:
        raise ValueError("bin_seconds and count must be positive")
    current = math.floor(now / bin_seconds)
    first = current - count
    sums: dict[int, tuple[float, int]] = {}
    for t, value in points:
        if value is None:
            continue
        index = math.floor(t / bin_seconds)
        if first <= index < current:
            total, n = sums.get(index, (0.0, 0))
            sums[index] = (total + value, n + 1)
    if not sums:
        return []
    out: list[float] = []
    previous: float | None = None
    for index in range(min(sums), current):
        if index in sums:
            total, n = sums[index]
            previous = total / n
        if previous is not None:
            out.append(previous)
    return out
