"""images/pump.py: the counting copy through pipes, its stop, its errors."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import pytest

from nspawn_tui.images.pump import Pump, PumpStopped, copy_counting


def test_copies_a_file_into_a_non_blocking_pipe_counting(tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    source_path = tmp_path / "in"
    source_path.write_bytes(data)
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    received = bytearray()

    def reader() -> None:
        while chunk := os.read(read_end, 65536):
            received.extend(chunk)

    thread = threading.Thread(target=reader)
    thread.start()
    counts: list[int] = []
    with open(source_path, "rb") as source:
        total = copy_counting(source.fileno(), write_end, counts.append, threading.Event())
    os.close(write_end)
    thread.join()
    os.close(read_end)
    assert total == len(data) and bytes(received) == data
    assert counts == sorted(counts) and counts[-1] == len(data)


def test_stop_ends_a_copy_that_waits_on_a_full_pipe(tmp_path: Path) -> None:
    source_path = tmp_path / "in"
    source_path.write_bytes(b"x" * (4 << 20))
    read_end, write_end = os.pipe()  # nobody reads: the pipe fills
    os.set_blocking(write_end, False)
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    with open(source_path, "rb") as source, pytest.raises(PumpStopped):
        copy_counting(source.fileno(), write_end, lambda n: None, stop)
    os.close(read_end)
    os.close(write_end)


def test_a_reader_that_goes_away_is_a_broken_pipe(tmp_path: Path) -> None:
    source_path = tmp_path / "in"
    source_path.write_bytes(b"x" * (1 << 20))
    read_end, write_end = os.pipe()
    os.close(read_end)
    with open(source_path, "rb") as source, pytest.raises(BrokenPipeError):
        copy_counting(source.fileno(), write_end, lambda n: None, threading.Event())
    os.close(write_end)


async def test_pump_drains_a_pipe_into_a_file_and_closes_both(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    target = os.open(tmp_path / "out", os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    pump = Pump(read_end, target, "test")
    pump.start()
    assert pump.running
    await asyncio.to_thread(os.write, write_end, b"hello " * 1000)
    os.close(write_end)
    assert await pump.wait() == 6000
    assert pump.count == 6000 and not pump.running
    assert (tmp_path / "out").read_bytes() == b"hello " * 1000
    for fd in (read_end, target):
        with pytest.raises(OSError):
            os.fstat(fd)


async def test_pump_stop_and_discard() -> None:
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    sink = os.open(os.devnull, os.O_WRONLY)
    pump = Pump(read_end, sink, "test")
    pump.start()
    pump.stop()
    with pytest.raises(PumpStopped):
        await pump.wait()
    os.close(write_end)
    unused = Pump(*os.pipe(), "unused")
    unused.discard()
    for fd in (unused.source, unused.target):
        with pytest.raises(OSError):
            os.fstat(fd)
    with pytest.raises(RuntimeError, match="not started"):
        await Pump(0, 1, "x").wait()
