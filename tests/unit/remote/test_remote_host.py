"""The remote host: the machined host with ssh seams, refusing what would read this machine.

A stand-in ``ssh`` (``SshTarget(ssh=...)``) either fails as ssh would or
runs the words after ``-- DEST`` as a local shell line, so the journal
prefix's quoting is checked by a real shell taking it apart again.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from nspawn_tui.host.base import HostError, Machine, ReadOnlyError
from nspawn_tui.host.network import UNAVAILABLE
from nspawn_tui.remote.host import NOT_REMOTE, RemoteMachinedHost, remote_host
from nspawn_tui.remote.target import SshTarget

PASS_THROUGH = """\
#!/bin/sh
echo $$ >> "{dir}/pids"
while [ $# -gt 0 ]; do
  if [ "$1" = "--" ]; then shift; break; fi
  shift
done
shift
if [ -e "{dir}/down" ]; then
  echo "ssh: connect to host web1 port 2222: Connection refused" >&2
  exit 255
fi
exec sh -c "$*"
"""


def stand_in(tmp_path: Path) -> SshTarget:
    script = tmp_path / "ssh"
    script.write_text(PASS_THROUGH.format(dir=tmp_path))
    script.chmod(0o755)
    return SshTarget(host="web1", user="root", port=2222, ssh=str(script))


def host_at(tmp_path: Path, *, read_only: bool = False) -> RemoteMachinedHost:
    host = remote_host(stand_in(tmp_path), read_only=read_only)
    assert isinstance(host, RemoteMachinedHost)
    return host


def test_seams_name_the_host(tmp_path: Path) -> None:
    host = host_at(tmp_path)
    assert host.label == "root@web1:2222"
    assert host.description == "machined on ssh root@web1:2222"
    assert host.bus_address is None  # the remote journalctl uses that host's own bus
    argv = host.command_prefix.wrap(["journalctl", "-M", "c1"])
    assert argv[: argv.index("--") + 2] == host.target.ssh_argv([])
    assert argv[-3:] == ["journalctl", "-M", "c1"]
    assert "-T" in argv and "-t" not in argv


async def test_journal_words_survive_the_remote_shell(tmp_path: Path) -> None:
    host = host_at(tmp_path)
    words = ["printf", "[%s]\\n", "s=1;i=2", "a b", "$(touch pwned)", "'", "*"]
    proc = await asyncio.create_subprocess_exec(
        *host.command_prefix.wrap(words), stdout=asyncio.subprocess.PIPE, cwd=tmp_path
    )
    out, _ = await proc.communicate()
    assert out.decode().splitlines() == ["[s=1;i=2]", "[a b]", "[$(touch pwned)]", "[']", "[*]"]
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    ("call", "what"),
    [
        (lambda h: h.processes("c1"), "processes of c1"),
        (lambda h: h.signal_process("c1", 42, 15), "signals to processes of c1"),
        (lambda h: h.import_image("/tmp/x.tar", "img", "tar"), "importing /tmp/x.tar as img"),
        (lambda h: h.export_image("img", "/tmp/y.tar", "tar"), "exporting img to /tmp/y.tar"),
        (lambda h: h.read_settings("c1"), ".nspawn settings of c1"),
        (lambda h: h.write_settings("c1", "[Exec]\n"), ".nspawn settings of c1"),
    ],
)  # fmt: skip
async def test_what_would_read_this_machine_is_refused(
    tmp_path: Path, call: Callable[[RemoteMachinedHost], Awaitable[object]], what: str
) -> None:
    host = host_at(tmp_path)
    with pytest.raises(HostError) as caught:
        await call(host)
    assert not isinstance(caught.value, ReadOnlyError)
    assert str(caught.value) == f"{what} on root@web1:2222: {NOT_REMOTE}"
    assert not (tmp_path / "pids").exists()  # refused before any ssh ran


async def test_read_only_refuses_first(tmp_path: Path) -> None:
    host = host_at(tmp_path, read_only=True)
    with pytest.raises(ReadOnlyError):
        await host.import_image("/tmp/x.tar", "img", "tar")
    assert host.refusal("open_shell") is not None


async def test_network_is_unavailable_without_reading_local_files(tmp_path: Path) -> None:
    host = host_at(tmp_path)
    host._last_machines = (Machine(name="c1", root_directory="/var/lib/machines/c1"),)
    info = await host.network("c1")
    assert info.mode == UNAVAILABLE
    assert info.port_forwards == ()
    assert info.reason is not None and "local host" in info.reason


async def test_unreachable_host_snapshot_has_ssh_words_and_leaves_no_ssh(tmp_path: Path) -> None:
    (tmp_path / "down").touch()
    host = host_at(tmp_path)
    snapshot = await asyncio.wait_for(host.snapshot(), 20)
    assert snapshot.connected is False
    assert snapshot.error is not None
    assert "connection refused (ssh: connect to host web1 port 2222: Connection refused)" in (
        snapshot.error
    )
    await host.close()
    for pid in map(int, (tmp_path / "pids").read_text().split()):
        deadline = time.monotonic() + 5
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert not Path(f"/proc/{pid}").exists(), f"ssh {pid} left behind"
    assert host.ssh_transport.pids == [] and host.attach.pids == []


def test_no_ssh_runs_before_the_first_use(tmp_path: Path) -> None:
    host_at(tmp_path)
    assert not (tmp_path / "pids").exists()
    assert os.path.exists(tmp_path / "ssh")
