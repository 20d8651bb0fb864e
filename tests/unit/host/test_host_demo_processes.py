"""The demo host's simulated processes: plausible, deterministic, moving with its clock."""

from __future__ import annotations

import signal

import pytest

from nspawn_tui.host.base import HostError, NoSuchMachine, ReadOnlyError
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.host.processes import ProcessTable


def by_command(table: ProcessTable, text: str) -> list[int]:
    return [p.pid for p in table.processes() if text in p.command]


async def test_every_running_machine_has_init_journald_and_its_supervisor() -> None:
    host = DemoHost(seed=1, frozen=True)
    for machine in await host.list_machines():
        if not machine.running:
            with pytest.raises(NoSuchMachine):
                await host.processes(machine.name)
            continue
        table = await host.processes(machine.name)
        assert table.groups[0].path == "/" and table.groups[0].depth == 0
        if machine.machine_class == "vm":
            assert "qemu-system" in table.processes()[0].command
            continue
        init = [p for p in table.processes() if p.ns_pid == 1]
        assert len(init) == 1 and init[0].pid == machine.leader
        supervisor = [g for g in table.groups if g.path == "/supervisor"][0].processes[0]
        assert "systemd-nspawn" in supervisor.command and init[0].ppid == supervisor.pid
        assert table.cgroup == f"/machine.slice/systemd-nspawn@{machine.name}.service"
        if machine.os.startswith("Debian"):
            assert by_command(table, "systemd-journald")
        pids = [p.pid for p in table.processes()]
        assert len(pids) == len(set(pids))


async def test_the_tree_is_in_machinectl_order() -> None:
    table = await DemoHost(seed=1, frozen=True).processes("web")
    paths = [g.path for g in table.groups]
    assert paths[:3] == ["/", "/payload", "/payload/init.scope"]
    assert paths[-1] == "/supervisor"
    nginx = [g for g in table.groups if g.path.endswith("nginx.service")][0]
    assert nginx.depth == 3 and len(nginx.processes) == 5
    master = nginx.processes[0]
    assert all(worker.ppid == master.pid for worker in nginx.processes[1:])


async def test_deterministic_for_a_seed_and_moving_with_the_clock() -> None:
    a, b = DemoHost(seed=1, frozen=True), DemoHost(seed=1, frozen=True)
    first = await a.processes("db")
    assert first == await b.processes("db")
    assert first != await DemoHost(seed=2, frozen=True).processes("db")
    a.tick(7.0)
    later = await a.processes("db")
    assert [p.pid for p in later.processes()] == [p.pid for p in first.processes()]
    assert [p.cpu_percent for p in later.processes()] != [p.cpu_percent for p in first.processes()]
    total = sum(p.cpu_percent or 0.0 for p in later.processes())
    snapshot = await a.snapshot()
    assert total == pytest.approx(snapshot.samples["db"].cpu_percent, abs=0.2)


async def test_signals_change_the_simulation() -> None:
    host = DemoHost(seed=1, frozen=True)
    table = await host.processes("web")
    master = by_command(table, "nginx: master")[0]
    await host.signal_process("web", master, signal.SIGSTOP)
    stopped = {p.pid: p for p in (await host.processes("web")).processes()}[master]
    assert stopped.state == "stopped" and stopped.cpu_percent == 0.0
    await host.signal_process("web", master, signal.SIGCONT)
    await host.signal_process("web", master, signal.SIGHUP)  # a reload: still there
    assert master in by_command(await host.processes("web"), "nginx: master")
    await host.signal_process("web", master, signal.SIGTERM)  # its workers go with it
    after = await host.processes("web")
    assert not by_command(after, "nginx")
    assert by_command(after, "php-fpm")
    with pytest.raises(HostError, match="not in the machine's control group"):
        await host.signal_process("web", master, signal.SIGTERM)
    init = [p for p in after.processes() if p.ns_pid == 1][0]
    await host.signal_process("web", init.pid, signal.SIGTERM)  # systemd ignores it
    assert {m.name: m for m in await host.list_machines()}["web"].running
    supervisor = [p for p in after.processes() if "systemd-nspawn" in p.command][0]
    await host.signal_process("web", supervisor.pid, signal.SIGTERM)
    assert not {m.name: m for m in await host.list_machines()}["web"].running
    with pytest.raises(NoSuchMachine):
        await host.processes("web")


async def test_a_reboot_gives_a_fresh_tree() -> None:
    host = DemoHost(seed=1, frozen=True)
    pid = by_command(await host.processes("dns"), "unbound")[0]
    await host.signal_process("dns", pid, signal.SIGKILL)
    assert not by_command(await host.processes("dns"), "unbound")
    await host.poweroff("dns")
    await host.start("dns")
    assert by_command(await host.processes("dns"), "unbound")


async def test_read_only_demo_refuses_signals() -> None:
    host = DemoHost(seed=1, frozen=True, read_only=True)
    pid = by_command(await host.processes("web"), "nginx: master")[0]
    with pytest.raises(ReadOnlyError):
        await host.signal_process("web", pid, signal.SIGKILL)
    assert by_command(await host.processes("web"), "nginx: master") == [pid]
