"""History of a figure, binned for a graph that moves only every few seconds.

A graph fed with every raw sample scrolls by one column each second: every
column changes, the whole graph is repainted and sent again.  Averaging the
samples into bins aligned to the clock (5 s by default) and drawing only the
completed bins makes the graph change once per bin.  No Textual here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


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


#: a column's level in eighths of a line: " " (nothing) to "█" (full)
BARS = " ▁▂▃▄▅▆▇█"


def graph_rows(values: Sequence[float], width: int, height: int) -> list[str]:
    """Bar graph text, ``height`` lines of ``width`` cells, top line first.

    One column per value, the newest at the right; with more values than
    columns the oldest are left out, with fewer the left side stays blank.
    The scale runs from 0 to the largest value; every value draws at least
    "▁" so that a quiet stretch still shows as a line.  No values: a "▁" line.
    """
    if width <= 0 or height <= 0:
        return [""] * max(height, 0)
    shown = list(values)[-width:]
    if not shown:
        return [" " * width] * (height - 1) + [BARS[1] * width]
    top = max(shown)
    steps = height * 8
    levels = [max(1, round(v / top * steps)) if top > 0 and v > 0 else 1 for v in shown]
    pad = " " * (width - len(shown))
    rows = []
    for line in range(height):
        floor = (height - 1 - line) * 8  # eighths below this line
        rows.append(pad + "".join(BARS[min(8, max(0, level - floor))] for level in levels))
    return rows


def series_bins(
    points: Iterable[tuple[float, *tuple[float | None, ...]]],
    now: float,
    columns: int,
    *,
    bin_seconds: float = 5.0,
    count: int = 60,
) -> list[list[float]]:
    """:func:`completed_bins` of each of ``columns`` figures of ``points`` (``(time, a, b, ...)``).

    Values may be None (unavailable); they are skipped.
    """
    kept = list(points)
    return [
        completed_bins(
            ((p[0], None if (v := p[i]) is None else float(v)) for p in kept),
            now,
            bin_seconds=bin_seconds,
            count=count,
        )
        for i in range(1, columns + 1)
    ]
