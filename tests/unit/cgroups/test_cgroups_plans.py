"""CgroupReader's read plans: reads after the first use the kept descriptors only.

These pin what the plans must not change (the reader's promises, see
test_cgroups_trees.py) at the moments a plan is reused, renewed (directory
check, slow files) or thrown away (errors, fall-back files, refresh_limits).
Trees are ordinary files on tmpfs/disk; test_cgroups_live.py covers kernfs.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cgroup_tree import UNIT, FakeClock, write_files

from nspawn_tui.cgroups import (
    CgroupLayout,
    CgroupPaths,
    CgroupReader,
    RateTracker,
    RawReading,
    paths_for,
)
from nspawn_tui.cgroups import plan as plan_module
from nspawn_tui.cgroups import reader as reader_module
from nspawn_tui.host.base import UNLIMITED, Sample


def v2_files(usage_usec: int = 5_000_000, memory: int = 104857600) -> dict[str, str]:
    return {
        "cpu.stat": f"usage_usec {usage_usec}\nuser_usec 3000000\nsystem_usec 2000000\n",
        "memory.current": f"{memory}\n",
        "memory.max": "max\n",
        "memory.high": "536870912\n",
        "memory.peak": "209715200\n",
        "memory.events": "low 0\nhigh 4\nmax 2\noom 1\noom_kill 1\noom_group_kill 0\n",
        "pids.current": "17\n",
        "pids.max": "2048\n",
        "io.stat": "8:0 rbytes=1000 wbytes=2000 rios=3 wios=4 dbytes=0 dios=0\n",
    }


BLKIO = (
    "8:0 Read {r}\n8:0 Write {w}\n8:0 Sync 0\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 0\nTotal 0\n"
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def reader(clock: FakeClock) -> Iterator[CgroupReader]:
    with CgroupReader(clock=clock) as r:
        yield r


@pytest.fixture
def v2(tmp_path: Path) -> tuple[CgroupPaths, Path]:
    root = tmp_path / "cgroup2"
    directory = root / UNIT.lstrip("/")
    write_files(directory, v2_files())
    return paths_for(CgroupLayout(unified=str(root)), UNIT), directory


class Calls:
    """Counts os.open and os.stat while a test runs."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.opens = self.stats = 0
        real_open, real_stat = os.open, os.stat

        def counting_open(*args: Any, **kwargs: Any) -> int:
            self.opens += 1
            return real_open(*args, **kwargs)

        def counting_stat(*args: Any, **kwargs: Any) -> os.stat_result:
            self.stats += 1
            return real_stat(*args, **kwargs)

        monkeypatch.setattr(os, "open", counting_open)
        monkeypatch.setattr(os, "stat", counting_stat)

    def reset(self) -> None:
        self.opens = self.stats = 0


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    return Calls(monkeypatch)


def test_reads_after_the_first_open_and_stat_nothing(
    v2: tuple[CgroupPaths, Path], reader: CgroupReader, clock: FakeClock, calls: Calls
) -> None:
    paths, directory = v2
    first = reader.read(paths)
    assert calls.opens == 9 and calls.stats == 1
    write_files(directory, {"memory.current": "4096\n", "pids.current": "18\n"})
    calls.reset()
    clock.now += 4
    second = reader.read(paths)
    assert (calls.opens, calls.stats) == (0, 0)
    assert second == first._replace(memory_current=4096, tasks_current=18)


def test_slow_files_and_directory_check_renewed_without_a_full_read(
    v2: tuple[CgroupPaths, Path], reader: CgroupReader, clock: FakeClock, calls: Calls
) -> None:
    paths, directory = v2
    reader.read(paths)
    write_files(directory, {"memory.max": "314572800\n", "pids.max": "max\n"})
    clock.now += 4.9
    assert reader.read(paths).memory_max == UNLIMITED  # not due yet
    calls.reset()
    clock.now += 0.1
    renewed = reader.read(paths)
    assert (renewed.memory_max, renewed.tasks_max) == (314572800, UNLIMITED)
    assert (calls.opens, calls.stats) == (0, 0)  # read through the kept descriptors
    clock.now += 5  # 10 s: the directory's identity is checked too
    reader.read(paths)
    assert (calls.opens, calls.stats) == (0, 1)


def test_directory_recreated_is_noticed_at_the_check(
    v2: tuple[CgroupPaths, Path], reader: CgroupReader, clock: FakeClock
) -> None:
    """Regular files stay readable after rmtree: only the identity check notices."""
    paths, directory = v2
    reader.read(paths)
    shutil.rmtree(directory)
    write_files(directory, v2_files(usage_usec=10, memory=4096))
    clock.now += 9
    assert reader.read(paths).memory_current == 104857600  # the old descriptors
    clock.now += 1
    fresh = reader.read(paths)
    assert (fresh.cpu_usage_usec, fresh.memory_current) == (10, 4096)
    assert reader.open_fds == 9


