"""Progress of a transfer from bytes counted: rate over a sliding window, time left.

A :class:`ProgressMeter` is fed the running byte count (from the thread that
copies through the pipe, or a simulation) and gives
:class:`~nspawn_tui.host.images.TransferProgress` readings.  The rate is
taken over the last :data:`WINDOW` seconds, so a stall shows at once and a
burst at the start does not promise an early end.  The clock is injected:
tests step it by hand.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Final

from nspawn_tui.host.images import TransferProgress

#: Seconds of readings the rate is computed over.
WINDOW: Final = 5.0
#: Readings kept at most (a fast caller cannot grow the window without bound).
MAX_POINTS: Final = 256
#: Seconds without a new count after which the rate counts the silence too.
STALL: Final = 1.0


class ProgressMeter:
    """Counted bytes in, :class:`TransferProgress` out."""

    def __init__(
        self,
        total_bytes: int | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        window: float = WINDOW,
    ) -> None:
        if window <= 0:
            raise ValueError(f"window must be positive, not {window}")
        self.total_bytes = total_bytes if total_bytes and total_bytes > 0 else None
        self.clock = clock
        self.window = window
        self.started = clock()
        self.done_bytes = 0
        self._points: deque[tuple[float, int]] = deque([(self.started, 0)], maxlen=MAX_POINTS)

    def update(self, done_bytes: int) -> None:
        """The count now (never goes back: a smaller count is ignored)."""
        if done_bytes < self.done_bytes:
            return
        self.done_bytes = done_bytes
        now = self.clock()
        points = self._points
        if points and points[-1][0] == now:
            points[-1] = (now, done_bytes)
        else:
            points.append((now, done_bytes))
        # keep one point at or before the window's start, so the rate spans it all
        while len(points) > 2 and points[1][0] <= now - self.window:
            points.popleft()

    def rate(self) -> float | None:
        """Bytes per second over the window; None before two readings apart in time."""
        if len(self._points) < 2:
            return None
        (t0, b0), (t1, b1) = self._points[0], self._points[-1]
        now = self.clock()
        if now - t1 > self.window:
            return 0.0  # nothing counted for a whole window: stalled
        # counting for a while: up to the last count; silent for over STALL
        # seconds: up to now, so a stall lowers the rate as it lasts
        span = (now if now - t1 > STALL else t1) - t0
        if span <= 0:
            return None
        return (b1 - b0) / span

    def reading(self, *, finished: bool = False, message: str = "") -> TransferProgress:
        done = self.done_bytes
        # at the end the real total is known: what went through (an export's
        # total was an estimate)
        total = done if finished else self.total_bytes
        return TransferProgress(
            done_bytes=done,
            total_bytes=total,
            rate_bps=self.rate(),
            elapsed=max(0.0, self.clock() - self.started),
            finished=finished,
            message=message,
        )


def clock_text(seconds: float | None) -> str:
    """Seconds as "0:07", "12:34", "1:02:03"; "" when unknown."""
    if seconds is None or seconds < 0 or seconds != seconds:
        return ""
    total = int(seconds + 0.5)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def progress_line(progress: TransferProgress, format_bytes: Callable[[float], str]) -> str:
    """ "42.0%  101M / 240M  38M/s  0:03 left": what is unknown is left out.

    ``format_bytes`` shows a byte count (the UI's and the command line's own).
    """
    parts = []
    fraction = progress.fraction
    if fraction is not None:
        parts.append(f"{fraction * 100:.1f}%")
    done = format_bytes(progress.done_bytes)
    if progress.total_bytes:
        done += f" / {format_bytes(progress.total_bytes)}"
    parts.append(done)
    if progress.rate_bps is not None:
        parts.append(f"{format_bytes(progress.rate_bps)}/s")
    if progress.finished:
        parts.append(f"in {clock_text(progress.elapsed)}")
    else:
        left = clock_text(progress.seconds_left)
        parts.append(f"{left} left" if left else f"{clock_text(progress.elapsed)} elapsed")
    return "  ".join(parts)
