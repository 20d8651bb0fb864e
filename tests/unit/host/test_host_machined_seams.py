"""The seams inside the machined host: transport, metrics source, journal prefix, shell attach.

:class:`MachinedHost` is driven through its public methods with a fake of
each seam: a fake transport that hands out a scripted in-memory bus (or
fails), a metrics source returning fixed samples, a shell attach recording
its calls, a :class:`CommandPrefix` whose argv is caught at
``create_subprocess_exec``.  Each test has a control: the default seams
(local journalctl, no prefix; the system bus transport) give today's
behaviour.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import AsyncGenerator, Sequence
from pathlib import Path
from typing import Any, cast

import pytest
from dbus_next import Message, MessageType, Variant
from dbus_next.aio import MessageBus

from nspawn_tui.cgroups import CgroupLayout
from nspawn_tui.host.base import HostError, HostUnavailable, Machine, Sample
from nspawn_tui.host.machined import bus as du
from nspawn_tui.host.machined.host import MachinedHost
from nspawn_tui.host.machined.logs import LOCAL, CommandPrefix
from nspawn_tui.host.machined.metrics import CgroupMetrics
from nspawn_tui.host.machined.transport import SystemBusTransport
from nspawn_tui.journal.sources import (
    LogOptions,
    LogRecord,
    SourceStatus,
    options_argv,
    record_argv,
)

MACHINE_PATH = "/org/freedesktop/machine1/machine/alpha"
IMAGE_PATH = "/org/freedesktop/machine1/image/img"
UNIT_PATH = "/org/freedesktop/systemd1/unit/machine_2dalpha_2escope"
UNIT_PROPERTIES: dict[str, str | int] = {
    "ControlGroup": "/machine.slice/machine-alpha.scope",
    "MemoryMax": 2**64 - 1,
    "TasksMax": 77,
}
SAMPLE = Sample(timestamp=1.0, cpu_usage_usec=5, memory_current=1234, tasks_current=7)


class FakeBus:
    """machined (and optionally systemd's manager) answering from a script, in memory."""

    def __init__(self, *, systemd: bool = False) -> None:
        self.connected = True
        self.systemd = systemd
        self.machines = {"alpha": 4242}  # name -> leader
        self.calls: list[str] = []
        self._gone = asyncio.Event()

    def add_message_handler(self, handler: Any) -> None:
        pass  # no signals in these tests

    def disconnect(self) -> None:
        self.connected = False
        self._gone.set()

    async def wait_for_disconnect(self) -> None:
        await self._gone.wait()

    async def call(self, msg: Message) -> Message:
        self.calls.append(str(msg.member))
        signature, body = self._answer(msg)
        if signature is None:
            return Message(
                message_type=MessageType.ERROR, reply_serial=1,
                error_name="org.freedesktop.DBus.Error.UnknownMethod",
                signature="s", body=[f"not scripted: {msg.member}"],
            )  # fmt: skip
        return Message(
            message_type=MessageType.METHOD_RETURN, reply_serial=1, signature=signature, body=body
        )

    def _answer(self, msg: Message) -> tuple[str | None, list[Any]]:
        member, body = msg.member, msg.body
        if member == "NameHasOwner":
            return "b", [body[0] == du.MACHINE1 or (self.systemd and body[0] == du.SYSTEMD1)]
        if member in {"AddMatch", "SetUnitProperties"}:
            return "", []
        if member == "ListMachines":
            rows = [(".host", "host", "", "/org/freedesktop/machine1/machine/_2ehost")]
            rows += [(name, "container", "nspawn", MACHINE_PATH) for name in self.machines]
            return "a(ssso)", [rows]
        if member == "GetAll" and msg.path == MACHINE_PATH:
            props = {
                "Leader": Variant("u", self.machines["alpha"]),
                "Class": Variant("s", "container"),
                "State": Variant("s", "running"),
                "Unit": Variant("s", "systemd-nspawn@alpha.service"),
            }
            return "a{sv}", [props]
        if member in {"GetMachineOSRelease", "GetImageOSRelease"}:
            return "a{ss}", [{"PRETTY_NAME": "Debian"}]
        if member == "GetMachineAddresses":
            return "a(iay)", [[]]
        if member == "ListImages":
            return "a(ssbttto)", [[("img", "directory", False, 0, 0, 0, IMAGE_PATH)]]
        if member == "Get" and msg.path == IMAGE_PATH:
            return "v", [Variant("s", "/var/lib/machines/img")]
        if self.systemd and member == "GetUnit":
            return "o", [UNIT_PATH]
        if self.systemd and member == "Get" and msg.path == UNIT_PATH:
            value = UNIT_PROPERTIES[body[1]]
            return "v", [Variant("s" if isinstance(value, str) else "t", value)]
        return None, []


class FakeTransport:
    def __init__(self, bus: FakeBus | None = None, error: str = "") -> None:
        self.bus = bus
        self.error = error
        self.connects = 0

    @property
    def description(self) -> str:
        return "fake bus on HOST"

    async def connect(self) -> MessageBus:
        self.connects += 1
        if self.bus is None:
            raise HostUnavailable(self.error)
        return cast(MessageBus, self.bus)


class FakeMetrics:
    def __init__(self) -> None:
        self.sampled: list[tuple[list[str], object]] = []
        self.forgotten: list[str] = []
        self.refreshed: list[str] = []
        self.closed = False

    async def sample(
        self, machines: Sequence[Machine], systemd: MessageBus | None
    ) -> dict[str, Sample]:
        self.sampled.append(([m.name for m in machines if m.running], systemd))
        return {"alpha": SAMPLE}

    async def cgroup(self, machine: Machine, systemd: MessageBus | None) -> str | None:
        return f"/fake/{machine.name}"

    def forget(self, name: str) -> None:
        self.forgotten.append(name)

    def refresh_limits(self, name: str) -> None:
        self.refreshed.append(name)

    def close(self) -> None:
        self.closed = True

    def reason(self, name: str) -> str | None:
        return "CPU: not accounted" if name == "alpha" else None


class FakeShell:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    async def open_shell(self, name: str, user: str, command: Sequence[str]) -> int:
        self.calls.append(("shell", name, user, list(command)))
        return 41

    async def open_login(self, name: str) -> int:
        self.calls.append(("login", name))
        return 42


# ------------------------------------------------------------------ transport


async def test_a_failing_transport_gives_host_unavailable_and_a_disconnected_snapshot() -> None:
    transport = FakeTransport(error="ssh: connect to host HOST: No route to host")
    host = MachinedHost(transport=transport, metrics=FakeMetrics())
    assert host.description == "machined on fake bus on HOST"
    with pytest.raises(HostUnavailable, match="No route to host"):
        await host.connect()
    snapshot = await host.snapshot()
    assert not snapshot.connected and snapshot.samples == {} and snapshot.machines == ()
    assert snapshot.error == "ssh: connect to host HOST: No route to host; reconnecting…"
    assert transport.connects == 2


async def test_a_working_transport_gives_a_connected_snapshot() -> None:
    """Control: the same host on a transport that connects."""
    transport = FakeTransport(FakeBus())
    host = MachinedHost(transport=transport, metrics=FakeMetrics())
    snapshot = await host.snapshot()
    assert snapshot.connected and snapshot.error is None
    assert [m.name for m in snapshot.machines] == ["alpha", "img"]
    await host.close()


async def test_the_default_transport_is_the_bus_at_the_address(tmp_path: Path) -> None:
    address = f"unix:path={tmp_path}/no-bus"
    host = MachinedHost(address)
    assert host.description == f"machined on {address}"
    assert SystemBusTransport(address).description == address
    with pytest.raises(HostUnavailable, match="socket not found"):
        await host.connect()
    assert not (await host.snapshot()).connected


# -------------------------------------------------------------------- metrics


async def test_the_snapshot_has_the_metrics_source_samples() -> None:
    bus = FakeBus()
    metrics = FakeMetrics()
    host = MachinedHost(transport=FakeTransport(bus), metrics=metrics)
    snapshot = await host.snapshot()
    assert snapshot.samples == {"alpha": SAMPLE}
    assert metrics.sampled == [(["alpha"], None)]  # no systemd manager on this bus
    details = await host.machine_details("alpha")
    assert details.cgroup == "/fake/alpha"
    assert details.unavailable == "CPU: not accounted"  # the source's reason, for the panel
    await host.close()
    assert metrics.closed


async def test_the_metrics_source_gets_the_bus_when_systemd_is_on_it() -> None:
    bus = FakeBus(systemd=True)
    metrics = FakeMetrics()
    host = MachinedHost(transport=FakeTransport(bus), metrics=metrics)
    await host.snapshot()
    assert metrics.sampled == [(["alpha"], bus)]
    await host.set_limits("alpha", {"MemoryMax": "300M"}, runtime=True)
    assert "SetUnitProperties" in bus.calls
    assert metrics.refreshed == ["alpha"]
    await host.close()


async def test_the_metrics_source_forgets_machines_restarted_or_gone() -> None:
    bus = FakeBus()
    metrics = FakeMetrics()
    host = MachinedHost(transport=FakeTransport(bus), metrics=metrics)
    await host.snapshot()
    assert metrics.forgotten == ["alpha"]  # first seen: nothing kept from before
    await host.snapshot()
    assert metrics.forgotten == ["alpha"]  # control: same leader, nothing forgotten
    bus.machines["alpha"] = 4343  # booted again
    await host.snapshot()
    assert metrics.forgotten == ["alpha", "alpha"]
    del bus.machines["alpha"]
    snapshot = await host.snapshot()
    assert metrics.forgotten == ["alpha", "alpha", "alpha"]
    assert [m.name for m in snapshot.machines] == ["img"]
    await host.close()


async def test_cgroup_metrics_read_the_files_of_the_units_cgroup(tmp_path: Path) -> None:
    """Today's source on a synthetic v2 tree: the cgroup from the unit's ControlGroup,
    figures from its files, the limit the files lack from the unit, rates and
    limits read again after forget/refresh_limits."""
    unified = tmp_path / "unified"
    cgroup = unified / "machine.slice" / "machine-alpha.scope"
    cgroup.mkdir(parents=True)
    (cgroup / "memory.current").write_text("1000\n")
    (cgroup / "memory.max").write_text("5000\n")
    (cgroup / "cpu.stat").write_text("usage_usec 10\n")
    bus = cast(MessageBus, FakeBus(systemd=True))
    metrics = CgroupMetrics(CgroupLayout(unified=str(unified)))
    machine = Machine("alpha", leader=None, unit="machine-alpha.scope")
    assert await metrics.cgroup(machine, bus) == "/machine.slice/machine-alpha.scope"
    first = (await metrics.sample([machine], bus))["alpha"]
    assert (first.memory_current, first.memory_max, first.cpu_percent) == (1000, 5000, None)
    assert first.tasks_max == 77  # no pids.max: the unit's TasksMax
    (cgroup / "memory.max").write_text("6000\n")
    assert (await metrics.sample([machine], bus))["alpha"].memory_max == 5000  # kept
    metrics.refresh_limits("alpha")
    second = (await metrics.sample([machine], bus))["alpha"]
    assert second.memory_max == 6000 and second.cpu_percent is not None
    metrics.forget("alpha")
    assert (await metrics.sample([machine], bus))["alpha"].cpu_percent is None  # starts over
    # Without systemd's manager and without a leader there is no cgroup to read.
    stranger = Machine("beta", leader=None, unit="machine-beta.scope")
    assert await metrics.cgroup(stranger, None) is None
    assert await metrics.sample([stranger], None) == {}
    metrics.close()


# -------------------------------------------------------------------- journal


class ExecSpy:
    """Catches every command line the host runs; the command is 'not found'."""

    def __init__(self) -> None:
        self.argvs: list[list[str]] = []

    async def __call__(self, *argv: str, **kwargs: Any) -> Any:
        self.argvs.append(list(argv))
        raise FileNotFoundError(argv[0])


async def _journal_argvs(prefix: CommandPrefix, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The command lines of a follow of alpha (running) and img (stopped), and a record fetch."""
    spy = ExecSpy()
    monkeypatch.setattr(asyncio, "create_subprocess_exec", spy)
    host = MachinedHost(
        transport=FakeTransport(FakeBus()), metrics=FakeMetrics(), command_prefix=prefix
    )
    events = host.follow_logs(["alpha", "img"], LogOptions(lines=50, unit="a b.service"))
    assert isinstance(events, AsyncGenerator)
    statuses = [await anext(events) for _ in range(2)]
    await events.aclose()
    assert all(isinstance(s, SourceStatus) and s.state == "error" for s in statuses)
    assert {s.machine for s in statuses if isinstance(s, SourceStatus)} == {"alpha", "img"}
    record = LogRecord("alpha", 1, 6, "", "", "", "hi", "", "s=1;i=2;b=3", 0)
    with pytest.raises(HostError):
        await host.log_record(record)
    await host._unit_journal_tail("systemd-nspawn@alpha.service")
    await host.close()
    assert len(spy.argvs) == 4
    return spy.argvs


LOCAL_ARGVS = [
    options_argv("alpha", LogOptions(lines=50, unit="a b.service")),
    options_argv(
        "img",
        LogOptions(lines=50, unit="a b.service"),
        directory="/var/lib/machines/img/var/log/journal",
    ),  # fmt: skip
    record_argv(LogRecord("alpha", 1, 6, "", "", "", "hi", "", "s=1;i=2;b=3", 0)),
    ["journalctl", "-u", "systemd-nspawn@alpha.service", "-n", "8", "--no-pager", "-o", "cat"],
]


async def test_local_journal_command_lines_are_unprefixed(monkeypatch: pytest.MonkeyPatch) -> None:
    argvs = await _journal_argvs(LOCAL, monkeypatch)
    assert sorted(argvs) == sorted(LOCAL_ARGVS)


async def test_an_ssh_prefix_wraps_every_journal_command_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prefix = CommandPrefix("ssh", "-xT", "HOST", quote_words=True)
    argvs = await _journal_argvs(prefix, monkeypatch)
    expected = [["ssh", "-xT", "HOST", *map(shlex.quote, argv)] for argv in LOCAL_ARGVS]
    assert sorted(argvs) == sorted(expected)
    # what the remote shell makes of it: the local command line, word for word
    assert sorted(shlex.split(" ".join(argv[3:])) for argv in argvs) == sorted(LOCAL_ARGVS)


def test_a_plain_prefix_puts_its_words_first() -> None:
    prefix = CommandPrefix("nice", "-n", "10")
    assert prefix.wrap(["journalctl", "--cursor=s=1;i=2"]) == [
        "nice", "-n", "10", "journalctl", "--cursor=s=1;i=2",
    ]  # fmt: skip
    assert LOCAL.wrap(["journalctl", "-f"]) == ["journalctl", "-f"]


# --------------------------------------------------------------------- attach


async def test_shell_and_login_go_to_the_shell_attach() -> None:
    shell = FakeShell()
    host = MachinedHost(transport=FakeTransport(FakeBus()), metrics=FakeMetrics(), shell=shell)
    assert await host.open_shell("alpha", "user", ["/bin/sh", "-l"]) == 41
    assert await host.open_login("alpha") == 42
    assert shell.calls == [("shell", "alpha", "user", ["/bin/sh", "-l"]), ("login", "alpha")]


async def test_a_read_only_host_does_not_reach_the_shell_attach() -> None:
    """Control: the read-only check stays in the Host, before the seam."""
    shell = FakeShell()
    host = MachinedHost(
        transport=FakeTransport(FakeBus()), metrics=FakeMetrics(), shell=shell, read_only=True
    )
    with pytest.raises(HostError):
        await host.open_shell("alpha", "root", [])
    with pytest.raises(HostError):
        await host.open_login("alpha")
    assert shell.calls == []


async def test_the_default_shell_attach_asks_machined_for_a_pty() -> None:
    """Today's attach: OpenMachineShell over the bus (a reply without fds is refused)."""
    bus = FakeBus()
    host = MachinedHost(transport=FakeTransport(bus), metrics=FakeMetrics())
    with pytest.raises(HostError, match="not scripted: OpenMachineShell"):
        await host.open_shell("alpha")
    with pytest.raises(HostError, match="not scripted: OpenMachineLogin"):
        await host.open_login("alpha")
    assert bus.calls[-1] == "OpenMachineLogin"
    await host.close()
