"""The runner with stand-in bootstrappers (scripts in tmp_path): steps, progress, failure, cancel."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest

from nspawn_tui.create.model import CreatePlan, CreateProgress, FirstBoot, NspawnSetup
from nspawn_tui.create.runner import HostOps, LocalCreation, plan_steps
from nspawn_tui.host.base import HostError
from nspawn_tui.units.names import action_command

RECORDED = Path(__file__).with_name("debootstrap-bookworm-minbase.log")
HASH = "$6$saltsalt$" + "A" * 86


def _tool(tmp_path: Path, body: str) -> str:
    path = tmp_path / "fake-debootstrap"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


class Calls:
    def __init__(self) -> None:
        self.done: list[str] = []

    async def enable(self, name: str) -> None:
        self.done.append(f"enable {name}")

    async def disable(self, name: str) -> None:
        self.done.append(f"disable {name}")

    async def start(self, name: str) -> None:
        self.done.append(f"start {name}")
        raise HostError("start refused: no systemd here")

    def ops(self, etc: Path) -> HostOps:
        return HostOps(self.enable, self.start, self.disable, etc_dir=etc)


def _plan(tmp_path: Path, **changes: object) -> CreatePlan:
    machines = tmp_path / "machines"
    machines.mkdir(exist_ok=True)
    values: dict[str, object] = {"name": "new1", "distro": "debian", "release": "bookworm",
                                 "directory": str(machines)}  # fmt: skip
    values.update(changes)
    return CreatePlan(**values)  # type: ignore[arg-type]


async def _run(creation: LocalCreation) -> list[CreateProgress]:
    return [p async for p in creation.updates()]


def test_steps_and_their_shell_equivalents(tmp_path: Path) -> None:
    plan = _plan(tmp_path, variant="minbase", packages=("vim",), mirror="http://m/debian",
                 firstboot=FirstBoot(hostname="h1", root_password_hash=HASH, root_ssh_key="k",
                                     enable_networkd=True), enable=True, start=True)  # fmt: skip
    steps = {s.key: s.command for s in plan_steps(plan, "/usr/sbin/debootstrap", tmp_path)}
    tree = f"{tmp_path}/machines/new1"
    assert list(steps) == ["bootstrap", "firstboot", "ssh-key", "networkd", "settings", "enable",
                           "start"]  # fmt: skip
    assert steps["bootstrap"] == (f"mkdir -m 0755 {tree} && debootstrap --variant=minbase "
                                  f"--include=systemd,dbus,systemd-sysv,vim bookworm {tree} "
                                  "http://m/debian")  # fmt: skip
    assert steps["firstboot"] == (f"systemd-firstboot --root={tree} --force --hostname=h1 "
                                  "--root-password-hashed='$6$...'")  # fmt: skip
    assert HASH not in "".join(steps.values())
    assert steps["networkd"] == f"systemctl --root={tree} enable systemd-networkd"
    assert steps["settings"].startswith(f"cat > {tmp_path}/new1.nspawn <<'EOF'\n")
    assert steps["enable"] == action_command("enable", ["new1"])
    assert steps["start"] == "machinectl start new1"


async def test_a_bootstrap_with_recorded_output_then_the_later_steps(tmp_path: Path) -> None:
    # argv: --include REL DIR; a line at a time, as debootstrap writes them
    tool = _tool(
        tmp_path,
        f'mkdir -p "$3/etc"\n'
        f'while IFS= read -r line; do echo "$line"; sleep 0.002; done < {RECORDED}\n',
    )
    calls = Calls()
    plan = _plan(tmp_path, firstboot=FirstBoot(hostname="h1", root_password_hash=HASH,
                                               root_ssh_key="ssh-ed25519 AAAA k"),
                 nspawn=NspawnSetup(network="host"), enable=True)  # fmt: skip
    creation = LocalCreation(plan, calls.ops(tmp_path / "etc"), tool)
    readings = await _run(creation)
    last = readings[-1]
    assert last.finished and not last.error, last
    assert [s.state for s in last.steps] == ["done"] * 5
    stages = {r.stage for r in readings}
    assert {"Retrieving", "Validating", "Extracting", "Unpacking", "Configuring"} <= stages
    assert last.fraction == 1.0
    assert "I: Base system installed successfully." in last.log_tail
    tree = Path(plan.tree)
    assert (tree / "etc/hostname").read_text().strip() == "h1"  # the real systemd-firstboot
    assert (tree / "etc/shadow").read_text().startswith(f"root:{HASH}:")
    keys = tree / "root/.ssh/authorized_keys"
    assert keys.read_text() == "ssh-ed25519 AAAA k\n"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys.parent.stat().st_mode) == 0o700
    assert "VirtualEthernet=no" in (tmp_path / "etc/new1.nspawn").read_text()
    assert calls.done == ["enable new1"]


async def test_a_failed_step_says_its_tail_and_leaves_nothing(tmp_path: Path) -> None:
    tool = _tool(tmp_path, 'mkdir -p "$3/usr/bin"; echo "I: Retrieving libc6 2.36"\n'
                 'echo "E: Couldn\'t download packages: libc6"; exit 1\n')  # fmt: skip
    plan = _plan(tmp_path)
    creation = LocalCreation(plan, Calls().ops(tmp_path / "etc"), tool)
    last = (await _run(creation))[-1]
    assert last.error == "fake-debootstrap failed with exit status 1"
    assert last.log_tail[-1] == "E: Couldn't download packages: libc6"
    assert [s.state for s in last.steps][:1] == ["failed"]
    assert not Path(plan.tree).exists()
    assert os.listdir(tmp_path / "machines") == []


async def test_a_later_failure_undoes_the_settings_the_enable_and_the_tree(tmp_path: Path) -> None:
    tool = _tool(tmp_path, f"cat {RECORDED}\n")
    calls = Calls()
    plan = _plan(tmp_path, enable=True, start=True)
    last = (await _run(LocalCreation(plan, calls.ops(tmp_path / "etc"), tool)))[-1]
    assert "start refused: no systemd here" in last.error
    assert calls.done == ["enable new1", "start new1", "disable new1"]
    assert not (tmp_path / "etc/new1.nspawn").exists()
    assert not Path(plan.tree).exists()
    assert [s.state for s in last.steps] == ["done", "done", "done", "failed"]


async def test_cancel_ends_the_whole_process_group_and_removes_the_tree(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    # a child that ignores SIGTERM: only the group's SIGKILL ends it
    tool = _tool(tmp_path, f'mkdir -p "$3/var/cache"; echo "I: Retrieving libc6 2.36"\n'
                 f"sh -c 'trap \"\" TERM; echo $$ > {pids}; while :; do sleep 0.05; done' &\n"
                 "wait\n")  # fmt: skip
    plan = _plan(tmp_path)
    creation = LocalCreation(plan, Calls().ops(tmp_path / "etc"), tool)
    async for progress in creation.updates():
        if progress.stage == "Retrieving" and pids.exists() and pids.read_text().strip():
            break
    child = int(pids.read_text())
    await asyncio.wait_for(creation.cancel(), 15)
    last = [p async for p in creation.updates()][-1]
    assert last.error == "cancelled: new1 was not created"
    assert last.steps[0].state == "cancelled"
    assert not Path(plan.tree).exists()
    with pytest.raises(ProcessLookupError):
        for _ in range(100):
            os.kill(child, 0)
            await asyncio.sleep(0.02)


async def test_removal_refuses_a_tree_this_run_did_not_make(tmp_path: Path) -> None:
    from nspawn_tui.create.remove import RemoveError, make_tree, remove_tree

    (tmp_path / "machines").mkdir()
    made = make_tree(str(tmp_path / "machines/x"), str(tmp_path / "machines"))
    os.mkdir(tmp_path / "other")
    os.rmdir(made.tree)
    os.rename(tmp_path / "other", made.tree)  # another directory now stands there
    (Path(made.tree) / "keep").write_text("mine")
    with pytest.raises(RemoveError, match="not the directory this run created"):
        remove_tree(made)
    assert (Path(made.tree) / "keep").exists()
    os.rename(made.tree, tmp_path / "elsewhere")
    os.symlink(tmp_path / "elsewhere", made.tree)  # a link in its place is never followed
    with pytest.raises(RemoveError):
        remove_tree(made)
    assert (tmp_path / "elsewhere/keep").exists()


async def test_a_huge_line_is_cut_not_fatal(tmp_path: Path) -> None:
    tool = _tool(tmp_path, "head -c 3000000 /dev/zero | tr '\\0' a; echo\n"
                 "printf 'W: \\033[31mred\\n'; echo 'I: Base system installed successfully.'\n")  # fmt: skip
    plan = _plan(tmp_path)
    last = (await _run(LocalCreation(plan, Calls().ops(tmp_path / "etc"), tool)))[-1]
    assert last.finished, last.error
    assert all(len(line) <= 400 for line in last.log_tail)
    assert last.log_tail[-2] == "W: ^[[31mred"  # cleaned
