"""CgroupReader and RateTracker against directory trees in the kernel's file formats.

The cgroup v2 memory, io and pids controllers cannot be produced live on these
machines: the kernel has them bound to v1 hierarchies (the host is hybrid and
its cgroup2 tree at /sys/fs/cgroup/unified has no controllers). So pure-v2,
v1 and hybrid layouts are built here as ordinary files in the formats of
Documentation/admin-guide/cgroup-v2.rst and the v1 documents, and a
CgroupLayout is pointed at them. tests/unit/cgroups/test_cgroups_live.py covers the
real hybrid hierarchy (kernfs: ENODEV on a removed cgroup).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from cgroup_tree import UNIT, FakeClock, write_files

from nspawn_tui.cgroups import (
    CgroupLayout,
    CgroupPaths,
    CgroupReader,
    RateTracker,
    RawReading,
    host_cpu_percent,
    paths_for,
)
from nspawn_tui.host.base import UNLIMITED


def v2_files(usage_usec: int = 5_000_000, rbytes: int = 1000, wbytes: int = 2000) -> dict[str, str]:
    return {
        "cpu.stat": f"usage_usec {usage_usec}\nuser_usec 3000000\nsystem_usec 2000000\n"
        "nr_periods 0\nnr_throttled 0\nthrottled_usec 0\nnr_bursts 0\nburst_usec 0\n",
        "memory.current": "104857600\n",
        "memory.max": "max\n",
        "memory.high": "536870912\n",
        "memory.peak": "209715200\n",
        "memory.events": "low 0\nhigh 4\nmax 2\noom 1\noom_kill 1\noom_group_kill 0\n",
        "pids.current": "17\n",
        "pids.max": "2048\n",
        "io.stat": f"8:0 rbytes={rbytes} wbytes={wbytes} rios=3 wios=4 dbytes=0 dios=0\n"
        "8:16 rbytes=24 wbytes=48 rios=1 wios=1 dbytes=0 dios=0\n",
    }


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def reader(clock: FakeClock) -> Iterator[CgroupReader]:
    with CgroupReader(clock=clock) as r:
        yield r


@pytest.fixture
def v2(tmp_path: Path) -> tuple[CgroupLayout, Path]:
    root = tmp_path / "cgroup2"
    write_files(root / UNIT.lstrip("/"), v2_files())
    return CgroupLayout(unified=str(root), v1={}), root / UNIT.lstrip("/")


def v1_tree(tmp_path: Path) -> tuple[CgroupLayout, dict[str, Path]]:
    mounts = {
        "cpu": tmp_path / "cpu,cpuacct",
        "cpuacct": tmp_path / "cpu,cpuacct",
        "memory": tmp_path / "memory",
        "pids": tmp_path / "pids",
        "blkio": tmp_path / "blkio",
    }
    dirs = {name: mount / UNIT.lstrip("/") for name, mount in mounts.items()}
    write_files(dirs["cpuacct"], {"cpuacct.usage": "7500000123\n", "cpu.stat": "nr_periods 0\n"})
    write_files(
        dirs["memory"],
        {
            "memory.usage_in_bytes": "52428800\n",
            "memory.limit_in_bytes": "9223372036854771712\n",
            "memory.max_usage_in_bytes": "73400320\n",
            "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n",
        },
    )
    write_files(dirs["pids"], {"pids.current": "5\n", "pids.max": "max\n"})
    blkio = "8:0 Read {r}\n8:0 Write {w}\n8:0 Sync 0\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 0\nTotal 0\n"
    write_files(
        dirs["blkio"],
        {
            "blkio.throttle.io_service_bytes_recursive": blkio.format(r=4096, w=8192),
            "blkio.throttle.io_service_bytes": blkio.format(r=1, w=2),
        },
    )
    return CgroupLayout(unified=None, v1={k: str(v) for k, v in mounts.items()}), dirs


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_pure_v2_values(v2: tuple[CgroupLayout, Path], reader: CgroupReader) -> None:
    layout, _ = v2
    assert layout.kind == "unified"
    assert reader.read(paths_for(layout, UNIT)) == RawReading(
        cpu_usage_usec=5_000_000,
        memory_current=104857600,
        memory_max=UNLIMITED,
        memory_high=536870912,
        memory_peak=209715200,
        oom_kills=1,
        tasks_current=17,
        tasks_max=2048,
        io_read_bytes=1024,
        io_write_bytes=2048,
    )


def test_cpu_percent_from_two_readings(v2: tuple[CgroupLayout, Path], reader: CgroupReader) -> None:
    layout, directory = v2
    paths = paths_for(layout, UNIT)
    tracker = RateTracker()
    first = tracker.update("web", reader.read(paths), 100.0)
    assert first.cpu_percent is None and first.io_read_bps is None
    assert first.memory_current == 104857600
    # 0.75 s of CPU and 3000/6000 bytes of I/O in 1.5 s of wall time
    write_files(directory, v2_files(usage_usec=5_750_000, rbytes=4000, wbytes=8000))
    second = tracker.update("web", reader.read(paths), 101.5)
    assert second.cpu_percent == pytest.approx(50.0)
    assert second.io_read_bps == pytest.approx(2000.0)
    assert second.io_write_bps == pytest.approx(4000.0)
    assert second.cpu_usage_usec == 5_750_000
    assert host_cpu_percent(second.cpu_percent, 4) == pytest.approx(12.5)


def test_v1_layout(tmp_path: Path, reader: CgroupReader) -> None:
    layout, dirs = v1_tree(tmp_path)
    assert layout.kind == "legacy"
    reading = reader.read(paths_for(layout, UNIT))
    assert reading == RawReading(
        cpu_usage_usec=7_500_000,  # cpuacct.usage is in ns
        memory_current=52428800,
        memory_max=UNLIMITED,
        memory_high=None,  # v1 has no memory.high
        memory_peak=73400320,
        oom_kills=3,
        tasks_current=5,
        tasks_max=UNLIMITED,
        io_read_bytes=4096,  # the recursive file, which counts sub-cgroups
        io_write_bytes=8192,
    )
    # an older kernel without the recursive file: the plain one
    (dirs["blkio"] / "blkio.throttle.io_service_bytes_recursive").unlink()
    with CgroupReader() as fresh:
        again = fresh.read(paths_for(layout, UNIT))
    assert (again.io_read_bytes, again.io_write_bytes) == (1, 2)


def test_hybrid_prefers_unified_cpu_and_v1_controllers(
    tmp_path: Path, reader: CgroupReader
) -> None:
    layout1, _ = v1_tree(tmp_path)
    unified = tmp_path / "unified"
    # cgroup2 without controllers: cpu.stat only, plus a decoy that must not be used
    write_files(
        unified / UNIT.lstrip("/"),
        {"cpu.stat": "usage_usec 42\nuser_usec 40\nsystem_usec 2\n", "memory.current": "1\n"},
    )
    v1 = {k: v for k, v in layout1.v1.items() if k in ("cpuacct", "memory", "pids")}
    layout = CgroupLayout(unified=str(unified), v1=v1)
    assert layout.kind == "hybrid"
    reading = reader.read(paths_for(layout, UNIT))
    assert reading.cpu_usage_usec == 42  # not cpuacct's 7_500_000
    assert reading.memory_current == 52428800
    assert reading.tasks_current == 5
    # blkio is not in this layout and cgroup2 has no io.stat: unavailable, not zero
    assert reading.io_read_bytes is None and reading.io_write_bytes is None
    assert reading.memory_high is None


def test_missing_controller_is_none_not_zero(tmp_path: Path, reader: CgroupReader) -> None:
    directory = tmp_path / "cg2" / UNIT.lstrip("/")
    write_files(directory, {"cpu.stat": "usage_usec 0\n"})
    reading = reader.read(paths_for(CgroupLayout(unified=str(tmp_path / "cg2")), UNIT))
    assert reading == RawReading(cpu_usage_usec=0)  # 0 where read, None elsewhere
    assert reading.memory_current is None and reading.tasks_current is None


def test_missing_cgroup_and_no_hierarchy(tmp_path: Path, reader: CgroupReader) -> None:
    layout = CgroupLayout(unified=str(tmp_path), v1={"memory": str(tmp_path / "nope")})
    assert reader.read(paths_for(layout, "/not/there")) == RawReading()
    assert reader.read(CgroupPaths(unified=None)) == RawReading()
    assert reader.open_fds == 0


def test_malformed_file_is_unavailable(v2: tuple[CgroupLayout, Path], reader: CgroupReader) -> None:
    layout, directory = v2
    (directory / "memory.current").write_text("lots\n")
    (directory / "memory.events").write_text("low 0\nhigh 4\n")  # no oom_kill line
    (directory / "pids.max").write_bytes(b"\xff\xfe\n")
    reading = reader.read(paths_for(layout, UNIT))
    assert reading.memory_current is None
    assert reading.oom_kills is None
    assert reading.tasks_max is None
    assert reading.memory_max == UNLIMITED and reading.tasks_current == 17


def test_missing_file_rechecked_later(
    v2: tuple[CgroupLayout, Path], reader: CgroupReader, clock: FakeClock
) -> None:
    layout, directory = v2
    (directory / "memory.peak").unlink()  # kernels before 5.19
    paths = paths_for(layout, UNIT)
    assert reader.read(paths).memory_peak is None
    (directory / "memory.peak").write_text("123\n")
    clock.now += 5
    assert reader.read(paths).memory_peak is None  # still remembered as absent
    clock.now += 30
    assert reader.read(paths).memory_peak == 123


def test_removed_cgroup_then_recreated(
    v2: tuple[CgroupLayout, Path], reader: CgroupReader, clock: FakeClock
) -> None:
    layout, directory = v2
    paths = paths_for(layout, UNIT)
    assert reader.read(paths).memory_current == 104857600
    assert reader.open_fds == 9
    shutil.rmtree(directory)
    clock.now += 11  # regular files keep their content: the directory is re-checked
    assert reader.read(paths) == RawReading()
    assert reader.open_fds == 0
    files = v2_files(usage_usec=10)
    files["memory.current"] = "4096\n"
    write_files(directory, files)
    reading = reader.read(paths)
    assert reading.cpu_usage_usec == 10 and reading.memory_current == 4096


def test_large_io_stat_read_in_several_chunks(tmp_path: Path, reader: CgroupReader) -> None:
    directory = tmp_path / "cg" / "c"
    lines = [f"8:{n} rbytes=1000000 wbytes=2 rios=1 wios=1 dbytes=0 dios=0\n" for n in range(200)]
    assert len("".join(lines)) > 2 * 4096
    write_files(directory, {"io.stat": "".join(lines)})
    reading = reader.read(paths_for(CgroupLayout(unified=str(tmp_path / "cg")), "/c"))
    assert (reading.io_read_bytes, reading.io_write_bytes) == (200_000_000, 400)


def test_forget_and_close_release_descriptors(tmp_path: Path) -> None:
    layout, _ = v1_tree(tmp_path)
    other = tmp_path / "cgroup2"
    write_files(other / "a", v2_files())
    before = fd_count()
    reader = CgroupReader()
    web = paths_for(layout, UNIT)
    a = paths_for(CgroupLayout(unified=str(other)), "/a")
    reader.read(web)
    reader.read(a)
    assert fd_count() == before + reader.open_fds
    # v1: cpuacct.usage, 4 memory files, 2 pids files, 1 blkio file; v2: 9 files
    assert reader.open_fds == 8 + 9
    reader.read(web)  # reading again keeps the same descriptors
    assert fd_count() == before + 17
    reader.forget(web)
    assert fd_count() == before + 9 and reader.open_fds == 9
    reader.close()
    assert fd_count() == before and reader.open_fds == 0


def test_descriptor_cap(v2: tuple[CgroupLayout, Path]) -> None:
    layout, _ = v2
    before = fd_count()
    with CgroupReader(max_fds=2) as reader:
        full = reader.read(paths_for(layout, UNIT))
        assert reader.open_fds == 2 and fd_count() == before + 2
        assert full.io_write_bytes == 2048 and full.tasks_max == 2048  # read without keeping
    assert fd_count() == before


def test_rate_tracker_edge_cases() -> None:
    tracker = RateTracker()
    assert tracker.update("a", RawReading(cpu_usage_usec=1_000_000), 10.0).cpu_percent is None
    assert tracker.update("a", RawReading(cpu_usage_usec=3_000_000), 12.0).cpu_percent == 100.0
    # a new cgroup of the same name: the counter went backwards
    assert tracker.update("a", RawReading(cpu_usage_usec=100), 13.0).cpu_percent is None
    assert tracker.update("a", RawReading(cpu_usage_usec=250_100), 14.0).cpu_percent == 25.0
    # no time passed
    assert tracker.update("a", RawReading(cpu_usage_usec=300_000), 14.0).cpu_percent is None
    # unavailable now: None, and the interval after it too
    assert tracker.update("a", RawReading(), 15.0).cpu_percent is None
    assert tracker.update("a", RawReading(cpu_usage_usec=400_000), 16.0).cpu_percent is None
    # keys are independent; forget() starts over
    assert tracker.update("b", RawReading(cpu_usage_usec=0), 16.0).cpu_percent is None
    tracker.forget("a")
    assert tracker.keys() == {"b"}
    assert tracker.update("a", RawReading(cpu_usage_usec=500_000), 17.0).cpu_percent is None
    sample = tracker.update("b", RawReading(cpu_usage_usec=50_000, io_read_bytes=9), 16.5)
    assert sample.cpu_percent == pytest.approx(10.0)
    assert sample.io_read_bps is None and sample.timestamp == 16.5


def test_host_cpu_percent() -> None:
    assert host_cpu_percent(150.0, 2) == 75.0
    assert host_cpu_percent(0.0, 64) == 0.0
    with pytest.raises(ValueError):
        host_cpu_percent(10.0, 0)


def test_reader_fast_paths_agree_with_the_parsers(tmp_path: Path) -> None:
    """Well-formed files take the bytes fast path; odd ones still go through the parsers."""
    from nspawn_tui.cgroups import CgroupLayout, CgroupReader, paths_for
    from nspawn_tui.host.base import UNLIMITED

    unified = tmp_path / "unified"
    cg = unified / "c"
    cg.mkdir(parents=True)
    files = {
        "cpu.stat": "user_usec 5\nusage_usec 77\n",  # usage_usec not first: parser path
        "memory.current": "1234\n",
        "memory.max": "max\n",
        "memory.high": "9223372036854771712\n",  # v1-style huge value: unlimited
        "memory.peak": "12a\n",  # malformed: unavailable, never a wrong number
        "pids.current": "7",  # no newline
        "pids.max": "100\n",
    }
    for name, text in files.items():
        (cg / name).write_text(text)
    with CgroupReader() as reader:
        reading = reader.read(paths_for(CgroupLayout(unified=str(unified)), "/c"))
    assert reading.cpu_usage_usec == 77
    assert reading.memory_current == 1234
    assert reading.memory_max == UNLIMITED
    assert reading.memory_high == UNLIMITED
    assert reading.memory_peak is None
    assert reading.tasks_current == 7
    assert reading.tasks_max == 100


def test_limits_read_every_few_seconds_or_after_refresh(
    v2: tuple[CgroupLayout, Path], reader: CgroupReader, clock: FakeClock
) -> None:
    """Limit files change only when someone sets a limit: not re-read at every sweep."""
    layout, directory = v2
    paths = paths_for(layout, UNIT)
    first = reader.read(paths)
    (directory / "memory.max").write_text("314572800\n")
    (directory / "memory.current").write_text("4096\n")
    clock.now += 1
    second = reader.read(paths)
    assert second.memory_current == 4096  # fast files: every read
    assert second.memory_max == first.memory_max  # slow file: cached
    reader.refresh_limits(paths)  # e.g. after SetUnitProperties
    assert reader.read(paths).memory_max == 314572800
    (directory / "memory.max").write_text("max\n")
    clock.now += 5
    assert reader.read(paths).memory_max == UNLIMITED
