"""The cgroup reader on this real host: a real cgroup, a real process burning CPU.

These machines are hybrid (cgroup2 at /sys/fs/cgroup/unified without
controllers, v1 cpu/cpuacct/memory/pids). The cgroup test needs root and a
writable cgroup tree and skips with the reason otherwise; it always removes
what it created.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from nspawn_tui.cgroups import (
    CgroupLayout,
    CgroupReader,
    RateTracker,
    RawReading,
    detect_layout,
    parse_proc_cgroup,
    paths_for,
    paths_from_proc,
)
from nspawn_tui.host.base import UNLIMITED

NAME = f"nspawn-tui-test-{os.getpid()}"
V1_USED = ("memory", "cpu", "cpuacct", "pids")
CHILD = """
import sys
sys.stdin.readline()                  # wait until moved into the test cgroup
data = b"\\x01" * (32 << 20)          # charged to the new memory cgroup
sys.stdout.write("ready\\n")
sys.stdout.flush()
while True:
    pass
"""


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_detect_layout_live_is_consistent() -> None:
    layout = detect_layout()
    mounted = Path("/proc/self/mounts").read_text()
    if layout.unified is not None:
        assert Path(layout.unified, "cgroup.controllers").is_file()
        assert f" {layout.unified} cgroup2 " in mounted
    for controller, mount in layout.v1.items():
        assert Path(mount, "cgroup.procs").is_file(), (controller, mount)
        assert controller in mounted
    if layout.kind == "hybrid":
        # a controller is bound to one hierarchy: those in v1 are not in cgroup2
        bound = set(Path(layout.unified or "", "cgroup.controllers").read_text().split())
        assert not bound & set(layout.v1)
    if os.path.ismount("/sys/fs/cgroup/unified"):
        assert layout.kind == "hybrid"
    print(f"this host: {layout.kind}, unified={layout.unified}, v1={sorted(layout.v1)}")


def test_parse_proc_cgroup_live() -> None:
    layout = detect_layout()
    entries = parse_proc_cgroup(Path("/proc/self/cgroup").read_text())
    assert all(path.startswith("/") for path in entries.values())
    assert not any(key.startswith("name=") for key in entries)
    assert set(layout.v1) <= set(entries)
    assert ("" in entries) == (layout.unified is not None)
    paths = paths_from_proc(layout, os.getpid())
    assert set(paths.v1) == set(layout.v1)
    for controller, directory in paths.v1.items():
        assert Path(directory, "cgroup.procs").is_file(), controller


def test_paths_from_proc_of_a_gone_process() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    with pytest.raises(ProcessLookupError):
        paths_from_proc(detect_layout(), child.pid)


@dataclass
class LiveCgroup:
    layout: CgroupLayout
    dirs: list[Path]  # each hierarchy's NAME directory; NAME/payload below it

    def create(self) -> None:
        for directory in self.dirs:
            (directory / "payload").mkdir(parents=True)

    def remove(self) -> None:
        for directory in self.dirs:
            for path in (directory / "payload", directory):
                if path.exists():
                    path.rmdir()


@pytest.fixture
def live_cgroup() -> Iterator[LiveCgroup]:
    layout = detect_layout()
    if os.geteuid() != 0:
        pytest.skip("creating cgroups needs root")
    if layout.unified is None or "memory" not in layout.v1:
        pytest.skip(f"this test drives a hybrid host; this one is {layout.kind}")
    mounts = [layout.unified, *(layout.v1[c] for c in V1_USED if c in layout.v1)]
    cgroup = LiveCgroup(layout, [Path(m, NAME) for m in dict.fromkeys(mounts)])
    try:
        cgroup.create()
    except OSError as exc:
        cgroup.remove()
        pytest.skip(f"/sys/fs/cgroup is not writable here: {exc}")
    try:
        yield cgroup
    finally:
        cgroup.remove()


def test_live_cgroup_readings(live_cgroup: LiveCgroup) -> None:
    layout = live_cgroup.layout
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    reader = CgroupReader()
    before = fd_count()
    try:
        assert child.stdin is not None and child.stdout is not None
        for directory in live_cgroup.dirs:
            (directory / "payload" / "cgroup.procs").write_text(str(child.pid))
        child.stdin.write("go\n")
        child.stdin.flush()
        assert child.stdout.readline() == "ready\n"

        # the process sits in NAME/payload; cut after the "unit" component
        paths = paths_from_proc(layout, child.pid, unit=NAME)
        expected = paths_for(layout, f"/{NAME}")
        assert paths.unified == expected.unified
        for controller in V1_USED:
            assert paths.v1[controller] == expected.v1[controller]
        # left in the root blkio cgroup: not the container's, so left out
        assert set(paths.v1) == set(V1_USED) & set(layout.v1)

        tracker = RateTracker()
        tracker.update(NAME, reader.read(paths), time.monotonic())
        percents: list[float] = []
        for _ in range(10):
            time.sleep(0.5)
            reading = reader.read(paths)
            sample = tracker.update(NAME, reading, time.monotonic())
            assert sample.cpu_percent is not None
            percents.append(sample.cpu_percent)
            if sample.cpu_percent > 30:
                break
        print(f"cpu % of one core per interval: {[round(p, 1) for p in percents]}")
        assert max(percents) > 30
        assert max(percents) < 150  # one busy thread: % of ONE core, not of the host
        assert reading.memory_current is not None and reading.memory_current >= 32 << 20
        assert reading.memory_peak is not None and reading.memory_peak >= reading.memory_current
        assert reading.memory_max == UNLIMITED
        assert reading.tasks_current is not None and reading.tasks_current >= 1
        assert reading.tasks_max == UNLIMITED
        assert reading.oom_kills == 0
        assert reading.io_read_bytes is None  # blkio left out (see above)

        # the cgroup goes away: kernfs answers ENODEV on the kept descriptors
        child.kill()
        child.wait()
        live_cgroup.remove()
        assert reader.read(paths) == RawReading()
        assert reader.open_fds == 0 and fd_count() == before

        # a new cgroup of the same name: read afresh
        for directory in live_cgroup.dirs:
            directory.mkdir()
        fresh = reader.read(paths)
        assert fresh.cpu_usage_usec == 0
        assert fresh.memory_current is not None and fresh.memory_current < 32 << 20
        assert fresh.tasks_current == 0
        assert reader.open_fds > 0
        reader.forget(paths)
        assert reader.open_fds == 0 and fd_count() == before
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for stream in (child.stdin, child.stdout):
            if stream is not None:
                stream.close()
        reader.close()
