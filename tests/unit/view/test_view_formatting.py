from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nspawn_tui.host.base import UNLIMITED
from nspawn_tui.view.formatting import (
    format_bytes,
    format_count,
    format_duration,
    format_memory,
    format_percent,
    memory_fraction,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "n/a"),
        (0, "0B"),
        (1023, "1023B"),
        (1024, "1.0K"),
        (1536, "1.5K"),
        (300 * 1024**2, "300M"),
        (12 * 1024**3, "12G"),
        (UNLIMITED, "∞"),
        (2**63, "∞"),
    ],
)
def test_format_bytes(value: int | None, text: str) -> None:
    assert format_bytes(value) == text


def test_unavailable_is_never_zero() -> None:
    assert format_percent(None) == "n/a"
    assert format_memory(None, None) == "n/a"
    assert format_memory(None, 300 * 1024**2) == "n/a/300M"  # limit known from the unit
    assert format_count(None) == "n/a"


def test_memory_with_and_without_limit() -> None:
    assert format_memory(180 * 1024**2, 1024**3) == "180M/1.0G"
    assert format_memory(180 * 1024**2, UNLIMITED) == "180M"
    assert memory_fraction(90, 100) == 0.9
    assert memory_fraction(90, UNLIMITED) is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, ""),
        (5, "5s"),
        (59, "59s"),
        (60, "1m"),
        (3599, "59m"),
        (3600, "1h 00m"),
        (90061, "1d 01h"),
    ],
)
def test_format_duration(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text


@given(st.integers(min_value=0, max_value=2**64))
def test_format_bytes_is_short(value: int) -> None:
    assert 1 <= len(format_bytes(value)) <= 6


def _reference_format_bytes(value: int | float) -> str:
    """The plain loop format_bytes was written as (the fast one must agree)."""
    if value >= UNLIMITED or (isinstance(value, int) and value >= 2**62):
        return "∞"
    amount = float(value)
    units = ("B", "K", "M", "G", "T", "P", "E")
    for unit in units:
        if abs(amount) < 1024 or unit == units[-1]:
            if unit == "B":
                return f"{int(amount)}B"
            return f"{amount:.1f}{unit}" if amount < 10 else f"{amount:.0f}{unit}"
        amount /= 1024
    raise AssertionError("unreachable")


@given(
    st.one_of(
        st.integers(min_value=-(2**70), max_value=2**70),
        st.integers(min_value=0, max_value=2**41),
        st.floats(min_value=-1e22, max_value=1e22, allow_nan=False),
        st.sampled_from([1023, 1024, 10 * 1024 - 1, 10 * 1024, 1023.99 * 1024, 2**62 - 1, 2**62]),
    )
)
def test_format_bytes_matches_reference(value: int | float) -> None:
    assert format_bytes(value) == _reference_format_bytes(value)
