"""The byte fast paths of the reader against the general parsers.

A fast path may say "unsure" (None) for anything, but when it gives a value
it must be the general parser's value, and never for input the general
parser rejects. Kernel-formatted input must take the fast path (not None),
or the sweep silently gets slow again.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from nspawn_tui.cgroups import (
    parse_blkio_service_bytes,
    parse_counter,
    parse_io_stat,
    parse_limit,
)
from nspawn_tui.cgroups.fastparse import (
    fast_blkio_service_bytes,
    fast_counter,
    fast_cpuacct_usec,
    fast_io_stat,
    fast_limit,
)
from nspawn_tui.cgroups.figures import _cpuacct_usec
from nspawn_tui.host.base import UNLIMITED

RAISED = object()
PAIRS: list[tuple[Callable[[bytes], object], Callable[[str], object]]] = [
    (fast_counter, parse_counter),
    (fast_limit, parse_limit),
    (fast_cpuacct_usec, _cpuacct_usec),
    (fast_io_stat, parse_io_stat),
    (fast_blkio_service_bytes, parse_blkio_service_bytes),
]
IDS = [fast.__name__ for fast, _ in PAIRS]

values = st.integers(min_value=0, max_value=2**64 - 1)
devices = st.tuples(st.integers(0, 511), st.integers(0, 2**20)).map(lambda t: f"{t[0]}:{t[1]}")
# text close to the kernel's formats, so that the property tests reach the fast paths
near_miss = st.text(alphabet="0123456789: =\nrbytesReadWritTtalSyncAsDiscdmx_+-", max_size=80)


def outcome(call: Callable[[], object]) -> object:
    try:
        return call()
    except ValueError:
        return RAISED


def check(fast: Callable[[bytes], object], parse: Callable[[str], object], data: bytes) -> None:
    quick = outcome(lambda: fast(data))
    general = outcome(lambda: parse(data.decode("ascii")))
    if quick is RAISED:  # e.g. more digits than int() converts
        assert general is RAISED
    elif quick is not None:
        assert quick == general, (data, quick, general)


@pytest.mark.parametrize(("fast", "parse"), PAIRS, ids=IDS)
@given(data=st.binary(max_size=80))
@example(data=b"12\n\n")
@example(data=b" 12 ")
@example(data=b"+12\n")
@example(data=b"1_000\n")
@example(data=b"\xff1\n")
@example(data=b"max\n")
@example(data=b"9" * 5000)
def test_fast_path_agrees_on_any_bytes(
    fast: Callable[[bytes], object], parse: Callable[[str], object], data: bytes
) -> None:
    check(fast, parse, data)


@pytest.mark.parametrize(("fast", "parse"), PAIRS, ids=IDS)
@given(text=near_miss)
@example(text="8:0 rbytes=1 wbytes=2 rios=0 wios=0 dbytes=0 dios=0\n" * 2)  # a device twice
@example(text="8:0 rbytes=1 wbytes=2 rios=0 wios=0 dbytes=0 dios=0")  # no newline
@example(text="8:0 Read 1\n8:0 Write 2\n8:0 Sync 3\n8:0 Async 0\n8:0 Total 3\n")  # no Total
def test_fast_path_agrees_on_near_misses(
    fast: Callable[[bytes], object], parse: Callable[[str], object], text: str
) -> None:
    check(fast, parse, text.encode("ascii"))


@given(values)
def test_counters_and_limits_take_the_fast_path(number: int) -> None:
    assert fast_counter(f"{number}\n".encode()) == number
    assert fast_limit(f"{number}\n".encode()) == (UNLIMITED if number >= 2**62 else number)
    assert fast_limit(b"max\n") == UNLIMITED
    assert fast_cpuacct_usec(f"{number}\n".encode()) == number // 1000


@given(st.dictionaries(devices, st.tuples(values, values, values), max_size=6))
def test_io_stat_takes_the_fast_path(data: dict[str, tuple[int, int, int]]) -> None:
    text = "".join(
        f"{d} rbytes={r} wbytes={w} rios=1 wios=2 dbytes={x} dios=0\n"
        for d, (r, w, x) in data.items()
    )
    expected = parse_io_stat(text)
    assert fast_io_stat(text.encode()) == expected


@given(st.dictionaries(devices, st.tuples(values, values), max_size=6), st.booleans())
def test_blkio_takes_the_fast_path(data: dict[str, tuple[int, int]], discard: bool) -> None:
    lines = []
    for dev, (read, write) in data.items():
        lines += [f"{dev} Read {read}", f"{dev} Write {write}", f"{dev} Sync {read + write}"]
        lines += [f"{dev} Async 0"] + ([f"{dev} Discard 5"] if discard else [])
        lines += [f"{dev} Total {read + write}"]
    text = "\n".join([*lines, f"Total {sum(r + w for r, w in data.values())}"]) + "\n"
    assert fast_blkio_service_bytes(text.encode()) == parse_blkio_service_bytes(text)


def test_unusual_but_valid_layouts_are_left_to_the_general_parser() -> None:
    # valid for the general parsers, not the kernel's exact layout: unsure, not wrong
    odd_io = b"8:0 wbytes=2 rbytes=1\n"
    assert fast_io_stat(odd_io) is None and parse_io_stat(odd_io.decode()) == (1, 2)
    odd_blkio = b"8:0 Write 2\n8:0 Read 1\nTotal 3\n"
    assert fast_blkio_service_bytes(odd_blkio) is None
    assert parse_blkio_service_bytes(odd_blkio.decode()) == (1, 2)
    assert fast_io_stat(b"") == (0, 0) == parse_io_stat("")
    assert fast_blkio_service_bytes(b"Total 0\n") == (0, 0)
