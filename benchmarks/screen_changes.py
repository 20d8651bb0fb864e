"""What the dashboard benchmark reads from a captured screen and from /proc (not part of the app).

:func:`count_changes` counts changed values between two captures of a pane
(table cells by column, elsewhere runs of changed cells); :func:`sched_cpu_seconds`
reads a process's exact CPU time from the scheduler.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from nspawn_tui.view.rows import layout_columns

#: the pane's width (bench_dashboard's WIDTH)
WIDTH = 120

Spans = list[tuple[int, int]]


def sched_cpu_seconds(pid: int) -> float:
    """CPU time of a process's live threads from /proc/PID/task/*/schedstat (ns), in seconds.

    utime + stime count whole clock ticks (10 ms: 0.05 % of one core over 20 s,
    the size of the figures compared here); the scheduler's run time is exact.
    A thread that starts and ends inside the window is missed (Textual's
    threads live as long as the app). NaN where schedstat is not available.
    """
    total = 0
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                total += int((task / "schedstat").read_text().split()[0])
            except FileNotFoundError:  # the thread ended meanwhile
                continue
    except OSError:
        return float("nan")
    return total / 1e9


def _runs(positions: list[int], gap: int = 2) -> int:
    """How many groups of changed positions, groups split by >= *gap* unchanged cells."""
    groups = 0
    last = -(10**9)
    for pos in positions:
        if pos - last > gap:
            groups += 1
        last = pos
    return groups


def count_changes(
    before: list[str],
    after: list[str],
    table_lines: Callable[[list[str]], range],
    width: int = WIDTH,
) -> int:
    """Changed values between two captures (see bench_dashboard's docstring)."""
    spans: Spans = []
    x = 0
    for _column, cells in layout_columns(width):
        spans.append((x, x + cells))
        x += cells + 1
    rows = table_lines(after)
    total = 0
    for y in range(min(len(before), len(after))):
        old, new = before[y].ljust(width), after[y].ljust(width)
        if old == new:
            continue
        if y in rows:
            total += sum(1 for a, b in spans if old[a:b] != new[a:b])
        else:
            total += _runs([i for i, (p, q) in enumerate(zip(old, new, strict=False)) if p != q])
    return total


def app_table_lines(screen: list[str]) -> range:
    """Lines of the machine table body: after the line starting with NAME, before ' sort:'."""
    start = next((i for i, line in enumerate(screen) if line.startswith("NAME")), None)
    if start is None:
        return range(0)
    end = next(
        (i for i in range(start, len(screen)) if screen[i].startswith(" sort:")), len(screen)
    )
    return range(start + 1, end)


def no_table(screen: list[str]) -> range:
    return range(0)
