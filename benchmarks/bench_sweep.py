"""The metrics sweep on synthetic cgroup trees, next to the bare-syscall floor.

For N = 10, 100, 1000 containers a tree is written under a temporary
directory in two layouts:

- v2 (unified): one directory per container with cpu.stat, memory.current,
  memory.max, memory.high, memory.peak, memory.events, pids.current, pids.max,
  io.stat (9 files);
- v1/hybrid: cpu.stat in the unified tree, and memory (4 files), pids (2) and
  blkio (1) in v1 hierarchies (8 files in 4 directories).

``sweep``: one poll as the real host does it (``CgroupMetrics._sweep``):
``CgroupReader.read`` + ``RateTracker.update`` for every container, after a
first sweep that opens the kept descriptors. ``floor``: ``os.open`` +
``os.read`` + ``os.close`` of the same files, nothing parsed, in the same
run. Both are medians of REPEATS sweeps, in microseconds per container. The
figure reported without a suffix is the worse of the two layouts.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import print_table
from nspawn_tui.cgroups import CgroupLayout, CgroupReader, RateTracker, paths_for
from nspawn_tui.cgroups.layout import CgroupPaths

SIZES = (10, 100, 1000)
REPEATS = int(os.environ.get("BENCH_SWEEP_REPEATS", "15"))

V2_FILES = {
    "cpu.stat": "usage_usec 123456789\nuser_usec 100000000\nsystem_usec 23456789\n"
    "nr_periods 0\nnr_throttled 0\nthrottled_usec 0\n",
    "memory.current": "187654144\n",
    "memory.max": "1073741824\n",
    "memory.high": "max\n",
    "memory.peak": "201326592\n",
    "memory.events": "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n",
    "pids.current": "42\n",
    "pids.max": "2048\n",
    "io.stat": "8:0 rbytes=1048576 wbytes=2097152 rios=12 wios=34 dbytes=0 dios=0\n",
}
V1_FILES = {
    "memory": {
        "memory.usage_in_bytes": "187654144\n",
        "memory.limit_in_bytes": "9223372036854771712\n",
        "memory.max_usage_in_bytes": "201326592\n",
        "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n",
    },
    "pids": {"pids.current": "42\n", "pids.max": "max\n"},
    "blkio": {
        "blkio.throttle.io_service_bytes_recursive": "8:0 Read 1048576\n8:0 Write 2097152\n"
        "8:0 Sync 0\n8:0 Async 3145728\n8:0 Discard 0\n8:0 Total 3145728\nTotal 3145728\n"
    },
}


def _write(directory: Path, files: dict[str, str]) -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text)
    return [str(directory / name) for name in files]


def build_tree(root: Path, count: int, layout: str) -> tuple[list[CgroupPaths], list[str]]:
    """Containers' paths and every file the sweep reads."""
    if layout == "v2":
        cg_layout = CgroupLayout(unified=str(root / "unified"))
    else:
        cg_layout = CgroupLayout(
            unified=str(root / "unified"), v1={c: str(root / c) for c in V1_FILES}
        )
    all_paths: list[CgroupPaths] = []
    files: list[str] = []
    for i in range(count):
        rel = f"/machine.slice/systemd-nspawn@ct-{i:04d}.service"
        paths = paths_for(cg_layout, rel)
        assert paths.unified is not None
        if layout == "v2":
            files += _write(Path(paths.unified), V2_FILES)
        else:
            files += _write(Path(paths.unified), {"cpu.stat": V2_FILES["cpu.stat"]})
            for controller, controller_files in V1_FILES.items():
                files += _write(Path(paths.v1[controller]), controller_files)
        all_paths.append(paths)
    return all_paths, files


def _median_us(sweep: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        sweep()
        times.append((time.perf_counter_ns() - start) / 1000)
    return statistics.median(times)


def measure(root: Path, count: int, layout: str) -> tuple[float, float]:
    """(sweep, floor) in microseconds per container."""
    all_paths, files = build_tree(root / f"{layout}-{count}", count, layout)
    names = [f"ct-{i:04d}" for i in range(count)]
    targets = list(zip(names, all_paths, strict=True))
    flags = os.O_RDONLY | os.O_CLOEXEC

    def floor() -> None:
        for path in files:
            fd = os.open(path, flags)
            os.read(fd, 4096)
            os.close(fd)

    with CgroupReader(max_fds=max(4096, 16 * count)) as reader:
        rates = RateTracker()

        def sweep() -> None:
            now = time.monotonic()
            for name, paths in targets:
                rates.update(name, reader.read(paths), now)

        sweep()  # opens the kept descriptors, like the first poll
        floor()
        # interleaved so that both see the same machine state
        sweep_us = floor_us = 0.0
        sweeps, floors = [], []
        for _ in range(3):
            sweeps.append(_median_us(sweep, REPEATS))
            floors.append(_median_us(floor, REPEATS))
        sweep_us, floor_us = statistics.median(sweeps), statistics.median(floors)
    return sweep_us / count, floor_us / count


def run() -> dict[str, float]:
    figures: dict[str, float] = {}
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-sweep-", dir=_tmp_dir()) as tmp:
        for count in SIZES:
            results = {layout: measure(Path(tmp), count, layout) for layout in ("v2", "v1")}
            for layout, (sweep, floor) in results.items():
                figures[f"sweep_{layout}_us_per_container_{count}"] = round(sweep, 2)
                figures[f"floor_{layout}_us_per_container_{count}"] = round(floor, 2)
                rows.append(
                    (
                        f"{count:>5} containers, {layout} layout",
                        f"sweep {sweep:6.2f} us/container ({sweep * count / 1000:6.2f} ms)  "
                        f"floor {floor:6.2f} us/container  ratio {sweep / floor:4.2f}",
                    )
                )
            worst = max(results, key=lambda k: results[k][0] / results[k][1])
            figures[f"sweep_us_per_container_{count}"] = round(results[worst][0], 2)
            figures[f"floor_us_per_container_{count}"] = round(results[worst][1], 2)
            figures[f"sweep_ms_{count}"] = round(results[worst][0] * count / 1000, 3)
            rows.append((f"{count:>5} containers, reported (worse ratio)", worst))
    print_table("metrics sweep (CgroupReader + RateTracker) vs open/read/close floor", rows)
    return figures


def _tmp_dir() -> str | None:
    """A tmpfs when there is one (closer to kernfs than a disk file system)."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


if __name__ == "__main__":
    import json

    print(json.dumps(run()))
