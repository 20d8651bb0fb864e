"""The bus over ``ssh HOST systemd-stdio-bridge``: connection, ssh's words on failure, no ssh left.

The ssh client is a stand-in script (``SshTarget(ssh=...)``): it records its
arguments and what its stdin is, then fails as ssh would, hangs, or runs the
rest of its command line as a local shell line.  The success path runs the
real ``systemd-stdio-bridge`` against a private ``dbus-daemon`` (skipped when
either is missing), so dbus-next's authentication through the bridge is the
real one.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nspawn_tui.host.base import HostUnavailable
from nspawn_tui.host.machined import bus as du
from nspawn_tui.remote.target import SshTarget
from nspawn_tui.remote.transport import SshBusTransport

RECORD = """\
#!/bin/sh
echo $$ > "{dir}/pid"
printf '%s\\n' "$@" > "{dir}/argv"
fd0=$(readlink /proc/$$/fd/0); fd1=$(readlink /proc/$$/fd/1)
echo "$fd0" > "{dir}/stdin"; echo "$fd1" > "{dir}/stdout"
"""

#: Runs the words after ``-- DEST`` as a local shell line, the bridge on the test's bus.
PASS_THROUGH = """\
while [ $# -gt 0 ]; do
  if [ "$1" = "--" ]; then shift; break; fi
  shift
done
shift
exec bash -c 'systemd-stdio-bridge() { exec systemd-stdio-bridge -p "$TEST_BUS" "$@"; }; '"$*"
"""


def stand_in(tmp_path: Path, body: str) -> SshTarget:
    script = tmp_path / "ssh"
    script.write_text(RECORD.format(dir=tmp_path) + body)
    script.chmod(0o755)
    return SshTarget(host="web1", user="root", port=2222, ssh=str(script))


def ssh_pid(tmp_path: Path) -> int:
    return int((tmp_path / "pid").read_text())


def gone(pid: int) -> bool:
    """True when ``pid`` no longer exists (a zombie counts as still there: not reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def wait_gone(pid: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if gone(pid):
            return True
        await asyncio.sleep(0.02)
    return gone(pid)


def test_description_names_the_destination() -> None:
    assert SshBusTransport(SshTarget(host="web1", user="root", port=2222)).description == (
        "ssh root@web1:2222"
    )
    assert SshBusTransport(SshTarget(host="web1", label="w")).description == "ssh web1"


async def test_auth_failure_is_ssh_words_and_no_ssh_is_left(tmp_path: Path) -> None:
    target = stand_in(tmp_path, 'echo "Permission denied (publickey)." >&2\nexit 255\n')
    transport = SshBusTransport(target)
    with pytest.raises(HostUnavailable) as caught:
        await transport.connect()
    assert str(caught.value) == (
        "root@web1:2222: authentication failed (Permission denied (publickey).)"
    )
    assert transport.last_error == "authentication failed (Permission denied (publickey).)"
    assert transport.pids == []
    assert gone(ssh_pid(tmp_path))
    argv = (tmp_path / "argv").read_text().splitlines()
    assert argv[:2] == ["-x", "-T"]
    assert "BatchMode=yes" in argv
    assert argv[-3:] == ["--", "root@web1", "systemd-stdio-bridge"]
    # stdin and stdout are one socket (the other end is the bus), never a pipe or a tty
    stdin = (tmp_path / "stdin").read_text().strip()
    assert stdin.startswith("socket:[") and stdin == (tmp_path / "stdout").read_text().strip()


async def test_missing_bridge_is_named(tmp_path: Path) -> None:
    body = 'echo "bash: line 1: systemd-stdio-bridge: command not found" >&2\nexit 127\n'
    transport = SshBusTransport(stand_in(tmp_path, body))
    with pytest.raises(HostUnavailable, match="systemd-stdio-bridge not found on root@web1:2222"):
        await transport.connect()


async def test_a_hanging_ssh_times_out_and_is_killed(tmp_path: Path) -> None:
    # ssh that connects nowhere and says so on stderr, but never exits
    body = 'echo "ssh: connect to host web1 port 2222: Connection timed out" >&2\nexec sleep 60\n'
    transport = SshBusTransport(stand_in(tmp_path, body), timeout=0.5)
    started = time.monotonic()
    with pytest.raises(HostUnavailable, match=r"timed out after 0.5s: timed out \(ssh: connect"):
        await transport.connect()
    assert time.monotonic() - started < 4.0
    assert await wait_gone(ssh_pid(tmp_path), 0.1)  # killed and reaped before connect returned
    assert transport.pids == []


async def test_an_ssh_ignoring_sigterm_is_killed(tmp_path: Path) -> None:
    body = "trap '' TERM\nwhile :; do sleep 0.05; done\n"
    transport = SshBusTransport(stand_in(tmp_path, body), timeout=0.3)
    with pytest.raises(HostUnavailable, match="timed out after 0.3s"):
        await transport.connect()
    assert gone(ssh_pid(tmp_path))


async def test_garbage_instead_of_a_bus(tmp_path: Path) -> None:
    # Something answers on stdout that is not D-Bus (a login banner), then closes.
    body = 'printf "Welcome to web1\\r\\n"\nexit 0\n'
    transport = SshBusTransport(stand_in(tmp_path, body), timeout=5)
    with pytest.raises(HostUnavailable) as caught:
        await transport.connect()
    assert str(caught.value).startswith("root@web1:2222: the bus handshake failed (")
    assert transport.pids == []


async def test_ssh_not_installed(tmp_path: Path) -> None:
    transport = SshBusTransport(SshTarget(host="web1", ssh=str(tmp_path / "no-ssh")))
    with pytest.raises(HostUnavailable, match="ssh not installed here"):
        await transport.connect()
    assert transport.last_error is not None and "not installed" in transport.last_error


def test_no_socket_directory_is_left(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path / "t"))
    (tmp_path / "t").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    target = stand_in(tmp_path, "exit 255\n")
    with pytest.raises(HostUnavailable):
        asyncio.run(SshBusTransport(target).connect())
    assert list((tmp_path / "t").iterdir()) == []


# ------------------------------------------------------------ through the real bridge

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path={path}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/>
<allow eavesdrop="true"/><allow own="*"/></policy></busconfig>
"""


@pytest.fixture
def private_bus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    daemon = shutil.which("dbus-daemon")
    if daemon is None or shutil.which("systemd-stdio-bridge") is None:
        pytest.skip("needs dbus-daemon and systemd-stdio-bridge")
    path = tmp_path / "bus.sock"
    config = tmp_path / "bus.conf"
    config.write_text(BUS_CONFIG.format(path=path))
    proc = subprocess.Popen([daemon, f"--config-file={config}", "--nofork"])
    try:
        deadline = time.monotonic() + 5
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        address = f"unix:path={path}"
        monkeypatch.setenv("TEST_BUS", address)
        yield address
    finally:
        proc.terminate()
        proc.wait(5)


async def test_a_real_bridge_connects_and_ssh_ends_with_the_bus(
    tmp_path: Path, private_bus: str
) -> None:
    transport = SshBusTransport(stand_in(tmp_path, PASS_THROUGH))
    bus = await transport.connect()
    assert bus.connected and transport.last_error is None
    (names,) = await du.call(bus, du.DBUS, du.DBUS_PATH, du.DBUS, "ListNames")
    assert bus.unique_name in names
    pid = ssh_pid(tmp_path)
    assert transport.pids == [pid]
    bus.disconnect()  # what MachinedHost.close() does
    assert await wait_gone(pid)
    assert await transport.loss_reason(bus) is None  # closed on purpose: nothing to say
    assert transport.pids == []


async def test_ssh_dying_mid_session_disconnects_the_bus_with_a_reason(
    tmp_path: Path, private_bus: str
) -> None:
    transport = SshBusTransport(stand_in(tmp_path, PASS_THROUGH))
    bus = await transport.connect()
    os.kill(ssh_pid(tmp_path), signal.SIGKILL)
    await asyncio.wait_for(asyncio.shield(asyncio.ensure_future(_disconnected(bus))), 5)
    assert await transport.loss_reason(bus) == "connection lost (ssh ended by signal 9)"
    assert transport.last_error == "connection lost (ssh ended by signal 9)"
    # a new connection works and clears the reason
    bus2 = await transport.connect()
    assert bus2.connected and transport.last_error is None
    await transport.close()
    assert await wait_gone(ssh_pid(tmp_path))
    assert transport.pids == []


async def _disconnected(bus: object) -> None:
    while getattr(bus, "connected", False):
        await asyncio.sleep(0.02)


async def test_close_ends_every_ssh(tmp_path: Path, private_bus: str) -> None:
    transport = SshBusTransport(stand_in(tmp_path, PASS_THROUGH))
    await transport.connect()
    first = ssh_pid(tmp_path)
    await transport.connect()
    second = ssh_pid(tmp_path)
    assert sorted(transport.pids) == sorted([first, second])
    await transport.close()
    assert gone(first) and gone(second)
    assert transport.pids == []


# ------------------------------------------------------------ the real OpenSSH client


async def test_real_ssh_to_a_closed_port_says_connection_refused(tmp_path: Path) -> None:
    """The real client takes our command line; its refusal comes back in words.
    Its own config file (``-F``) keeps the user's ~/.ssh/config out."""
    if shutil.which("ssh") is None:
        pytest.skip("needs the OpenSSH client")
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path / "ssh_config"
    config.write_text(
        f"UserKnownHostsFile {tmp_path}/known_hosts\nGlobalKnownHostsFile /dev/null\n"
    )
    target = SshTarget(host="127.0.0.1", port=port, ssh_config=str(config))
    transport = SshBusTransport(target, timeout=10)
    with pytest.raises(HostUnavailable) as caught:
        await transport.connect()
    assert str(caught.value) == (
        f"127.0.0.1:{port}: connection refused "
        f"(ssh: connect to host 127.0.0.1 port {port}: Connection refused)"
    )
    assert transport.pids == []
