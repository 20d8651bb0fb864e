"""Parsers of cgroup files, with examples in the kernel's formats and property tests."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nspawn_tui.cgroups import (
    CgroupLayout,
    detect_layout,
    parse_blkio_service_bytes,
    parse_counter,
    parse_flat_keyed,
    parse_io_stat,
    parse_limit,
    parse_nested_keyed,
    parse_proc_cgroup,
    parse_value,
    paths_for,
    trim_to_unit,
)
from nspawn_tui.host.base import UNLIMITED

# --------------------------------------------------------------------------- examples

CPU_STAT_V2 = """usage_usec 76340577
user_usec 47151178
system_usec 29189399
nr_periods 0
nr_throttled 0
throttled_usec 0
nr_bursts 0
burst_usec 0
"""

MEMORY_EVENTS = "low 0\nhigh 12\nmax 3\noom 2\noom_kill 1\noom_group_kill 0\n"

IO_STAT = """8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0
8:0 rbytes=90430464 wbytes=299008000 rios=8950 wios=1252 dbytes=50331648 dios=3021
"""

BLKIO = """8:0 Read 1048576
8:0 Write 4096
8:0 Sync 1052672
8:0 Async 0
8:0 Discard 0
8:0 Total 1052672
253:0 Read 10
253:0 Write 20
253:0 Sync 30
253:0 Async 0
253:0 Discard 0
253:0 Total 30
Total 1052702
"""

OOM_CONTROL = "oom_kill_disable 0\nunder_oom 0\noom_kill 7\n"

PROC_CGROUP_HYBRID = """12:pids:/machine.slice/systemd-nspawn@web.service
11:cpu,cpuacct:/machine.slice/systemd-nspawn@web.service/payload
4:memory:/machine.slice/systemd-nspawn@web.service
1:name=systemd:/machine.slice/systemd-nspawn@web.service/payload
0::/machine.slice/systemd-nspawn@web.service/payload
"""

MOUNTINFO_HYBRID = """22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
31 23 0:28 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
32 31 0:29 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate
33 31 0:30 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd
35 31 0:32 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,cpu,cpuacct
36 31 0:33 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,memory
37 31 0:34 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,pids
38 31 0:35 / /sys/fs/cgroup/blkio rw,nosuid,nodev,noexec,relatime shared:18 - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:19 - cgroup cgroup rw,net_cls,net_prio
"""

MOUNTINFO_UNIFIED = """25 20 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
28 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
"""

MOUNTINFO_LEGACY = """31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd
41 31 0:38 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
42 31 0:39 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
"""


def test_single_values() -> None:
    assert parse_counter("123\n") == 123
    assert parse_value("max\n") == UNLIMITED
    assert parse_value("4096\n") == 4096
    assert parse_limit("max\n") == UNLIMITED
    assert parse_limit("9223372036854771712\n") == UNLIMITED  # v1 "unlimited"
    assert parse_limit(f"{2**62 - 1}\n") == 2**62 - 1
    assert parse_limit("536870912\n") == 536870912


@pytest.mark.parametrize("text", ["", "\n", "-1", "1 2", "12k", "max", "١٢", "1_000", "+5", "0x10"])
def test_counter_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_counter(text)


def test_flat_keyed_cpu_stat_and_events() -> None:
    stat = parse_flat_keyed(CPU_STAT_V2)
    assert stat["usage_usec"] == 76340577
    assert stat["system_usec"] == 29189399
    assert parse_flat_keyed(MEMORY_EVENTS)["oom_kill"] == 1
    assert parse_flat_keyed(OOM_CONTROL) == {"oom_kill_disable": 0, "under_oom": 0, "oom_kill": 7}


@pytest.mark.parametrize("text", ["usage_usec\n", "a 1 2\n", "a x\n", "a 1\na 2\n"])
def test_flat_keyed_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_flat_keyed(text)


def test_nested_keyed_and_io_stat() -> None:
    nested = parse_nested_keyed("8:0 rbytes=1 wbytes=2\n8:16 riops=max wiops=10\n")
    assert nested == {"8:0": {"rbytes": 1, "wbytes": 2}, "8:16": {"riops": UNLIMITED, "wiops": 10}}
    assert parse_io_stat(IO_STAT) == (1459200 + 90430464, 314773504 + 299008000)
    assert parse_io_stat("") == (0, 0)  # no I/O yet: zero, not unavailable


@pytest.mark.parametrize("text", ["8:0 rbytes\n", "8:0 rbytes=x\n", "8:0 =1\n", "8:0 a=1 a=2\n"])
def test_io_stat_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_io_stat(text)


def test_blkio_service_bytes() -> None:
    assert parse_blkio_service_bytes(BLKIO) == (1048576 + 10, 4096 + 20)
    assert parse_blkio_service_bytes("Total 0\n") == (0, 0)  # what an idle cgroup shows


@pytest.mark.parametrize("text", ["8:0 Read\n", "8:0 Read x\n", "Read 1 2\n", "Total x\n"])
def test_blkio_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_blkio_service_bytes(text)


def test_proc_cgroup() -> None:
    assert parse_proc_cgroup("0::/a/b\n") == {"": "/a/b"}
    assert parse_proc_cgroup("4:memory:/x\n") == {"memory": "/x"}
    assert parse_proc_cgroup("2:cpu,cpuacct:/y\n") == {"cpu": "/y", "cpuacct": "/y"}
    parsed = parse_proc_cgroup(PROC_CGROUP_HYBRID)
    assert "name=systemd" not in parsed
    assert parsed[""] == "/machine.slice/systemd-nspawn@web.service/payload"
    assert parsed["memory"] == "/machine.slice/systemd-nspawn@web.service"
    assert parsed["cpuacct"] == parsed["cpu"]
    # a ':' inside the path stays in the path
    assert parse_proc_cgroup("0::/a:b\n") == {"": "/a:b"}


@pytest.mark.parametrize("text", ["garbage\n", "x:memory:/a\n", "1:memory\n", "1:memory:rel\n"])
def test_proc_cgroup_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_proc_cgroup(text)


def test_trim_to_unit() -> None:
    unit = "systemd-nspawn@web.service"
    assert trim_to_unit(f"/machine.slice/{unit}/payload", unit) == f"/machine.slice/{unit}"
    assert trim_to_unit("/init.scope", unit) == "/init.scope"
    # only whole components match
    assert (
        trim_to_unit(f"/machine.slice/x{unit}/payload", unit) == f"/machine.slice/x{unit}/payload"
    )


def test_detect_layout_hybrid() -> None:
    layout = detect_layout(MOUNTINFO_HYBRID)
    assert layout.kind == "hybrid"
    assert layout.unified == "/sys/fs/cgroup/unified"
    assert layout.v1 == {
        "blkio": "/sys/fs/cgroup/blkio",
        "cpu": "/sys/fs/cgroup/cpu,cpuacct",
        "cpuacct": "/sys/fs/cgroup/cpu,cpuacct",
        "memory": "/sys/fs/cgroup/memory",
        "net_cls": "/sys/fs/cgroup/net_cls,net_prio",
        "net_prio": "/sys/fs/cgroup/net_cls,net_prio",
        "pids": "/sys/fs/cgroup/pids",
    }


def test_detect_layout_unified_and_legacy() -> None:
    unified = detect_layout(MOUNTINFO_UNIFIED)
    assert unified == CgroupLayout(unified="/sys/fs/cgroup", v1={})
    assert unified.kind == "unified"
    legacy = detect_layout(MOUNTINFO_LEGACY)
    assert legacy.kind == "legacy"
    assert legacy.unified is None
    assert set(legacy.v1) == {"memory", "cpu", "cpuacct"}  # name=systemd and xattr ignored


def test_detect_layout_prefers_root_mount_and_unescapes() -> None:
    text = (
        "50 31 0:33 /machine.slice /mnt/sub rw - cgroup cgroup rw,memory\n"
        "51 31 0:33 / /mnt/with\\040space rw - cgroup cgroup rw,memory\n"
        "52 31 0:33 / /mnt/later rw - cgroup cgroup rw,memory\n"
    )
    assert detect_layout(text).v1 == {"memory": "/mnt/with space"}


@pytest.mark.parametrize("text", ["31 23 0:28 / /sys/fs/cgroup rw tmpfs\n", "a b c - cgroup2\n"])
def test_detect_layout_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        detect_layout(text)


def test_paths_for() -> None:
    layout = detect_layout(MOUNTINFO_HYBRID)
    paths = paths_for(layout, "/machine.slice/systemd-nspawn@web.service")
    assert paths.unified == "/sys/fs/cgroup/unified/machine.slice/systemd-nspawn@web.service"
    assert (
        paths.v1["cpuacct"] == "/sys/fs/cgroup/cpu,cpuacct/machine.slice/systemd-nspawn@web.service"
    )
    assert paths_for(layout, "/").v1["memory"] == "/sys/fs/cgroup/memory"
    with pytest.raises(ValueError):
        paths_for(layout, "/machine.slice/../../etc")


# --------------------------------------------------------------------------- properties

keys = st.from_regex(r"[a-z][a-z0-9_.:]{0,15}", fullmatch=True).filter(lambda k: "=" not in k)
values = st.integers(min_value=0, max_value=2**64 - 1)
PARSERS = [
    parse_counter,
    parse_value,
    parse_limit,
    parse_flat_keyed,
    parse_nested_keyed,
    parse_io_stat,
    parse_blkio_service_bytes,
    parse_proc_cgroup,
    detect_layout,
]


@pytest.mark.parametrize("parser", PARSERS, ids=lambda p: p.__name__)
@given(text=st.text())
def test_arbitrary_text_only_raises_value_error(parser: Callable[[str], object], text: str) -> None:
    with contextlib.suppress(ValueError):  # the only failure allowed
        parser(text)


@given(st.integers(min_value=0, max_value=2**70))
def test_value_round_trip(number: int) -> None:
    assert parse_counter(f"{number}\n") == number
    assert parse_value(str(number)) == number
    assert parse_limit(f"{number}\n") == (UNLIMITED if number >= 2**62 else number)


@given(st.dictionaries(keys, values))
def test_flat_keyed_round_trip(data: dict[str, int]) -> None:
    text = "".join(f"{k} {v}\n" for k, v in data.items())
    assert parse_flat_keyed(text) == data


@given(st.dictionaries(keys, st.dictionaries(keys, values)))
def test_nested_keyed_round_trip(data: dict[str, dict[str, int]]) -> None:
    text = "".join(
        " ".join([key, *(f"{s}={v}" for s, v in sub.items())]) + "\n" for key, sub in data.items()
    )
    assert parse_nested_keyed(text) == data


devices = st.tuples(st.integers(0, 511), st.integers(0, 2**20)).map(lambda t: f"{t[0]}:{t[1]}")


@given(st.dictionaries(devices, st.tuples(values, values, values)))
def test_io_stat_sums(data: dict[str, tuple[int, int, int]]) -> None:
    text = "".join(
        f"{d} rbytes={r} wbytes={w} rios=1 wios=2 dbytes={x} dios=0\n"
        for d, (r, w, x) in data.items()
    )
    assert parse_io_stat(text) == (
        sum(r for r, _, _ in data.values()),
        sum(w for _, w, _ in data.values()),
    )


@given(st.dictionaries(devices, st.tuples(values, values)))
def test_blkio_sums(data: dict[str, tuple[int, int]]) -> None:
    lines = []
    for dev, (read, write) in data.items():
        lines += [f"{dev} Read {read}", f"{dev} Write {write}", f"{dev} Sync {read + write}"]
        lines += [f"{dev} Async 0", f"{dev} Discard 5", f"{dev} Total {read + write}"]
    total = sum(r + w for r, w in data.values())
    text = "\n".join([*lines, f"Total {total}"]) + "\n"
    assert parse_blkio_service_bytes(text) == (
        sum(r for r, _ in data.values()),
        sum(w for _, w in data.values()),
    )


paths = st.lists(st.from_regex(r"[A-Za-z0-9@._:-]{1,12}", fullmatch=True), max_size=4).map(
    lambda parts: "/" + "/".join(parts)
)


@given(
    st.dictionaries(st.sampled_from(["memory", "pids", "blkio", "cpu", "cpuacct"]), paths), paths
)
def test_proc_cgroup_round_trip(v1: dict[str, str], unified: str) -> None:
    lines = [f"{i + 1}:{name}:{path}" for i, (name, path) in enumerate(v1.items())]
    lines += ["9:name=systemd:/whatever", f"0::{unified}"]
    assert parse_proc_cgroup("\n".join(lines) + "\n") == {**v1, "": unified}


mount_points = st.from_regex(r"/[a-z]{1,8}( [a-z]{1,4})?", fullmatch=True)


@given(
    st.dictionaries(st.sampled_from(["memory", "pids", "blkio", "cpuacct"]), mount_points),
    st.none() | mount_points,
)
def test_detect_layout_round_trip(v1: dict[str, str], unified: str | None) -> None:
    def esc(path: str) -> str:
        return path.replace(" ", "\\040")

    lines = [
        f"{30 + i} 1 0:{i} / {esc(mount)} rw,relatime shared:{i} - cgroup cgroup rw,{name}"
        for i, (name, mount) in enumerate(v1.items())
    ]
    if unified is not None:
        lines.append(f"99 1 0:99 / {esc(unified)} rw - cgroup2 cgroup2 rw,nsdelegate")
    layout = detect_layout("\n".join(lines) + "\n")
    assert layout == CgroupLayout(unified=unified, v1=v1)
    expected = "legacy" if unified is None else ("hybrid" if v1 else "unified")
    assert layout.kind == expected