def test_vanished_cgroup_on_a_kept_descriptor(
    v2: tuple[CgroupPaths, Path],
    reader: CgroupReader,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """kernfs answers ENODEV on the descriptors of a removed cgroup (simulated here)."""
    paths, _ = v2
    reader.read(paths)
    real_pread = os.pread

    def enodev(fd: int, size: int, offset: int) -> bytes:
        raise OSError(errno.ENODEV, "No such device")

    monkeypatch.setattr(reader_module, "pread", enodev)
    monkeypatch.setattr(plan_module, "pread", enodev)
    clock.now += 1
    gone = reader.read(paths)
    assert gone.memory_current is None and gone.cpu_usage_usec is None
    assert reader.open_fds == 0  # every descriptor dropped, none kept
    monkeypatch.setattr(reader_module, "pread", real_pread)
    monkeypatch.setattr(plan_module, "pread", real_pread)
    clock.now += 1
    back = reader.read(paths)
    assert back.memory_current == 104857600 and back.io_read_bytes == 1000
    assert reader.open_fds == 9


def test_missing_file_rechecked_while_planned(
    v2: tuple[CgroupPaths, Path], reader: CgroupReader, clock: FakeClock
) -> None:
    paths, directory = v2
    (directory / "io.stat").unlink()  # no io controller
    assert reader.read(paths).io_read_bytes is None
    (directory / "io.stat").write_text("8:0 rbytes=7 wbytes=8 rios=1 wios=1 dbytes=0 dios=0\n")
    for _ in range(29):
        clock.now += 1
        assert reader.read(paths).io_read_bytes is None  # remembered as missing
    clock.now += 1
    assert reader.read(paths).io_write_bytes == 8


def test_file_growing_past_the_small_buffer(
    v2: tuple[CgroupPaths, Path], reader: CgroupReader, clock: FakeClock
) -> None:
    paths, directory = v2
    assert reader.read(paths).io_read_bytes == 1000  # planned with a small buffer
    lines = [f"8:{n} rbytes=1000000 wbytes=2 rios=1 wios=1 dbytes=0 dios=0\n" for n in range(200)]
    (directory / "io.stat").write_text("".join(lines))
    clock.now += 1
    reading = reader.read(paths)
    assert (reading.io_read_bytes, reading.io_write_bytes) == (200_000_000, 400)


def test_malformed_and_huge_values_while_planned(
    v2: tuple[CgroupPaths, Path], reader: CgroupReader, clock: FakeClock
) -> None:
    paths, directory = v2
    reader.read(paths)
    (directory / "memory.current").write_text("9" * 5000 + "\n")  # beyond int()'s digit limit
    (directory / "pids.current").write_text("lots\n")
    (directory / "io.stat").write_text("8:0 rbytes=x\n")
    clock.now += 1
    reading = reader.read(paths)
    assert reading.memory_current is None and reading.tasks_current is None
    assert reading.io_read_bytes is None and reading.cpu_usage_usec == 5_000_000
    write_files(directory, v2_files(memory=1))
    clock.now += 1
    assert reader.read(paths).memory_current == 1


def test_fallback_files_while_planned(
    tmp_path: Path, reader: CgroupReader, clock: FakeClock
) -> None:
    """blkio: the recursive file, else the plain one; CPU: cpu.stat, else cpuacct.usage."""
    mounts = {
        "cpuacct": tmp_path / "cpuacct",
        "memory": tmp_path / "memory",
        "blkio": tmp_path / "blkio",
    }
    dirs = {name: mount / UNIT.lstrip("/") for name, mount in mounts.items()}
    unified = tmp_path / "unified" / UNIT.lstrip("/")
    write_files(unified, {"cpu.stat": "usage_usec 42\n"})
    write_files(dirs["cpuacct"], {"cpuacct.usage": "7500000123\n"})
    write_files(dirs["memory"], {"memory.usage_in_bytes": "5\n"})
    recursive = "blkio.throttle.io_service_bytes_recursive"
    write_files(
        dirs["blkio"],
        {recursive: BLKIO.format(r=4096, w=8192), "blkio.throttle.io_service_bytes": BLKIO},
    )
    (dirs["blkio"] / "blkio.throttle.io_service_bytes").write_text(BLKIO.format(r=1, w=2))
    layout = CgroupLayout(
        unified=str(tmp_path / "unified"), v1={k: str(v) for k, v in mounts.items()}
    )
    paths = paths_for(layout, UNIT)
    first = reader.read(paths)
    assert (first.cpu_usage_usec, first.io_read_bytes) == (42, 4096)
    (unified / "cpu.stat").write_text("usage_usec oops\n")
    (dirs["blkio"] / recursive).write_text("garbage\n")
    clock.now += 1
    fallen = reader.read(paths)
    assert (fallen.cpu_usage_usec, fallen.io_read_bytes, fallen.io_write_bytes) == (7_500_000, 1, 2)
    clock.now += 1
    assert reader.read(paths) == fallen  # now planned with both files of each figure
    (unified / "cpu.stat").write_text("usage_usec 43\n")
    (dirs["blkio"] / recursive).write_text(BLKIO.format(r=5, w=6))
    clock.now += 1
    again = reader.read(paths)
    assert (again.cpu_usage_usec, again.io_read_bytes, again.io_write_bytes) == (43, 5, 6)


def test_beyond_the_descriptor_cap_every_read_is_fresh(
    v2: tuple[CgroupPaths, Path], clock: FakeClock
) -> None:
    paths, directory = v2
    with CgroupReader(max_fds=2, clock=clock) as reader:
        assert reader.read(paths).memory_current == 104857600
        (directory / "memory.current").write_text("4096\n")
        (directory / "io.stat").write_text("")
        clock.now += 1
        reading = reader.read(paths)
        assert reading.memory_current == 4096 and reading.io_read_bytes == 0
        assert reader.open_fds == 2


def test_new_paths_objects_of_the_same_cgroup(
    v2: tuple[CgroupPaths, Path], reader: CgroupReader, clock: FakeClock
) -> None:
    """A caller building CgroupPaths afresh each time gets correct values and no pile of plans."""
    paths, directory = v2
    for n in range(50):
        fresh = dataclasses.replace(paths)
        (directory / "pids.current").write_text(f"{n}\n")
        assert reader.read(fresh).tasks_current == n
        clock.now += 0.5
    assert len(reader._plans) == 1
    reader.forget(paths)
    assert reader._plans == {} and reader.open_fds == 0


def test_forget_then_read_again(
    v2: tuple[CgroupPaths, Path], reader: CgroupReader, clock: FakeClock
) -> None:
    paths, directory = v2
    reader.read(paths)
    reader.forget(paths)
    (directory / "memory.current").write_text("4096\n")
    assert reader.read(paths).memory_current == 4096
    assert reader.open_fds == 9


def test_raw_reading_is_immutable() -> None:
    reading = RawReading(cpu_usage_usec=1)
    with pytest.raises(AttributeError):
        reading.cpu_usage_usec = 2  # type: ignore[misc]
    assert reading == RawReading(1) and reading.memory_current is None


def test_rate_tracker_builds_the_same_sample_as_the_constructor() -> None:
    """RateTracker passes Sample's fields by position: every one must land in its place."""
    tracker = RateTracker()
    tracker.update("a", RawReading(*range(100, 110)), 10.0)
    sample = tracker.update("a", RawReading(*range(300, 310)), 12.0)
    expected = Sample(
        timestamp=12.0,
        cpu_usage_usec=300,
        cpu_percent=(300 - 100) / 2.0 / 1e6 * 100.0,
        memory_current=301,
        memory_max=302,
        memory_high=303,
        memory_peak=304,
        oom_kills=305,
        tasks_current=306,
        tasks_max=307,
        io_read_bytes=308,
        io_write_bytes=309,
        io_read_bps=(308 - 108) / 2.0,
        io_write_bps=(309 - 109) / 2.0,
    )
    assert sample == expected
    assert {f.name: getattr(sample, f.name) for f in dataclasses.fields(Sample)} == {
        f.name: getattr(expected, f.name) for f in dataclasses.fields(Sample)
    }


def test_forget_waits_for_a_read_in_another_thread(
    v2: tuple[CgroupPaths, Path], reader: CgroupReader, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The host sweeps in a worker thread; forget() from the event loop must not close
    a descriptor (whose number could be reused at once) in the middle of a read."""
    paths, _ = v2
    reader.read(paths)  # the plan: the next read only preads
    inside, release = threading.Event(), threading.Event()
    real_pread = os.pread

    def slow_pread(fd: int, size: int, offset: int) -> bytes:
        inside.set()
        release.wait(5)
        return real_pread(fd, size, offset)

    monkeypatch.setattr(reader_module, "pread", slow_pread)
    result: list[RawReading] = []
    sweeper = threading.Thread(target=lambda: result.append(reader.read(paths)))
    sweeper.start()
    assert inside.wait(5)
    forgetter = threading.Thread(target=reader.forget, args=(paths,))
    forgetter.start()
    forgetter.join(0.2)
    assert forgetter.is_alive()  # held back while the read uses the descriptors
    release.set()
    sweeper.join(5)
    forgetter.join(5)
    assert result and result[0].cpu_usage_usec == 5_000_000 and result[0].memory_current
    assert reader.open_fds == 0
