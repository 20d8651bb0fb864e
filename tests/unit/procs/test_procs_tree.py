"""The process tree of a machine from FIXTURE cgroup trees and fake /proc snapshots.

The cgroup trees are directories on tmp_path laid out as the kernel's (a
``cgroup.procs`` in each cgroup); the processes come from a fake probe or
from ``/proc/PID/status`` files written on tmp_path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nspawn_tui import cgroups
from nspawn_tui.cgroups import relative_path as relative_cgroup
from nspawn_tui.procs.reader import ProcessReader, RawProcess, command_text, read_ns_pid
from nspawn_tui.procs.tree import all_pids, machine_directory, read_pids, walk

UNIT = "machine.slice/systemd-nspawn@web.service"

#: A booted container as nspawn --keep-unit lays it out (relative path -> PIDs).
FIXTURE: dict[str, list[int]] = {
    "": [],
    "payload": [],
    "payload/init.scope": [4100],
    "payload/system.slice": [],
    "payload/system.slice/systemd-journald.service": [4120],
    "payload/system.slice/dbus.service": [4133],
    "payload/system.slice/nginx.service": [4150, 4141, 4151],
    "payload/system.slice/empty.service": [],
    "payload/user.slice": [],
    "payload/user.slice/user-0.slice": [],  # an empty branch: left out
    "supervisor": [4099],
}


def make_tree(root: Path, layout: dict[str, list[int]], *, v1_dupes: bool = False) -> Path:
    top = root / UNIT
    for rel, pids in layout.items():
        directory = top / rel if rel else top
        directory.mkdir(parents=True, exist_ok=True)
        listed = pids + pids[:1] if v1_dupes else pids  # v1 may list a PID twice
        (directory / "cgroup.procs").write_text("".join(f"{pid}\n" for pid in listed))
    return top


def raw(pid: int, cpu: float = 1.0, **fields: object) -> RawProcess:
    values: dict[str, object] = {
        "pid": pid, "ns_pid": pid - 4099, "ppid": 4099, "user": "root", "state": "sleeping",
        "command": f"/bin/p{pid}", "cpu_seconds": cpu, "rss": 4096 * pid, "started_at": 1000.0,
        "threads": 1,
    }  # fmt: skip
    values.update(fields)
    return RawProcess(**values)  # type: ignore[arg-type]


def test_walk_gives_machinectl_order(tmp_path: Path) -> None:
    top = make_tree(tmp_path, FIXTURE)
    nodes = walk(str(top))
    assert [(n.path, n.depth, n.pids) for n in nodes] == [
        ("/", 0, ()),
        ("/payload", 1, ()),
        ("/payload/init.scope", 2, (4100,)),
        ("/payload/system.slice", 2, ()),
        ("/payload/system.slice/dbus.service", 3, (4133,)),
        ("/payload/system.slice/nginx.service", 3, (4141, 4150, 4151)),
        ("/payload/system.slice/systemd-journald.service", 3, (4120,)),
        ("/supervisor", 1, (4099,)),
    ]
    assert all_pids(str(top)) == {4099, 4100, 4120, 4133, 4141, 4150, 4151}


def test_processes_of_a_cgroup_come_before_its_children(tmp_path: Path) -> None:
    top = make_tree(tmp_path, {"": [7], "a": [9], "a/b": [8]})
    assert [(n.path, n.pids) for n in walk(str(top))] == [
        ("/", (7,)),
        ("/a", (9,)),
        ("/a/b", (8,)),
    ]


def test_v1_duplicates_are_listed_once(tmp_path: Path) -> None:
    top = make_tree(tmp_path, {"": [3, 2]}, v1_dupes=True)
    assert read_pids(str(top)) == (2, 3)


def test_a_vanished_cgroup_raises_and_a_vanished_child_is_skipped(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        walk(str(tmp_path / "gone"))
    top = make_tree(tmp_path, {"": [1], "half": []})
    (top / "half" / "cgroup.procs").unlink()  # removed between listing and reading
    assert [n.path for n in walk(str(top))] == ["/"]


def test_the_walk_is_bounded(tmp_path: Path) -> None:
    layout = {f"s{i:03d}": [100 + i] for i in range(50)}
    top = make_tree(tmp_path, {"": [1], **layout})
    assert len(walk(str(top), limit=10)) == 10


def test_unified_directory_is_preferred_then_v1(tmp_path: Path) -> None:
    layout = cgroups.CgroupLayout(
        unified=str(tmp_path / "unified"),
        v1={"memory": str(tmp_path / "memory"), "pids": str(tmp_path / "pids")},
    )
    paths = cgroups.paths_for(layout, "/" + UNIT)
    assert machine_directory(paths) is None
    make_tree(tmp_path / "memory", {"": [1]})
    assert machine_directory(paths) == str(tmp_path / "memory" / UNIT)
    make_tree(tmp_path / "pids", {"": [1]})
    assert machine_directory(paths) == str(tmp_path / "pids" / UNIT)
    make_tree(tmp_path / "unified", {"": [1]})
    assert machine_directory(paths) == str(tmp_path / "unified" / UNIT)


def test_relative_cgroup_from_a_directory_or_a_control_group() -> None:
    layout = cgroups.CgroupLayout(
        unified="/sys/fs/cgroup/unified", v1={"memory": "/sys/fs/cgroup/memory"}
    )
    assert relative_cgroup(layout, f"/sys/fs/cgroup/unified/{UNIT}") == f"/{UNIT}"
    assert relative_cgroup(layout, f"/sys/fs/cgroup/memory/{UNIT}/") == f"/{UNIT}"
    assert relative_cgroup(layout, f"/{UNIT}") == f"/{UNIT}"
    unified = cgroups.CgroupLayout(unified="/sys/fs/cgroup")
    assert relative_cgroup(unified, f"/sys/fs/cgroup/{UNIT}") == f"/{UNIT}"


def test_ns_pid_is_the_last_field_of_nspid(tmp_path: Path) -> None:
    for pid, line in ((4100, "NSpid:\t4100\t1\n"), (4099, "NSpid:\t4099\n"),
                      (5000, "NSpid:\t5000\t77\t3\n")):  # fmt: skip
        (tmp_path / str(pid)).mkdir()
        status = f"Name:\tx\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t{pid}\n{line}PPid:\t1\n"
        (tmp_path / str(pid) / "status").write_text(status)
    assert read_ns_pid(4100, str(tmp_path)) == 1
    assert read_ns_pid(4099, str(tmp_path)) == 4099
    assert read_ns_pid(5000, str(tmp_path)) == 3
    assert read_ns_pid(6000, str(tmp_path)) is None  # gone
    (tmp_path / "7").mkdir()
    (tmp_path / "7" / "status").write_text("Name:\told-kernel\n")  # no NSpid line
    assert read_ns_pid(7, str(tmp_path)) is None


def test_command_text_is_cleaned_and_kernel_like_processes_are_named() -> None:
    assert command_text(["/bin/sh", "-c", "x"], "sh") == "/bin/sh -c x"
    assert command_text([], "kworker/0:1") == "[kworker/0:1]"
    assert command_text(["evil\x1b]0;pwned\x07", "\u202e"], "x") == "evil^[]0;pwned^G \ufffd"
    assert len(command_text(["a" * 10_000], "a")) == 4096


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_reader_builds_groups_and_cpu_percent_between_reads(tmp_path: Path) -> None:
    top = make_tree(tmp_path, FIXTURE)
    cpu = {pid: 1.0 for pid in all_pids(str(top))}
    clock = FakeClock()
    reader = ProcessReader(probe=lambda pid: raw(pid, cpu[pid]), clock=clock)
    first = reader.read("web", "/" + UNIT, str(top))
    assert first.error == "" and first.cgroup == "/" + UNIT
    assert [g.path for g in first.groups][:3] == ["/", "/payload", "/payload/init.scope"]
    assert all(p.cpu_percent is None for p in first.processes())  # no previous read
    assert [p.pid for p in first.processes()] == [4100, 4133, 4141, 4150, 4151, 4120, 4099]
    clock.now += 2.0
    cpu[4150] += 1.0  # one second of CPU in two: 50 %
    second = reader.read("web", "/" + UNIT, str(top))
    by_pid = {p.pid: p for p in second.processes()}
    assert by_pid[4150].cpu_percent == pytest.approx(50.0)
    assert by_pid[4100].cpu_percent == 0.0
    assert by_pid[4100].ns_pid == 1 and by_pid[4100].rss == 4096 * 4100


def test_a_reused_pid_starts_its_cpu_over(tmp_path: Path) -> None:
    top = make_tree(tmp_path, {"": [10]})
    started = [1.0]
    clock = FakeClock()
    reader = ProcessReader(probe=lambda pid: raw(pid, 50.0, started_at=started[0]), clock=clock)
    reader.read("m", "/m", str(top))
    started[0] = 2.0  # the same PID, another process
    clock.now += 1.0
    assert reader.read("m", "/m", str(top)).processes()[0].cpu_percent is None


def test_vanished_and_unreadable_processes_never_crash(tmp_path: Path) -> None:
    top = make_tree(tmp_path, {"": [1, 2, 3]})

    def probe(pid: int) -> RawProcess | None:
        if pid == 2:
            return None  # ended since cgroup.procs was read
        if pid == 3:  # denied: figures unavailable, not zero
            return raw(3, None, rss=None, started_at=None, threads=None, user="1000")
        return raw(pid)

    table = ProcessReader(probe=probe).read("m", "/m", str(top))
    assert [p.pid for p in table.processes()] == [1, 3]
    denied = table.processes()[1]
    assert (denied.cpu_percent, denied.rss, denied.started_at, denied.threads) == (None,) * 4


def test_a_vanished_machine_is_an_error_in_words(tmp_path: Path) -> None:
    reader = ProcessReader(probe=lambda pid: raw(pid))
    table = reader.read("web", "/" + UNIT, str(tmp_path / "gone"))
    assert table.groups == () and "gone" in table.error
    assert "not found" in reader.read("web\x1b[2J", None, None).error
    assert "\x1b" not in reader.read("web\x1b[2J", None, None).error
