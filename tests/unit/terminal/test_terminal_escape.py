"""The ^]^]^] escape detector: timing windows, resets, split reads, pass-through."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from nspawn_tui.terminal.relay import EscapeDetector

E = b"\x1d"


class FakeClock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make() -> tuple[EscapeDetector, FakeClock]:
    clock = FakeClock()
    return EscapeDetector(clock=clock), clock


def test_three_in_one_read_escape_and_are_dropped() -> None:
    det, _ = make()
    assert det.feed(b"ls" + E * 3) == (b"ls", True)
    assert det.pending_deadline() is None
    assert det.flush_expired() == b""


def test_three_split_across_reads_within_a_second() -> None:
    det, clock = make()
    assert det.feed(E) == (b"", False)
    clock.advance(0.4)
    assert det.feed(E) == (b"", False)
    clock.advance(0.6)  # exactly 1 s after the first: still within
    assert det.feed(E) == (b"", True)
    assert det.held == 0


def test_third_press_too_late_starts_a_new_window() -> None:
    det, clock = make()
    det.feed(E)
    clock.advance(0.5)
    det.feed(E)
    clock.advance(0.7)  # 1.2 s after the first
    forwarded, escaped = det.feed(E)
    assert (forwarded, escaped) == (E * 2, False)
    assert det.held == 1
    assert det.pending_deadline() == clock.now + 1.0
    clock.advance(0.3)
    assert det.feed(E) == (b"", False)
    clock.advance(0.3)
    assert det.feed(E) == (b"", True)


def test_two_then_other_byte_pass_in_order() -> None:
    det, _ = make()
    assert det.feed(E * 2) == (b"", False)
    assert det.feed(b"x") == (E * 2 + b"x", False)
    assert det.pending_deadline() is None
    assert det.feed(E) == (b"", False)  # the count restarted: one held, no escape


def test_other_byte_resets_count_within_one_read() -> None:
    det, _ = make()
    assert det.feed(E + E + b"x" + E) == (E + E + b"x", False)
    assert det.held == 1
    assert det.feed(E + b"y" + E + E) == (E + E + b"y", False)
    assert det.held == 2
    assert det.feed(E) == (b"", True)


def test_window_expiry_flushes_held_bytes() -> None:
    det, clock = make()
    det.feed(b"a" + E + E)
    deadline = det.pending_deadline()
    assert deadline == clock.now + 1.0
    clock.advance(0.99)
    assert det.flush_expired() == b""
    assert det.held == 2
    clock.advance(0.02)
    assert det.flush_expired() == E * 2
    assert det.pending_deadline() is None
    assert det.flush_expired() == b""


def test_bytes_after_the_escape_are_not_forwarded() -> None:
    det, _ = make()
    assert det.feed(b"abc" + E * 3 + b"def" + E) == (b"abc", True)
    # Afterwards the detector starts afresh.
    assert det.feed(b"ghi") == (b"ghi", False)


def test_four_in_a_row_escape_on_the_third() -> None:
    det, _ = make()
    assert det.feed(E * 4) == (b"", True)


def test_plain_data_fast_path_returns_same_bytes() -> None:
    det, _ = make()
    data = bytes(range(256)).replace(E, b"")
    assert det.feed(data) == (data, False)
    assert det.feed(b"") == (b"", False)


def test_count_and_window_are_configurable() -> None:
    clock = FakeClock()
    det = EscapeDetector(clock=clock, count=2, window=0.5)
    det.feed(E)
    clock.advance(0.6)
    assert det.feed(E) == (E, False)
    assert det.feed(E) == (b"", True)


# ---------------------------------------------------------- the reference model


def reference(
    events: list[tuple[float, bytes]], count: int = 3, window: float = 1.0
) -> tuple[bytes, bool]:
    """machinectl's algorithm byte by byte; forwarded = every byte not in the escape."""
    out = bytearray()
    n = 0
    start = 0.0
    for now, chunk in events:
        for byte in chunk:
            if byte == 0x1D:
                if n == 0 or now > start + window:
                    start = now
                    n = 1
                else:
                    n += 1
                if n >= count:
                    del out[len(out) - (count - 1) :]  # the earlier presses
                    return bytes(out), True
            else:
                n = 0
            out.append(byte)
    return bytes(out), False


byte_streams = st.lists(
    st.sampled_from([0x1D, 0x1D, 0x1D, 0x61, 0x00, 0x0D, 0xFF]), min_size=0, max_size=60
).map(bytes)


@st.composite
def timed_reads(draw: st.DrawFn) -> list[tuple[float, bytes]]:
    data = draw(byte_streams)
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=12)))
    pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    now = 0.0
    events = []
    for piece in pieces:
        now += draw(st.sampled_from([0.0, 0.1, 0.3, 0.5, 0.9, 1.0, 1.1, 2.5]))
        events.append((now, piece))
    return events


@settings(max_examples=400, deadline=None)
@given(timed_reads(), st.lists(st.booleans(), max_size=20))
def test_matches_reference_model(
    events: list[tuple[float, bytes]], flush_before: list[bool]
) -> None:
    clock = FakeClock(0.0)
    det = EscapeDetector(clock=clock)
    forwarded = bytearray()
    want, want_escaped = reference(events)
    escaped = False
    for index, (now, chunk) in enumerate(events):
        if index < len(flush_before) and flush_before[index]:
            clock.now = now
            forwarded += det.flush_expired()  # the relay's timer firing between reads
        clock.now = now
        out, escaped = det.feed(chunk)
        forwarded += out
        # Never ahead of the reference, never reordered.
        assert want.startswith(bytes(forwarded))
        if escaped:
            break
    if not escaped:
        clock.advance(1.5)
        forwarded += det.flush_expired()
    assert escaped == want_escaped
    assert bytes(forwarded) == want
