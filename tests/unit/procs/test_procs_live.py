"""The psutil probe and the signal guard on this machine's real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from nspawn_tui.procs.kill import NotInCgroup, send_signal
from nspawn_tui.procs.reader import probe


def test_probe_reads_this_process() -> None:
    me = probe(os.getpid())
    assert me is not None
    assert me.pid == os.getpid() and me.ppid == os.getppid()
    assert me.ns_pid is not None and me.ns_pid > 0
    assert me.rss is not None and me.rss > 1 << 20
    assert me.cpu_seconds is not None and me.started_at is not None
    assert me.threads is not None and me.threads >= 1
    assert "python" in me.command or "pytest" in me.command
    assert me.state in {"running", "sleeping", "disk-sleep"}


def test_probe_of_a_gone_process_is_none() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert probe(child.pid) is None


def test_a_zombie_keeps_its_state_and_a_name() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        for _ in range(200):  # until it has exited but is not reaped
            zombie = probe(child.pid)
            if zombie is not None and zombie.state == "zombie":
                break
            os.sched_yield()
            subprocess.run(["true"], check=True)
        assert zombie is not None and zombie.state == "zombie"
        assert zombie.command.startswith("[")  # no command line left
    finally:
        child.wait()


def _procs_dir(tmp_path: Path, pids: list[int]) -> str:
    (tmp_path / "cgroup.procs").write_text("".join(f"{pid}\n" for pid in pids))
    return str(tmp_path)


def test_send_signal_only_to_a_process_in_the_cgroup(tmp_path: Path) -> None:
    child = subprocess.Popen(["sleep", "30"])
    try:
        with pytest.raises(NotInCgroup):
            send_signal(_procs_dir(tmp_path, [os.getpid()]), child.pid, signal.SIGTERM)
        assert child.poll() is None  # untouched
        send_signal(_procs_dir(tmp_path, [child.pid]), child.pid, signal.SIGTERM)
        assert child.wait(timeout=10) == -signal.SIGTERM
        with pytest.raises(ProcessLookupError):
            send_signal(_procs_dir(tmp_path, [child.pid]), child.pid, signal.SIGTERM)
    finally:
        child.kill()
        child.wait()


@pytest.mark.parametrize(("pid", "signum"), [(0, 15), (-1, 15), (1, 0), (1, 4096)])
def test_send_signal_refuses_what_is_not_a_process_or_signal(
    tmp_path: Path, pid: int, signum: int
) -> None:
    with pytest.raises(ValueError):
        send_signal(_procs_dir(tmp_path, [pid]), pid, signum)
