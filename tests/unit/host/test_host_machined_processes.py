"""MachinedProcesses: the machine's cgroup as the metrics source found it, walked in a thread.

Driven through the public Host methods on a host whose bus answers are
stubs (GetMachine, the machine's properties) and whose cgroup tree is a
directory on tmp_path holding real processes of this test (``sleep``), so
that psutil reads and signals are real.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nspawn_tui.cgroups import CgroupLayout
from nspawn_tui.host.base import (
    Host,
    HostError,
    Image,
    Machine,
    MachineDetails,
    NoSuchMachine,
    ReadOnlyError,
    Snapshot,
)
from nspawn_tui.host.machined.processes import MachinedProcesses

UNIT = "systemd-nspawn@alpha.service"


class FakeMetrics:
    def __init__(self, cgroup: str | None) -> None:
        self.found = cgroup
        self.asked: list[Machine] = []

    async def cgroup(self, machine: Machine, systemd: object) -> str | None:
        self.asked.append(machine)
        return self.found


class StubHost(MachinedProcesses, Host):
    description = "stub machined"

    def __init__(self, root: Path, cgroup: str | None, *, read_only: bool = False) -> None:
        super().__init__(read_only=read_only)
        self._metrics = FakeMetrics(cgroup)  # type: ignore[assignment]
        self._procs_layout = CgroupLayout(unified=str(root / "unified"), v1={})
        self.machines = {"alpha": {"Leader": 4242, "Unit": UNIT, "State": "running"}}

    async def _call(
        self, member: str, signature: str = "", body: list[Any] | None = None, *,
        what: str | None = None,
    ) -> list[Any]:  # fmt: skip
        assert member == "GetMachine" and body
        if body[0] not in self.machines:
            raise NoSuchMachine(f"{what}: no such machine")
        return [f"/org/freedesktop/machine1/machine/{body[0]}"]

    async def _machine_props(self, path: str) -> dict[str, Any]:
        return self.machines[path.rsplit("/", 1)[1]]

    async def _systemd_if_any(self) -> None:
        return None

    async def connect(self) -> None: ...
    async def close(self) -> None: ...
    async def list_machines(self) -> list[Machine]:
        return []

    async def list_images(self) -> list[Image]:
        return []

    async def machine_details(self, name: str) -> MachineDetails:
        raise NoSuchMachine(name)

    async def snapshot(self) -> Snapshot:
        raise NotImplementedError


@pytest.fixture
def sleepers() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs = [subprocess.Popen(["sleep", "60"]) for _ in range(3)]
    try:
        yield procs
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def tree(root: Path, layout: dict[str, list[int]]) -> Path:
    top = root / "unified" / "machine.slice" / UNIT
    for rel, pids in layout.items():
        (top / rel).mkdir(parents=True, exist_ok=True)
        (top / rel / "cgroup.procs").write_text("".join(f"{p}\n" for p in pids))
    for directory in (top, *top.rglob("*")):  # as in cgroupfs: every cgroup has the file
        if directory.is_dir() and not (directory / "cgroup.procs").exists():
            (directory / "cgroup.procs").write_text("")
    return top


async def test_processes_walks_the_machine_cgroup(
    tmp_path: Path, sleepers: list[subprocess.Popen[bytes]]
) -> None:
    a, b, c = (p.pid for p in sleepers)
    tree(tmp_path, {"": [], "payload/init.scope": [a], "payload/system.slice/x.service": [b, c]})
    # the flat lab's case: the cgroup found from /proc/LEADER/cgroup, as a directory
    host = StubHost(tmp_path, str(tmp_path / "unified" / "machine.slice" / UNIT))
    table = await host.processes("alpha")
    assert table.cgroup == f"/machine.slice/{UNIT}" and table.error == ""
    assert [g.path for g in table.groups] == [
        "/", "/payload", "/payload/init.scope", "/payload/system.slice",
        "/payload/system.slice/x.service",
    ]  # fmt: skip
    first = table.processes()[0]
    assert first.pid == a and first.command == "sleep 60" and first.cpu_percent is None
    assert first.ns_pid == a  # this test runs in the host's PID namespace
    again = await host.processes("alpha")
    assert all(p.cpu_percent is not None for p in again.processes())
    machine = host._metrics.asked[0]  # type: ignore[attr-defined]
    assert (machine.name, machine.leader, machine.unit) == ("alpha", 4242, UNIT)


async def test_a_relative_control_group_and_a_missing_one(tmp_path: Path) -> None:
    tree(tmp_path, {"": []})
    host = StubHost(tmp_path, f"/machine.slice/{UNIT}")
    assert (await host.processes("alpha")).groups[0].path == "/"
    gone = StubHost(tmp_path, f"/machine.slice/{UNIT}-gone")
    assert "not found" in (await gone.processes("alpha")).error
    unknown = StubHost(tmp_path, None)
    assert "not known" in (await unknown.processes("alpha")).error
    with pytest.raises(NoSuchMachine):
        await host.processes("beta")


async def test_signal_only_to_a_process_of_the_machine(
    tmp_path: Path, sleepers: list[subprocess.Popen[bytes]]
) -> None:
    inside, outside, _ = sleepers
    tree(tmp_path, {"": [], "payload": [inside.pid]})
    host = StubHost(tmp_path, f"/machine.slice/{UNIT}")
    with pytest.raises(HostError, match="not in the machine's control group"):
        await host.signal_process("alpha", outside.pid, signal.SIGTERM)
    assert outside.poll() is None
    await host.signal_process("alpha", inside.pid, signal.SIGTERM)
    assert inside.wait(timeout=10) == -signal.SIGTERM
    with pytest.raises(HostError, match="already ended"):
        await host.signal_process("alpha", inside.pid, signal.SIGTERM)
    with pytest.raises(HostError, match="refused"):
        await host.signal_process("alpha", 0, signal.SIGTERM)
    with pytest.raises(NoSuchMachine):
        await host.signal_process("beta", outside.pid, signal.SIGTERM)


async def test_read_only_refuses_before_looking(
    tmp_path: Path, sleepers: list[subprocess.Popen[bytes]]
) -> None:
    pid = sleepers[0].pid
    tree(tmp_path, {"": [pid]})
    host = StubHost(tmp_path, f"/machine.slice/{UNIT}", read_only=True)
    assert host.refusal("signal_process") is not None
    with pytest.raises(ReadOnlyError):
        await host.signal_process("alpha", pid, signal.SIGKILL)
    assert sleepers[0].poll() is None and host._metrics.asked == []  # type: ignore[attr-defined]
