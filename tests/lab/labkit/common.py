"""Shared constants, errors and small process helpers of the lab."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

#: Where a lab session keeps its bus socket, configuration, logs and locks.
STATE_ROOT = Path("/run/nspawn-tui-lab")
MACHINES_DIR = Path("/var/lib/machines")
MACHINED = Path("/lib/systemd/systemd-machined")
#: Every process the lab starts carries ``NTL_LAB_TAG=<prefix>`` in its
#: environment, so that a later session can find leftovers of a crashed one.
TAG_VAR = "NTL_LAB_TAG"
DEFAULT_PREFIX = "ntl-"
#: PATH inside containers (their own /usr).
CONTAINER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
REQUIRED_TOOLS = ("systemd-nspawn", "dbus-daemon", "nsenter", "busctl", "tar", "ip")


class LabUnavailable(Exception):
    """The lab cannot run on this machine; the message says why (a skip reason)."""


class LabError(Exception):
    """The lab could run but something in it failed."""


def unavailable_reason() -> str | None:
    """Why the lab cannot run here, or None when it can."""
    if os.geteuid() != 0:
        return "the lab needs root (it starts systemd-nspawn, machined and a system bus)"
    for tool in REQUIRED_TOOLS:
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install systemd-container dbus iproute2)"
    if not MACHINED.exists():
        return f"{MACHINED} is missing (apt-get install systemd-container)"
    from .cgroups import unified_root

    if unified_root() is None:
        return "no cgroup2 hierarchy is mounted (need a unified or hybrid cgroup layout)"
    return None


def tag_env(prefix: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default os.environ) plus the lab tag of ``prefix``."""
    env = dict(os.environ if base is None else base)
    env[TAG_VAR] = prefix
    return env


def container_env(prefix: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A clean environment for a command run inside a container with nsenter.

    No ``DBUS_SYSTEM_BUS_ADDRESS``: programs there use the container's own bus.
    """
    env = {"PATH": CONTAINER_PATH, "HOME": "/root", "LANG": "C.UTF-8", TAG_VAR: prefix}
    if "TERM" in os.environ:
        env["TERM"] = os.environ["TERM"]
    env.update(extra or {})
    return env


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing text output; never raises on a non-zero exit."""
    return subprocess.run(
        list(argv),
        env=None if env is None else dict(env),
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def wait_for(
    probe: Callable[[], T | None],
    *,
    timeout: float,
    what: str,
    interval: float = 0.1,
    details: Callable[[], str] | None = None,
) -> T:
    """Call ``probe`` until it returns something other than None."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() >= deadline:
            extra = f"\n{details()}" if details is not None else ""
            raise LabError(f"timed out after {timeout:.0f}s waiting for {what}{extra}")
        time.sleep(interval)


def tail(path: Path, lines: int = 40) -> str:
    """The last lines of a log file, for error messages."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"({path} does not exist)"
    return "\n".join(text.splitlines()[-lines:])


def pid_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def mounts_under(path: Path) -> list[str]:
    """Mount points at or below ``path`` in this mount namespace, deepest first."""
    prefix = str(path).rstrip("/")
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if point == prefix or point.startswith(prefix + "/"):
            points.append(point)
    return sorted(points, key=len, reverse=True)


def remove_dir(path: Path) -> None:
    """Unmount whatever is mounted below ``path``, then delete it (one file system)."""
    for point in mounts_under(path):
        result = run(["umount", "-l", point])
        if result.returncode != 0:
            raise LabError(f"cannot unmount {point}: {result.stderr.strip()}")
    if not path.exists():
        return
    result = run(["rm", "-rf", "--one-file-system", str(path)], timeout=120)
    if result.returncode != 0:
        raise LabError(f"cannot remove {path}: {result.stderr.strip()}")
