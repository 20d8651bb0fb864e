"""``ssh -t HOST machinectl shell USER@NAME`` on a local PTY: names checked, PTY owned, ssh reaped.

The ssh is a stand-in script that says what it was given and whether the PTY
is its controlling terminal, then waits as a shell would: closing the master
(what the app does after the relay) must end it with SIGHUP, and it must be
reaped, not left a zombie.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from nspawn_tui.host.base import HostError
from nspawn_tui.remote.attach import SshShellAttach, check_machine, check_user
from nspawn_tui.remote.target import SshTarget

SCRIPT = """\
#!/bin/sh
echo $$ > "{dir}/pid"
printf '%s\\n' "$@" > "{dir}/argv"
trap 'echo hup > "{dir}/signal"; exit 129' HUP
if (: < /dev/tty) 2>/dev/null; then echo "ctty yes $(tty)"; else echo "ctty no"; fi
stty size
echo ready
while :; do sleep 0.05; done
"""


def stand_in(tmp_path: Path) -> SshTarget:
    script = tmp_path / "ssh"
    script.write_text(SCRIPT.format(dir=tmp_path))
    script.chmod(0o755)
    return SshTarget(host="web1", user="ops", ssh=str(script))


async def read_until(fd: int, marker: bytes, timeout: float = 5.0) -> bytes:
    os.set_blocking(fd, False)
    data = b""
    deadline = time.monotonic() + timeout
    while marker not in data and time.monotonic() < deadline:
        try:
            data += os.read(fd, 4096)
        except BlockingIOError:
            await asyncio.sleep(0.02)
    return data


def state_of(pid: int) -> str | None:
    """The process's state letter ('Z' for a zombie), None once reaped."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    return text.rpartition(")")[2].split()[0]


async def wait_reaped(pid: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if state_of(pid) is None:
            return True
        await asyncio.sleep(0.02)
    return False


async def test_shell_runs_ssh_with_a_tty_on_its_controlling_pty(tmp_path: Path) -> None:
    attach = SshShellAttach(stand_in(tmp_path))
    master = await attach.open_shell("c1", "alice", ["/bin/ls", "-la", "a b"])
    try:
        out = await read_until(master, b"ready")
        assert b"ctty yes /dev/pts/" in out
        argv = (tmp_path / "argv").read_text().splitlines()
        assert argv[:2] == ["-x", "-t"] and "-T" not in argv
        assert "BatchMode=yes" in argv
        # every remote word quoted; '--' keeps a command's options away from machinectl
        assert argv[argv.index("--") + 1 :] == [
            "ops@web1", "machinectl", "shell", "--", "alice@c1", "/bin/ls", "-la", "'a b'",
        ]  # fmt: skip
        pid = int((tmp_path / "pid").read_text())
        assert attach.pids == [pid]
    finally:
        os.close(master)  # what the app does after the relay: a hang-up
    assert await wait_reaped(pid)
    assert (tmp_path / "signal").read_text().strip() == "hup"
    await asyncio.sleep(0)
    assert attach.pids == []


async def test_login_and_default_user(tmp_path: Path) -> None:
    attach = SshShellAttach(stand_in(tmp_path))
    assert attach.shell_argv("c1", "", [])[-3:] == ["shell", "--", "root@c1"]
    master = await attach.open_login("web.example-1")
    try:
        await read_until(master, b"ready")
        argv = (tmp_path / "argv").read_text().splitlines()
        assert argv[-4:] == ["machinectl", "login", "--", "web.example-1"]
    finally:
        os.close(master)
    assert await wait_reaped(int((tmp_path / "pid").read_text()))


async def test_close_hangs_up_every_ssh(tmp_path: Path) -> None:
    attach = SshShellAttach(stand_in(tmp_path))
    master = await attach.open_shell("c1", "root", [])
    try:
        await read_until(master, b"ready")
        pid = int((tmp_path / "pid").read_text())
        await asyncio.wait_for(attach.close(), 5)
        assert state_of(pid) is None
        assert attach.pids == []
    finally:
        os.close(master)


@pytest.mark.parametrize(
    "name", ["", "-c1", "c1;reboot", "c 1", "$(x)", "a/b", "c1\n", "x" * 65, "a..b", "ç1"]
)
async def test_bad_machine_names_run_nothing(tmp_path: Path, name: str) -> None:
    attach = SshShellAttach(stand_in(tmp_path))
    with pytest.raises(HostError):
        await attach.open_shell(name, "root", [])
    with pytest.raises(HostError):
        await attach.open_login(name)
    assert not (tmp_path / "pid").exists()


@pytest.mark.parametrize("user", ["-root", "ro ot", "a;b", "1abc", "x" * 33, "u\x1b", "a@b"])
async def test_bad_user_names_run_nothing(tmp_path: Path, user: str) -> None:
    attach = SshShellAttach(stand_in(tmp_path))
    with pytest.raises(HostError):
        await attach.open_shell("c1", user, [])
    assert not (tmp_path / "pid").exists()


def test_good_names() -> None:
    for name in ("c1", "web-1.example", "A9"):
        check_machine(name)
    for user in ("root", "_apt", "svc-app.1", "host$"):
        check_user(user)


async def test_missing_ssh_is_a_host_error(tmp_path: Path) -> None:
    attach = SshShellAttach(SshTarget(host="web1", ssh=str(tmp_path / "none")))
    fds_before = set(os.listdir("/proc/self/fd"))
    with pytest.raises(HostError, match="ssh not installed here"):
        await attach.open_shell("c1", "root", [])
    assert set(os.listdir("/proc/self/fd")) <= fds_before  # no PTY end left open
