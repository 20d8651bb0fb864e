"""RemoteMetrics: systemd's unit accounting over a fake bus, cgroup files through a real local
``sh`` (RemoteShell) on trees in the kernel's formats; CPU % from deltas; n/a with reasons."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest
from dbus_next import Message, MessageType, Variant
from dbus_next.aio import MessageBus

from nspawn_tui.cgroups import CgroupLayout
from nspawn_tui.host.base import UNLIMITED, HostUnavailable, Machine
from nspawn_tui.remote.metrics import NOT_SET, RemoteMetrics, cgroup_from_proc
from nspawn_tui.remote.shell import RemoteShell

UNIT = "systemd-nspawn@web.service"
CGROUP = f"/machine.slice/{UNIT}"
UNIT_PATH = "/org/freedesktop/systemd1/unit/systemd_2dnspawn_40web_2eservice"
WEB = Machine(name="web", leader=4242, unit=UNIT)

V2 = {
    "cpu.stat": "usage_usec 5000000\nuser_usec 3000000\nsystem_usec 2000000\n"
    "nr_periods 0\nnr_throttled 0\nthrottled_usec 0\nnr_bursts 0\nburst_usec 0\n",
    "memory.current": "104857600\n",
    "memory.max": "max\n",
    "memory.high": "536870912\n",
    "memory.peak": "209715200\n",
    "memory.events": "low 0\nhigh 4\nmax 2\noom 1\noom_kill 1\noom_group_kill 0\n",
    "pids.current": "17\n",
    "pids.max": "2048\n",
    "io.stat": "8:0 rbytes=1000 wbytes=2000 rios=3 wios=4 dbytes=0 dios=0\n"
    "8:16 rbytes=24 wbytes=48 rios=1 wios=1 dbytes=0 dios=0\n",
}
NOT_ACCOUNTED: dict[str, Any] = {
    "CPUUsageNSec": NOT_SET,
    "MemoryCurrent": NOT_SET,
    "TasksCurrent": NOT_SET,
    "IOReadBytes": NOT_SET,
    "IOWriteBytes": NOT_SET,
    "MemoryMax": NOT_SET,  # infinity: no limit
    "MemoryHigh": NOT_SET,
    "TasksMax": 4915,
    "ControlGroup": CGROUP,
}
ACCOUNTED = NOT_ACCOUNTED | {
    "CPUUsageNSec": 7_000_000_000,
    "MemoryCurrent": 1234,
    "TasksCurrent": 5,
    "IOReadBytes": 10,
    "IOWriteBytes": 20,
}


class FakeSystemd:
    """systemd's manager answering GetUnit, and Get from ``props`` (UnknownProperty for one
    it does not have, as systemd 252 for MemoryPeak); GetAll is refused."""

    def __init__(self, props: dict[str, Any]) -> None:
        self.connected = True
        self.props = props
        self.calls: list[str] = []
        self.asked: list[str] = []  # the properties of each Get, in order

    async def call(self, msg: Message) -> Message:
        self.calls.append(str(msg.member))
        if msg.member == "GetUnit":
            return Message(
                message_type=MessageType.METHOD_RETURN, reply_serial=1, signature="o",
                body=[UNIT_PATH],
            )  # fmt: skip
        assert msg.member == "Get" and msg.path == UNIT_PATH
        iface, name = msg.body
        assert iface == "org.freedesktop.systemd1.Service"
        self.asked.append(name)
        if name not in self.props:
            return Message(
                message_type=MessageType.ERROR, reply_serial=1, signature="s",
                error_name="org.freedesktop.DBus.Error.UnknownProperty", body=["no such"],
            )  # fmt: skip
        value = self.props[name]
        variant = Variant("s" if isinstance(value, str) else "t", value)
        return Message(
            message_type=MessageType.METHOD_RETURN, reply_serial=1, signature="v", body=[variant]
        )


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Recording(RemoteShell):
    """A RemoteShell over a local sh that remembers what each batch asked for."""

    def __init__(self) -> None:
        super().__init__(["sh"])
        self.asked: list[list[str]] = []

    async def read_files(self, paths: Any) -> dict[str, str | None]:
        self.asked.append(list(paths))
        return await super().read_files(paths)


def bus(fake: FakeSystemd) -> MessageBus:
    return cast(MessageBus, fake)


@pytest.fixture
async def shell() -> AsyncIterator[Recording]:
    sh = Recording()
    yield sh
    await sh.close()


@pytest.fixture
def unified(tmp_path: Path) -> Path:
    directory = tmp_path / "unified" / CGROUP.lstrip("/")
    directory.mkdir(parents=True)
    for name, text in V2.items():
        (directory / name).write_text(text)
    return directory


def metrics_for(shell: RemoteShell, tmp_path: Path, clock: Clock) -> RemoteMetrics:
    layout = CgroupLayout(unified=str(tmp_path / "unified"), v1={})
    return RemoteMetrics(shell, layout=layout, clock=clock)


async def test_not_set_figures_come_from_the_files_and_cpu_percent_from_deltas(
    shell: Recording, tmp_path: Path, unified: Path
) -> None:
    clock = Clock()
    systemd = FakeSystemd(NOT_ACCOUNTED)
    metrics = metrics_for(shell, tmp_path, clock)
    first = (await metrics.sample([WEB], bus(systemd)))["web"]
    assert first.cpu_usage_usec == 5_000_000 and first.cpu_percent is None
    assert first.memory_current == 104857600 and first.memory_peak == 209715200
    assert first.oom_kills == 1 and first.tasks_current == 17
    assert (first.io_read_bytes, first.io_write_bytes) == (1024, 2048)
    # the limits are systemd's (the unit's own), not the files'
    assert first.memory_max == UNLIMITED and first.memory_high == UNLIMITED
    assert first.tasks_max == 4915
    assert len(shell.asked) == 1  # one batch: the layout was given
    assert "web" not in metrics.reasons

    (unified / "cpu.stat").write_text(V2["cpu.stat"].replace("5000000", "5500000", 1))
    (unified / "io.stat").write_text(V2["io.stat"].replace("rbytes=1000", "rbytes=3000"))
    clock.now += 2.0
    second = (await metrics.sample([WEB], bus(systemd)))["web"]
    assert second.cpu_usage_usec == 5_500_000
    assert second.cpu_percent == pytest.approx(25.0)  # 0.5 s of CPU in 2 s
    assert second.io_read_bps == pytest.approx(1000.0) and second.io_write_bps == 0.0
    assert len(shell.asked) == 2
    # within the slow interval, peak and OOM files are not read again
    assert not any(p.endswith(("memory.peak", "memory.events")) for p in shell.asked[1])
    assert systemd.calls.count("GetUnit") == 1 and "GetAll" not in systemd.calls
    # the first refresh asked everything once; the second none of the counters systemd
    # left unset, nor the limits (asked every 5 s), nor the cgroup (known)
    assert systemd.asked.count("ControlGroup") == 1 and systemd.asked.count("TasksMax") == 1
    assert systemd.asked.count("CPUUsageNSec") == 1


async def test_set_figures_come_from_systemd_and_those_files_are_not_read(
    shell: Recording, tmp_path: Path, unified: Path
) -> None:
    clock = Clock()
    systemd = FakeSystemd(dict(ACCOUNTED))
    metrics = metrics_for(shell, tmp_path, clock)
    first = (await metrics.sample([WEB], bus(systemd)))["web"]
    assert first.cpu_usage_usec == 7_000_000 and first.memory_current == 1234
    assert first.tasks_current == 5 and (first.io_read_bytes, first.io_write_bytes) == (10, 20)
    # what systemd 252 does not account (peak, OOM kills) comes from the files, slowly
    assert first.memory_peak == 209715200 and first.oom_kills == 1
    read = {Path(p).name for batch in shell.asked for p in batch}
    assert read == {"memory.peak", "memory.events"}

    systemd.props["CPUUsageNSec"] = 7_250_000_000
    clock.now += 0.5
    second = (await metrics.sample([WEB], bus(systemd)))["web"]
    assert second.cpu_percent == pytest.approx(50.0)
    assert len(shell.asked) == 1  # nothing due: no round trip at all


async def test_a_figure_neither_source_has_is_none_with_a_reason(
    shell: Recording, tmp_path: Path, unified: Path
) -> None:
    (unified / "cpu.stat").unlink()
    (unified / "pids.current").write_text("garbage\n")
    metrics = metrics_for(shell, tmp_path, Clock())
    sample = (await metrics.sample([WEB], bus(FakeSystemd(NOT_ACCOUNTED))))["web"]
    assert sample.cpu_usage_usec is None and sample.cpu_percent is None
    assert sample.tasks_current is None
    assert sample.memory_current == 104857600  # the others are still there
    reason = metrics.reasons["web"]
    assert "CPU: CPUUsageNSec not set by systemd and cpu.stat not readable" in reason
    assert "tasks: TasksCurrent not set by systemd and pids.current not readable" in reason
    assert "memory" not in reason
    assert metrics.reason("web") == reason and metrics.reason("db") is None
    metrics.forget("web")
    assert "web" not in metrics.reasons and metrics.reason("web") is None


async def test_a_failing_shell_leaves_the_systemd_figures_and_says_why(tmp_path: Path) -> None:
    broken = RemoteShell(["sh", "-c", "echo 'ssh: connect to host web1: No route to host' >&2"])
    metrics = metrics_for(broken, tmp_path, Clock())
    props = dict(ACCOUNTED, CPUUsageNSec=NOT_SET)
    sample = (await metrics.sample([WEB], bus(FakeSystemd(props))))["web"]  # no raise
    assert sample.memory_current == 1234 and sample.cpu_usage_usec is None
    assert metrics.shell_error is not None and "no route to" in metrics.shell_error
    assert (
        "CPU: CPUUsageNSec not set by systemd and cgroup files not read (no route to"
        in (metrics.reasons["web"])
    )
    await broken.close()


async def test_a_lost_bus_is_host_unavailable(shell: Recording, tmp_path: Path) -> None:
    systemd = FakeSystemd(NOT_ACCOUNTED)
    systemd.connected = False
    metrics = metrics_for(shell, tmp_path, Clock())
    with pytest.raises(HostUnavailable):
        await metrics.sample([WEB], bus(systemd))


async def test_units_are_looked_up_once_until_forgotten(
    shell: Recording, tmp_path: Path, unified: Path
) -> None:
    systemd = FakeSystemd(dict(ACCOUNTED))
    metrics = metrics_for(shell, tmp_path, Clock())
    stopped = Machine(name="db", state="stopped", unit="systemd-nspawn@db.service")
    for _ in range(3):
        assert set(await metrics.sample([WEB, stopped], bus(systemd))) == {"web"}
    assert systemd.calls.count("GetUnit") == 1
    assert await metrics.cgroup(WEB, bus(systemd)) == CGROUP
    metrics.forget("web")
    await metrics.sample([WEB], bus(systemd))
    assert systemd.calls.count("GetUnit") == 2


async def test_without_systemd_the_cgroup_comes_from_the_leaders_proc_file(
    shell: Recording,
) -> None:
    # this host's real mount table and cgroups; this process plays the leader, the last
    # component of its own cgroup plays the unit
    text = Path("/proc/self/cgroup").read_text()
    paths = [line.split(":", 2)[2] for line in text.split()]
    path = next((p for p in paths if p != "/"), None)
    if path is None:
        pytest.skip("this process sits in the root cgroup of every hierarchy")
    unit = path.rstrip("/").rsplit("/", 1)[1]
    metrics = RemoteMetrics(shell)
    me = Machine(name="me", leader=os.getpid(), unit=unit)
    samples = await metrics.sample([me], None)
    assert shell.asked[0][0] == "/proc/self/mountinfo"
    assert f"/proc/{os.getpid()}/cgroup" in shell.asked[0]
    assert await metrics.cgroup(me, None) == path
    figures = samples["me"]  # whichever hierarchies hold that cgroup (memory v1 here)
    assert figures.cpu_usage_usec is not None or figures.memory_current is not None
    assert len(shell.asked) == 2  # the first refresh: the mount table, then the files
    await metrics.sample([me], None)
    assert len(shell.asked) == 3  # then one batch per refresh
    stranger = Machine(name="x", leader=os.getpid(), unit="no-such.service")
    assert await metrics.sample([stranger], None) == {}
    assert "the unit's cgroup is not known" in metrics.reasons["x"]


def test_cgroup_from_proc_text() -> None:
    hybrid = (
        f"12:pids:{CGROUP}\n5:memory:/machine.slice\n"
        f"1:name=systemd:{CGROUP}/payload\n0::{CGROUP}/payload\n"
    )
    assert cgroup_from_proc(hybrid, UNIT) == CGROUP
    assert cgroup_from_proc("5:memory:/machine.slice\n", UNIT) is None
    assert cgroup_from_proc(f"0::/../{UNIT}\n", UNIT) is None  # outside its namespace
    assert cgroup_from_proc("garbage", UNIT) is None


async def test_unset_properties_are_probed_again_every_30_s_and_limits_every_5_s(
    shell: Recording, tmp_path: Path, unified: Path
) -> None:
    clock = Clock()
    systemd = FakeSystemd(dict(ACCOUNTED, CPUUsageNSec=NOT_SET))
    metrics = metrics_for(shell, tmp_path, clock)
    await metrics.sample([WEB], bus(systemd))
    first = list(systemd.asked)
    assert set(first) == {
        "CPUUsageNSec", "MemoryCurrent", "TasksCurrent", "IOReadBytes", "IOWriteBytes",
        "MemoryMax", "MemoryHigh", "TasksMax", "MemoryPeak", "ControlGroup",
    }  # fmt: skip
    asked: list[list[str]] = []
    for _ in range(31):
        clock.now += 1.0
        systemd.asked.clear()
        sample = (await metrics.sample([WEB], bus(systemd)))["web"]
        assert sample.cpu_usage_usec == 5_000_000  # from cpu.stat meanwhile
        assert sample.tasks_max == 4915 and sample.memory_max == UNLIMITED  # kept
        asked.append(list(systemd.asked))
    counters = ["MemoryCurrent", "TasksCurrent", "IOReadBytes", "IOWriteBytes"]
    assert asked[0] == counters  # 1 s later: the counters systemd sets, nothing else
    assert asked[4] == [*counters, "MemoryMax", "MemoryHigh", "TasksMax"]  # 5 s later
    # MemoryPeak (UnknownProperty) and CPUUsageNSec (not set) again only 30 s later
    assert [i for i, names in enumerate(asked) if "CPUUsageNSec" in names] == [29]
    assert [i for i, names in enumerate(asked) if "MemoryPeak" in names] == [29]
    assert not any("ControlGroup" in names for names in asked)

    # CPUAccounting=yes meanwhile: seen at the next probe after refresh_limits
    systemd.props["CPUUsageNSec"] = 9_000_000_000
    systemd.props["TasksMax"] = 100
    clock.now += 1.0
    assert (await metrics.sample([WEB], bus(systemd)))["web"].cpu_usage_usec == 5_000_000
    metrics.refresh_limits("web")
    clock.now += 1.0
    sample = (await metrics.sample([WEB], bus(systemd)))["web"]
    assert sample.cpu_usage_usec == 9_000_000 and sample.tasks_max == 100
    clock.now += 1.0
    systemd.asked.clear()
    await metrics.sample([WEB], bus(systemd))
    assert "CPUUsageNSec" in systemd.asked  # set now: asked at every refresh


async def test_a_unit_that_went_away_gives_no_systemd_figures_and_is_looked_up_again(
    shell: Recording, tmp_path: Path, unified: Path
) -> None:
    systemd = FakeSystemd(dict(ACCOUNTED))
    metrics = metrics_for(shell, tmp_path, Clock())
    await metrics.sample([WEB], bus(systemd))
    systemd.props = {}  # every Get now fails as for an unloaded unit's unknown interface
    original = systemd.call

    async def failing(msg: Message) -> Message:
        if msg.member == "Get":
            systemd.calls.append("Get")
            return Message(
                message_type=MessageType.ERROR, reply_serial=1, signature="s",
                error_name="org.freedesktop.DBus.Error.UnknownObject", body=["gone"],
            )  # fmt: skip
        return await original(msg)

    systemd.call = failing  # type: ignore[method-assign]
    sample = (await metrics.sample([WEB], bus(systemd)))["web"]
    assert sample.memory_current == 104857600  # the files' figure, not systemd's 1234
    assert sample.tasks_max == 2048  # pids.max: systemd's 4915 went with the unit
    await metrics.sample([WEB], bus(systemd))
    assert systemd.calls.count("GetUnit") == 2


def realistic_getall_reply() -> Message:
    """A GetAll(Service) reply the size systemd 252 sends (11,052 bytes on the lab)."""
    body = {f"Property{i:03d}": Variant("t", NOT_SET) for i in range(345)}
    return Message(
        message_type=MessageType.METHOD_RETURN, reply_serial=7, signature="a{sv}", body=[body],
        destination=":1.42", sender=":1.1",
    )  # fmt: skip


class CountingBus(FakeSystemd):
    """Counts the bytes each call and its reply take on the wire (as marshalled), with the
    reply's sender and destination a real bus daemon adds."""

    def __init__(self, props: dict[str, Any]) -> None:
        super().__init__(props)
        self.bytes = 0

    async def call(self, msg: Message) -> Message:
        reply = await super().call(msg)
        reply.sender, reply.destination = ":1.1", ":1.42"
        self.bytes += len(msg._marshall(False)) + len(reply._marshall(False))
        return reply


@pytest.mark.parametrize(("count", "most"), [(1, 2000), (50, 50 * 2000)])
async def test_bytes_per_refresh_far_below_one_getall_per_machine(
    shell: Recording, tmp_path: Path, unified: Path, count: int, most: int
) -> None:
    getall = Message(
        destination="org.freedesktop.systemd1", path=UNIT_PATH,
        interface="org.freedesktop.DBus.Properties", member="GetAll", signature="s",
        body=["org.freedesktop.systemd1.Service"],
    )  # fmt: skip
    before = count * (len(getall._marshall(False)) + len(realistic_getall_reply()._marshall(False)))
    assert before > count * 11_000
    clock = Clock()
    counting = CountingBus(dict(ACCOUNTED))  # every counter set: the most asked
    metrics = metrics_for(shell, tmp_path, clock)
    machines = [Machine(name=f"m{i}", leader=1, unit=UNIT) for i in range(count)]
    await metrics.sample(machines, bus(counting))
    counting.bytes = 0
    for _ in range(30):
        clock.now += 1.0
        assert len(await metrics.sample(machines, bus(counting))) == count
    after = counting.bytes / 30
    print(f"\n{count} machine(s): {before} B per refresh before, {after:.0f} B after")
    assert after < most and after < before / 6
