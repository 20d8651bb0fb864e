"""A remote host through the real ``systemd-stdio-bridge`` (flat lab), with a stand-in ``ssh``.

The stand-in ``ssh`` (a script, first in PATH or ``SshTarget(ssh=...)``)
skips ssh's options up to ``--``, drops the destination, and runs the rest
as a local shell line, with ``systemd-stdio-bridge`` pointed at the flat
lab's bus: so the bus, the journal (``journalctl -M``) and the reader shell
all go through the same command lines a real ssh would carry, to the lab's
real machined.  A flag file makes it fail as ssh does when sshd is down.
The real-ssh tests (sshd into the nested lab) are ``test_lab_remote_ssh.py``.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import labkit
import pytest

from nspawn_tui.host.base import EventKind, HostEvent
from nspawn_tui.journal.sources import LogBatch, LogOptions, SourceStatus
from nspawn_tui.remote.attach import SshShellAttach
from nspawn_tui.remote.host import RemoteMachinedHost, remote_host
from nspawn_tui.remote.target import SshTarget

STAND_IN = """\
#!/bin/bash
echo "$$ $*" >> {dir}/calls
while [ $# -gt 0 ]; do
  if [ "$1" = "--" ]; then shift; break; fi
  shift
done
shift
if [ -e {dir}/down ]; then
  echo "ssh: connect to host web1 port 22: Connection refused" >&2
  exit 255
fi
export DBUS_SYSTEM_BUS_ADDRESS={bus}
if [ "$*" = systemd-stdio-bridge ]; then
  exec /usr/bin/systemd-stdio-bridge -p "$DBUS_SYSTEM_BUS_ADDRESS"
fi
exec bash -c "$*"
"""


@dataclass
class StandIn:
    directory: Path
    target: SshTarget

    @property
    def bin(self) -> Path:
        return self.directory / "bin"

    def calls(self) -> list[tuple[int, str]]:
        path = self.directory / "calls"
        if not path.exists():
            return []
        found = []
        for line in path.read_text().splitlines():
            pid, _, argv = line.partition(" ")
            found.append((int(pid), argv))
        return found

    def bridge_pids(self) -> list[int]:
        """Live stand-ins that became the bridge (the stand-in execs into it)."""
        return [
            pid
            for pid, argv in self.calls()
            if argv.endswith("systemd-stdio-bridge") and alive(pid)
        ]

    def set_down(self, down: bool) -> None:
        flag = self.directory / "down"
        if down:
            flag.touch()
        else:
            flag.unlink(missing_ok=True)

    async def assert_none_left(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            left = [(pid, argv) for pid, argv in self.calls() if alive(pid)]
            if not left:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"ssh stand-ins left running: {left}")


def alive(pid: int) -> bool:
    """Running and not a zombie (a zombie is an unreaped child: counted as left)."""
    return os.path.exists(f"/proc/{pid}")


@pytest.fixture
def stand_in(tmp_path: Path, flat_lab: labkit.FlatLab) -> StandIn:
    (tmp_path / "bin").mkdir()
    script = tmp_path / "bin" / "ssh"
    script.write_text(STAND_IN.format(dir=tmp_path, bus=flat_lab.bus_address))
    script.chmod(0o755)
    return StandIn(tmp_path, SshTarget(host="web1", user="root", ssh=str(script)))


@pytest.fixture
async def host(stand_in: StandIn) -> AsyncIterator[RemoteMachinedHost]:
    remote = remote_host(stand_in.target)
    assert isinstance(remote, RemoteMachinedHost)
    try:
        yield remote
    finally:
        await remote.close()
        await stand_in.assert_none_left()


async def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")


async def test_machines_through_the_bridge(host: RemoteMachinedHost, stand_in: StandIn) -> None:
    await host.connect()
    snapshot = await host.snapshot()
    assert snapshot.connected, snapshot.error
    machines = {m.name: m for m in snapshot.machines}
    alpha = machines["ntl-alpha"]
    assert alpha.state == "running" and "Debian" in alpha.os
    assert alpha.unit == "systemd-nspawn@ntl-alpha.service"
    image = machines["ntl-image"]
    assert image.state == "stopped" and "Debian" in image.os
    assert host.label == "root@web1"
    # one bridge, through the stand-in: the bus went over its stdin/stdout
    assert len(stand_in.bridge_pids()) == 1
    details = await host.machine_details("ntl-alpha")
    assert details.os_release.get("ID") == "debian"


async def test_journal_through_the_prefix(host: RemoteMachinedHost, stand_in: StandIn) -> None:
    records = []
    errors = []
    stream = host.follow_logs(["ntl-alpha"], LogOptions(lines=20, follow=False))
    try:
        async with asyncio.timeout(30):
            async for event in stream:  # the stream stays open: stop at the first records
                if isinstance(event, LogBatch):
                    records.extend(event.records)
                elif isinstance(event, SourceStatus) and event.state == "error":
                    errors.append(event.message)
                if records or errors:
                    break
    finally:
        await stream.aclose()
    assert not errors
    assert records and all(r.machine == "ntl-alpha" for r in records)
    journal_calls = [argv for _pid, argv in stand_in.calls() if "journalctl" in argv]
    assert journal_calls and all(" -- root@web1 journalctl " in argv for argv in journal_calls)


async def test_ssh_lost_mid_session_then_back(host: RemoteMachinedHost, stand_in: StandIn) -> None:
    events: list[HostEvent] = []

    async def listen() -> None:
        async for event in host.hub.subscribe():
            events.append(event)

    listener = asyncio.create_task(listen())
    try:
        await host.connect()
        assert (await host.snapshot()).connected
        (bridge,) = stand_in.bridge_pids()
        stand_in.set_down(True)  # as if sshd were stopped: a reconnect is refused
        os.kill(bridge, signal.SIGKILL)
        await _wait(
            lambda: any(e.kind is EventKind.DISCONNECTED for e in events), 10, "DISCONNECTED"
        )
        lost = next(e for e in events if e.kind is EventKind.DISCONNECTED)
        assert lost.message == (
            "the connection to root@web1 was lost: connection lost (ssh ended by signal 9)"
        )
        down = await host.snapshot()
        assert not down.connected
        assert down.error is not None and "connection refused (ssh: connect to host web1" in (
            down.error
        )
        assert {m.name for m in down.machines} >= {"ntl-alpha", "ntl-image"}  # last known kept
        stand_in.set_down(False)
        back = await host.snapshot()
        assert back.connected, back.error
        assert "ntl-alpha" in {m.name for m in back.machines}
        assert len(stand_in.bridge_pids()) == 1
    finally:
        listener.cancel()


def test_cli_list_json_through_ssh_in_path(stand_in: StandIn, flat_lab: labkit.FlatLab) -> None:
    env = {**os.environ, "PATH": f"{stand_in.bin}:{os.environ['PATH']}"}
    env.pop("DBUS_SYSTEM_BUS_ADDRESS", None)  # the stand-in knows the lab's bus itself
    env["XDG_CONFIG_HOME"] = str(stand_in.directory / "config")
    env["HOME"] = str(stand_in.directory)
    done = subprocess.run(
        [sys.executable, "-m", "nspawn_tui", "--host", "fake@web1", "list", "--json"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    assert rows["ntl-alpha"]["state"] == "running"
    assert rows["ntl-image"]["state"] == "stopped"
    assert any("fake@web1" in argv for _pid, argv in stand_in.calls())
    left = [(pid, argv) for pid, argv in stand_in.calls() if alive(pid)]
    assert left == []


async def read_pty(master: int, until: bytes | None = None, timeout: float = 10) -> bytes:
    """What the PTY says until its end (EIO), ``until`` shows up, or the timeout."""
    output = b""
    os.set_blocking(master, False)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not (until and until in output):
        try:
            chunk = os.read(master, 4096)
        except BlockingIOError:
            await asyncio.sleep(0.05)
            continue
        except OSError:  # EIO: the slave side is closed, the ssh ended
            break
        if not chunk:
            break
        output += chunk
    return output


async def test_shell_attach_runs_machinectl_there(stand_in: StandIn) -> None:
    """machinectl needs systemd as PID 1, absent on the flat lab: it says so on the PTY
    and ends; the PTY ends with it and the ssh is reaped."""
    attach = SshShellAttach(stand_in.target)
    master = await attach.open_shell("ntl-alpha", "root", [])
    try:
        output = await read_pty(master)
    finally:
        os.close(master)
    assert b"System has not been booted with systemd" in output
    calls = [argv for _pid, argv in stand_in.calls()]
    assert calls[-1].endswith("-- root@web1 machinectl shell -- root@ntl-alpha")
    assert calls[-1].startswith("-x -t ")
    await _wait(lambda: attach.pids == [], 5, "the ssh to be reaped")
    await stand_in.assert_none_left()


async def test_closing_the_pty_hangs_up_a_shell_that_stays(
    stand_in: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = stand_in.directory / "fakebin"
    fake.mkdir()
    (fake / "machinectl").write_text('#!/bin/sh\necho staying "$@"\nexec sleep 60\n')
    (fake / "machinectl").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{os.environ['PATH']}")
    attach = SshShellAttach(stand_in.target)
    master = await attach.open_login("ntl-alpha")
    try:
        assert b"staying login -- ntl-alpha" in await read_pty(master, until=b"ntl-alpha")
        assert len(attach.pids) == 1
    finally:
        os.close(master)  # what the app does when the relay returns
    await _wait(lambda: attach.pids == [], 5, "the ssh to end on SIGHUP and be reaped")
    await stand_in.assert_none_left()
