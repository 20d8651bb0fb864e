"""Finding and removing everything a lab session (or a crashed one) left behind.

A session is identified by its name prefix (``ntl-`` by default). It holds
an exclusive lock for its prefix while it runs, so that when a new session
gets the lock, whatever still carries the prefix is a leftover and
:func:`sweep` may remove it: processes tagged with ``NTL_LAB_TAG=<prefix>``
in their environment, processes in ``machine.slice/systemd-nspawn@<prefix>*``
cgroups (every hierarchy), those cgroup directories, veth links, machined's
state files, image directories and the session's state directory.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import time
from pathlib import Path
from typing import IO

from . import cgroups
from .common import MACHINES_DIR, STATE_ROOT, TAG_VAR, LabError, pid_alive, remove_dir, run

MACHINED_STATE = Path("/run/systemd/machines")
NSPAWN_STATE = Path("/run/systemd/nspawn")


def tagged_pids(prefix: str) -> set[int]:
    """Processes whose environment carries this session's tag (not ourselves)."""
    needle = f"{TAG_VAR}={prefix}".encode()
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if needle in environ.split(b"\0"):
            found.add(int(entry.name))
    return found


def container_pids(prefix: str) -> set[int]:
    """Processes whose root directory is a lab image (everything inside a
    container, whatever cgroup it moved itself to, e.g. systemd-shutdown)."""
    start = str(MACHINES_DIR / prefix)
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            root = os.readlink(entry / "root")
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if root.startswith(start):
            found.add(int(entry.name))
    return found


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def _signal_all(pids: set[int], signum: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            continue


def _wait_gone(pids: set[int], timeout: float) -> set[int]:
    deadline = time.monotonic() + timeout
    alive = {p for p in pids if pid_alive(p)}
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = {p for p in alive if pid_alive(p)}
    return alive


def veth_links(prefix: str) -> list[str]:
    """Host-side veth links of containers with this prefix (``ve-<prefix>...``)."""
    result = run(["ip", "-j", "link", "show"])
    if result.returncode != 0:
        raise LabError(f"ip link failed: {result.stderr.strip()}")
    start = f"ve-{prefix}"[:15]
    return [
        link["ifname"] for link in json.loads(result.stdout) if link["ifname"].startswith(start)
    ]


def sweep(prefix: str, *, graceful: float = 15.0) -> None:
    """Remove every trace of lab sessions with ``prefix``. Idempotent."""
    # 1. Power containers off cleanly where possible, then kill what remains.
    tagged = tagged_pids(prefix)
    seen = tagged | container_pids(prefix)
    nspawns = {p for p in tagged if _comm(p) == "systemd-nspawn"}
    _signal_all(nspawns, signal.SIGTERM)
    _wait_gone(nspawns, graceful)
    for _attempt in range(50):
        tagged = tagged_pids(prefix) | container_pids(prefix)
        if not tagged:
            break
        seen |= tagged
        _signal_all(tagged, signal.SIGKILL)
        _wait_gone(tagged, 1.0)
    else:
        raise LabError(f"lab processes survive SIGKILL: {sorted(tagged)}")
    # 2. Cgroups (this kills anything still inside, e.g. a container's services).
    for directory in cgroups.unit_dirs(f"{prefix}*"):
        seen |= cgroups.pids_in_tree(directory)
        cgroups.remove_tree(directory)
    # A killed container's init lingers while the kernel tears its PID
    # namespace down (it has left its cgroup by then): wait until it is gone.
    lingering = _wait_gone(seen, 30.0)
    if lingering:
        raise LabError(f"lab processes do not exit: {sorted(lingering)}")
    if _comm(1) != "systemd":  # never touch a real systemd's machine.slice
        cgroups.remove_slice_if_empty()
    # 3. machined's and nspawn's runtime state, veth links, images, our state.
    for pattern in (f"{prefix}*", f"unit:systemd-nspawn@{prefix}*"):
        for path in MACHINED_STATE.glob(pattern):
            path.unlink(missing_ok=True)
    for sub in ("propagate", "unix-export"):
        for path in (NSPAWN_STATE / sub).glob(f"{prefix}*"):
            remove_dir(path)
    for link in veth_links(prefix):
        result = run(["ip", "link", "delete", link])
        if result.returncode != 0 and link in veth_links(prefix):
            raise LabError(f"cannot delete link {link}: {result.stderr.strip()}")
    for path in [*MACHINES_DIR.glob(f"{prefix}*"), *MACHINES_DIR.glob(f".#{prefix}*")]:
        if path.is_dir():
            remove_dir(path)
        else:
            path.unlink(missing_ok=True)
    remove_dir(state_dir(prefix))


def state_dir(prefix: str) -> Path:
    return STATE_ROOT / prefix


class SessionLock:
    """Exclusive per-prefix lock held for a lab session's lifetime."""

    def __init__(self, prefix: str) -> None:
        self.path = STATE_ROOT / f"{prefix}.lock"
        self._file: IO[str] | None = None

    def acquire(self, timeout: float = 600.0) -> None:
        """Take the lock, waiting up to ``timeout`` for another session to end.

        The lock file is removed on release; a waiter that locked a file
        removed meanwhile notices (different inode) and tries again.
        """
        STATE_ROOT.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + timeout
        while True:
            stream = open(self.path, "a+")  # held until release()
            try:
                fcntl.flock(stream, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                stream.seek(0)
                owner = stream.read().strip()
                stream.close()
                if time.monotonic() > deadline:
                    raise LabError(f"another lab session (pid {owner}) holds {self.path}") from None
                time.sleep(0.5)
                continue
            try:
                same = os.stat(self.path).st_ino == os.fstat(stream.fileno()).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            stream.close()
        stream.seek(0)
        stream.truncate()
        stream.write(str(os.getpid()))
        stream.flush()
        self._file = stream

    def release(self) -> None:
        if self._file is not None:
            self.path.unlink(missing_ok=True)
            self._file.close()  # closing drops the flock
            self._file = None
