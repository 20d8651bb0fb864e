"""images/progress.py: rate over a sliding window, time left, the figures line."""

from __future__ import annotations

import pytest

from nspawn_tui.host.images import TransferProgress
from nspawn_tui.images.progress import WINDOW, ProgressMeter, clock_text, progress_line


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_before_two_readings_there_is_no_rate() -> None:
    clock = Clock()
    meter = ProgressMeter(1000, clock=clock)
    reading = meter.reading()
    assert reading.rate_bps is None and reading.seconds_left is None
    assert reading.fraction == 0.0 and reading.elapsed == 0.0


def test_steady_rate_and_time_left() -> None:
    clock = Clock()
    meter = ProgressMeter(1000, clock=clock)
    for step in range(1, 5):
        clock.now += 1.0
        meter.update(100 * step)
    reading = meter.reading()
    assert reading.rate_bps == pytest.approx(100.0)
    assert reading.seconds_left == pytest.approx(6.0)
    assert reading.fraction == pytest.approx(0.4)
    assert reading.elapsed == pytest.approx(4.0)


def test_the_window_forgets_a_fast_start() -> None:
    clock = Clock()
    meter = ProgressMeter(10_000, clock=clock)
    clock.now += 1.0
    meter.update(5000)  # a burst
    for _ in range(int(WINDOW) + 3):
        clock.now += 1.0
        meter.update(meter.done_bytes + 100)
    assert meter.rate() == pytest.approx(100.0)


def test_a_stall_lowers_the_rate_then_reads_zero() -> None:
    clock = Clock()
    meter = ProgressMeter(10_000, clock=clock)
    for _ in range(3):
        clock.now += 1.0
        meter.update(meter.done_bytes + 300)
    assert meter.rate() == pytest.approx(300.0)
    clock.now += 3.0  # nothing for 3 s: counted over the silence too
    assert meter.rate() == pytest.approx(900 / 6.0)
    clock.now += WINDOW
    assert meter.rate() == 0.0
    assert meter.reading().seconds_left is None  # no rate: no promise


def test_counts_never_go_back_and_total_unknown_is_none() -> None:
    clock = Clock()
    meter = ProgressMeter(None, clock=clock)
    clock.now += 1
    meter.update(500)
    meter.update(200)
    assert meter.done_bytes == 500
    reading = meter.reading()
    assert reading.total_bytes is None and reading.fraction is None
    assert ProgressMeter(0, clock=clock).total_bytes is None


def test_the_end_knows_the_real_total() -> None:
    clock = Clock()
    meter = ProgressMeter(10_000, clock=clock)  # an export's estimate
    clock.now += 2
    meter.update(7000)
    final = meter.reading(finished=True)
    assert final.finished and final.total_bytes == 7000 and final.fraction == 1.0
    assert final.seconds_left == 0.0


def test_many_readings_stay_bounded() -> None:
    clock = Clock()
    meter = ProgressMeter(None, clock=clock, window=1e9)
    for step in range(10_000):
        clock.now += 0.001
        meter.update(step)
    assert len(meter._points) <= 256
    with pytest.raises(ValueError, match="window"):
        ProgressMeter(1, window=0)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, ""), (-1, ""), (float("nan"), ""), (0, "0:00"), (7.4, "0:07"), (754, "12:34"),
     (3723, "1:02:03")],
)  # fmt: skip
def test_clock_text(seconds: float | None, text: str) -> None:
    assert clock_text(seconds) == text


def test_progress_line() -> None:
    def fmt(value: float) -> str:
        return f"{int(value)}B"

    running = TransferProgress(400, 1000, 100.0, 4.0)
    assert progress_line(running, fmt) == "40.0%  400B / 1000B  100B/s  0:06 left"
    unknown = TransferProgress(400, None, None, 65.0)
    assert progress_line(unknown, fmt) == "400B  1:05 elapsed"
    done = TransferProgress(1000, 1000, 250.0, 4.0, finished=True)
    assert progress_line(done, fmt) == "100.0%  1000B / 1000B  250B/s  in 0:04"
