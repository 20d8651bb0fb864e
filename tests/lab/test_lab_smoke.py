"""Smoke tests of the lab itself: the real stack answers as LAB.md says."""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path

import labkit
from conftest import INNER_RUNNING, INNER_STOPPED
from labkit import cgroups
from labkit.busctl import MACHINE1, MANAGER_IFACE, MANAGER_PATH

# -- flat lab -----------------------------------------------------------------


def busctl_json(lab: labkit.FlatLab, *args: str) -> object:
    result = subprocess.run(
        ["busctl", f"--address={lab.bus_address}", "--json=short", *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    )
    return json.loads(result.stdout)


def test_machined_lists_alpha_running_with_its_unit(flat_lab: labkit.FlatLab) -> None:
    props = flat_lab.busctl.machine("ntl-alpha", "State", "Unit", "Leader", "RootDirectory")
    assert props == {
        "State": "running",
        "Unit": "systemd-nspawn@ntl-alpha.service",
        "Leader": flat_lab.containers["ntl-alpha"].leader,
        "RootDirectory": "/var/lib/machines/ntl-alpha",
    }
    assert {"ntl-alpha", "ntl-beta"} <= set(flat_lab.busctl.require_machines())


def test_machined_lists_the_stopped_image(flat_lab: labkit.FlatLab) -> None:
    reply = busctl_json(flat_lab, "call", MACHINE1, MANAGER_PATH, MANAGER_IFACE, "ListImages")
    assert isinstance(reply, dict)
    images = {entry[0]: entry[1] for entry in reply["data"][0]}
    assert images["ntl-image"] == "directory"
    assert "ntl-image" not in flat_lab.busctl.require_machines()


def test_leader_is_systemd_in_its_own_pid_namespace(flat_lab: labkit.FlatLab) -> None:
    container = flat_lab.containers["ntl-alpha"]
    assert Path(f"/proc/{container.leader}/comm").read_text().strip() == "systemd"
    assert os.readlink(f"/proc/{container.leader}/ns/pid") != os.readlink("/proc/self/ns/pid")
    assert flat_lab.exec("ntl-alpha", ["hostname"]).stdout.strip() == "ntl-alpha"
    unified = cgroups.unified_root()
    assert unified is not None
    cgroup = Path(f"/proc/{container.leader}/cgroup").read_text()
    assert f"0::{container.cgroup_rel}/" in cgroup


def test_journal_of_a_container_is_readable_through_machined(flat_lab: labkit.FlatLab) -> None:
    marker = f"ntl-smoke-{uuid.uuid4().hex}"
    assert flat_lab.exec("ntl-alpha", ["logger", marker]).returncode == 0
    argv = ["journalctl", "-M", "ntl-alpha", "--no-pager", "-o", "json", "-n", "200"]
    messages: list[str] = []
    for _attempt in range(50):
        result = subprocess.run(
            argv, env=flat_lab.env, capture_output=True, text=True, timeout=10, check=False
        )
        assert result.returncode == 0, result.stderr
        messages = [json.loads(line).get("MESSAGE") for line in result.stdout.splitlines()]
        if marker in messages:
            break
        time.sleep(0.2)
    assert len(messages) > 5  # the boot was logged
    assert marker in messages


def usage_usec(cgroup_dir: Path) -> int:
    for line in (cgroup_dir / "cpu.stat").read_text().splitlines():
        key, value = line.split()
        if key == "usage_usec":
            return int(value)
    raise AssertionError(f"no usage_usec in {cgroup_dir}/cpu.stat")


def test_burn_cpu_is_charged_to_the_container(flat_lab: labkit.FlatLab) -> None:
    container = flat_lab.containers["ntl-beta"]
    unified = cgroups.unified_root()
    assert unified is not None
    cgroup_dir = unified / container.cgroup_rel.lstrip("/")
    before = usage_usec(cgroup_dir)
    other_before = usage_usec(unified / cgroups.unit_rel("ntl-alpha").lstrip("/"))
    with flat_lab.burn_cpu("ntl-beta") as pid:
        assert container.cgroup_rel in Path(f"/proc/{pid}/cgroup").read_text()
        for _attempt in range(100):
            if usage_usec(cgroup_dir) - before > 500_000:
                break
            time.sleep(0.1)
    assert usage_usec(cgroup_dir) - before > 500_000
    # the other container was not charged for it
    assert usage_usec(unified / cgroups.unit_rel("ntl-alpha").lstrip("/")) - other_before < 500_000
    assert not labkit.common.pid_alive(pid)


def test_veth_link_exists_on_the_host(flat_lab: labkit.FlatLab) -> None:
    if not flat_lab.veth:
        # boot() fell back to no veth: systemd-nspawn could not create one here
        assert labkit.veth_links("ntl-alpha") == []
        return
    assert "ve-ntl-alpha" in labkit.veth_links("ntl-")


def test_boot_and_stop_an_extra_container(flat_lab: labkit.FlatLab) -> None:
    container = flat_lab.boot("ntl-gamma")
    assert "ntl-gamma" in flat_lab.busctl.require_machines()
    flat_lab.stop("ntl-gamma")
    assert "ntl-gamma" not in flat_lab.busctl.require_machines()
    assert not labkit.common.pid_alive(container.nspawn_pid)
    assert not labkit.common.pid_alive(container.leader)
    assert cgroups.unit_dirs("ntl-gamma") == []
    assert labkit.veth_links("ntl-gamma") == []
    assert container.root.is_dir()  # the image stays, stopped


def test_restarted_machined_still_knows_the_running_machines(flat_lab: labkit.FlatLab) -> None:
    old_pid = flat_lab._machined.pid if flat_lab._machined else None
    flat_lab.restart_machined()
    assert flat_lab._machined is not None and flat_lab._machined.pid != old_pid
    assert {"ntl-alpha", "ntl-beta"} <= set(flat_lab.busctl.require_machines())
    props = flat_lab.busctl.machine("ntl-alpha", "Leader", "Unit")
    assert props == {
        "Leader": flat_lab.containers["ntl-alpha"].leader,
        "Unit": "systemd-nspawn@ntl-alpha.service",
    }


def test_stopped_machined_does_not_answer(flat_lab: labkit.FlatLab) -> None:
    flat_lab.stop_machined()
    try:
        assert flat_lab.busctl.list_machines() is None
    finally:
        flat_lab.start_machined()
    assert "ntl-alpha" in flat_lab.busctl.require_machines()


# -- nested lab ---------------------------------------------------------------


def test_outer_is_a_running_systemd_host(nested_lab: labkit.NestedLab) -> None:
    result = nested_lab.run(["systemctl", "is-system-running"])
    assert result.stdout.strip() in ("running", "degraded")
    assert nested_lab.run(["cat", "/proc/1/comm"]).stdout.strip() == "systemd"


def test_machinectl_in_the_outer_shows_the_inner(nested_lab: labkit.NestedLab) -> None:
    listed = nested_lab.run(["machinectl", "list", "--no-legend"]).stdout
    assert INNER_RUNNING in listed
    assert INNER_STOPPED not in listed
    images = nested_lab.run(["machinectl", "list-images", "--no-legend"]).stdout
    assert INNER_STOPPED in images
    state = nested_lab.run(
        ["systemctl", "show", "-p", "ActiveState", f"systemd-nspawn@{INNER_RUNNING}.service"]
    )
    assert state.stdout.strip() == "ActiveState=active"


def test_project_venv_python_runs_inside_the_outer(nested_lab: labkit.NestedLab) -> None:
    code = (
        "import json, os, nspawn_tui, pyroute2, dbus_next, psutil; "
        "print(json.dumps([nspawn_tui.__file__, os.environ.get('DBUS_SYSTEM_BUS_ADDRESS'), "
        "open('/proc/1/comm').read().strip()]))"
    )
    result = nested_lab.run(nested_lab.python_argv(["-c", code]), cwd="/")
    assert result.returncode == 0, result.stderr
    module_file, bus, pid1 = json.loads(result.stdout)
    assert module_file.startswith(str(labkit.nested.project_dir()))
    assert bus is None  # programs inside use the outer's own system bus
    assert pid1 == "systemd"


def test_outer_bus_is_reachable_from_the_vm(nested_lab: labkit.NestedLab) -> None:
    names = labkit.busctl.Busctl(nested_lab.bus_address_from_vm).require_machines()
    assert INNER_RUNNING in names


def test_start_and_stop_an_inner_container(nested_lab: labkit.NestedLab) -> None:
    nested_lab.start_inner(INNER_STOPPED)
    try:
        assert nested_lab.inner_state(INNER_STOPPED) == "running"
        assert nested_lab.unit_state(INNER_STOPPED) == "active"
    finally:
        nested_lab.stop_inner(INNER_STOPPED)
    assert nested_lab.inner_state(INNER_STOPPED) is None
    assert nested_lab.unit_state(INNER_STOPPED) in ("inactive", "failed")


INSIDE_TEST = """
from __future__ import annotations

import asyncio
import os

from dbus_next.aio import MessageBus
from dbus_next.constants import BusType


def test_outer_machined_seen_from_inside() -> None:
    assert "DBUS_SYSTEM_BUS_ADDRESS" not in os.environ

    async def machines() -> list[str]:
        bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
        try:
            intro = await bus.introspect("org.freedesktop.machine1", "/org/freedesktop/machine1")
            proxy = bus.get_proxy_object("org.freedesktop.machine1", "/org/freedesktop/machine1", intro)
            manager = proxy.get_interface("org.freedesktop.machine1.Manager")
            return [entry[0] for entry in await manager.call_list_machines()]
        finally:
            bus.disconnect()

    assert "INNER" in asyncio.run(machines())
"""


def test_pytest_runs_inside_the_outer(nested_lab: labkit.NestedLab) -> None:
    source = INSIDE_TEST.replace("INNER", INNER_RUNNING)
    assert nested_lab.run(["tee", "/tmp/test_inside.py"], input=source).returncode == 0
    result = nested_lab.run(
        nested_lab.pytest_argv(["-q", "--rootdir=/tmp", "/tmp/test_inside.py"]),
        env={"PYTHONDONTWRITEBYTECODE": "1"},
        cwd="/tmp",
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
