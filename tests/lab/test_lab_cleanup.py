"""The lab leaves nothing behind: a failing test, ^C, or a killed session
(whose leftovers the next session sweeps at its start)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import labkit
import pytest
from labkit import cgroups
from labkit.common import MACHINES_DIR, STATE_ROOT, pid_alive

PREFIX = "ntlc-"  # not the main session's prefix: the two run side by side
LAB_DIR = Path(__file__).resolve().parent

CHILD_TESTS = f'''
from __future__ import annotations
import json, os, time
from pathlib import Path
import pytest
import labkit

@pytest.fixture(scope="session")
def lab():
    lab = labkit.FlatLab({PREFIX!r}).start()
    try:
        yield lab
    finally:
        lab.close()

def test_boot_then_fail(lab):
    container = lab.boot("{PREFIX}a")
    with lab.burn_cpu("{PREFIX}a") as burner:
        pids = [container.leader, container.nspawn_pid, burner, lab._machined.pid, lab._dbus.pid]
        Path(os.environ["NTL_CHILD_OUT"]).write_text(json.dumps(pids))
        if os.environ["NTL_CHILD_MODE"] == "hang":
            time.sleep(300)
        assert False, "deliberate failure"
'''


@pytest.fixture
def child(
    tmp_path: Path, lab_host: labkit.FlatLab
) -> Iterator[tuple[list[str], Path, dict[str, str]]]:
    """argv, output file and environment of a child pytest session using labkit."""
    (tmp_path / "test_child.py").write_text(CHILD_TESTS)
    out = tmp_path / "pids.json"
    env = {**os.environ, "PYTHONPATH": str(LAB_DIR), "NTL_CHILD_OUT": str(out)}
    env.pop("DBUS_SYSTEM_BUS_ADDRESS", None)
    argv = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "test_child.py"]
    try:
        yield argv, out, env
    finally:
        labkit.sweep(PREFIX)  # whatever happened, do not leave it to the next run


def wait_for_file(path: Path, proc: subprocess.Popen[str], timeout: float = 120) -> list[int]:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"child exited early:\n{proc.communicate()[0]}")
        assert time.monotonic() < deadline, "child lab did not boot"
        time.sleep(0.1)
    time.sleep(0.1)  # the file is written in one go; let it land
    pids: list[int] = json.loads(path.read_text())
    return pids


def leftovers(pids: list[int]) -> list[str]:
    """Everything of a ``ntlc-`` session still present on the VM."""
    found = [f"process {pid} alive" for pid in pids if pid_alive(pid)]
    found += [f"tagged process {pid}" for pid in labkit.tagged_pids(PREFIX)]
    ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True, check=True)
    found += [f"ps: {line}" for line in ps.stdout.splitlines() if PREFIX in line]
    mountinfo = Path("/proc/self/mountinfo").read_text()
    found += [f"mount: {line}" for line in mountinfo.splitlines() if PREFIX in line]
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True)
    found += [f"link: {line}" for line in links.stdout.splitlines() if f"ve-{PREFIX}" in line]
    for hierarchy in cgroups.hierarchies():
        for path in hierarchy.mount_point.glob(f"**/*{PREFIX}*"):
            found.append(f"cgroup: {path}")
    for directory in (MACHINES_DIR, Path("/run/systemd/machines"), STATE_ROOT):
        found += [f"file: {path}" for path in directory.glob(f"*{PREFIX}*")]
    found += [f"state: {path}" for path in (STATE_ROOT / PREFIX,) if path.exists()]
    return found


def test_failing_test_leaves_nothing_behind(
    child: tuple[list[str], Path, dict[str, str]], tmp_path: Path
) -> None:
    argv, out, env = child
    result = subprocess.run(
        argv,
        cwd=tmp_path,
        env={**env, "NTL_CHILD_MODE": "fail"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "deliberate failure" in result.stdout
    pids = json.loads(out.read_text())
    assert leftovers(pids) == []


def test_interrupted_session_leaves_nothing_behind(
    child: tuple[list[str], Path, dict[str, str]], tmp_path: Path
) -> None:
    argv, out, env = child
    proc = subprocess.Popen(
        argv,
        cwd=tmp_path,
        env={**env, "NTL_CHILD_MODE": "hang"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        pids = wait_for_file(out, proc)
        assert all(pid_alive(pid) for pid in pids)
        proc.send_signal(signal.SIGINT)  # as ^C in a terminal would
        output, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 2, output  # pytest's "interrupted"
    assert leftovers(pids) == []


def test_next_session_sweeps_what_a_killed_one_left(
    child: tuple[list[str], Path, dict[str, str]], tmp_path: Path
) -> None:
    argv, out, env = child
    proc = subprocess.Popen(
        argv,
        cwd=tmp_path,
        env={**env, "NTL_CHILD_MODE": "hang"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        pids = wait_for_file(out, proc)
    finally:
        proc.kill()  # no teardown at all
        proc.wait()
    assert leftovers(pids) != []  # the container, machined and the bus survive SIGKILL
    session = labkit.FlatLab(PREFIX).start()  # a new session sweeps first
    try:
        assert [pid for pid in pids if pid_alive(pid)] == []
        assert cgroups.unit_dirs(f"{PREFIX}*") == []
        assert list(MACHINES_DIR.glob(f"{PREFIX}*")) == []
    finally:
        session.close()
    assert leftovers(pids) == []
