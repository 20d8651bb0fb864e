"""Helpers of the tests that run inside the outer container (see conftest.py).

:func:`read_until` (a PTY read with a deadline) is also used on the VM.
"""

from __future__ import annotations

import asyncio
import errno
import os
import select
import subprocess
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def unit(name: str) -> str:
    return f"systemd-nspawn@{name}.service"


def systemctl(*args: str) -> str:
    result = subprocess.run(
        ["systemctl", *args], capture_output=True, text=True, timeout=30, check=False
    )
    return result.stdout.strip()


def show(name: str, *props: str) -> dict[str, str]:
    """``systemctl show -p ...`` of the machine's unit, as a dict."""
    out = systemctl("show", *(f"--property={p}" for p in props), unit(name))
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


async def eventually(
    probe: Callable[[], Awaitable[T | None]], what: str, timeout: float = 30.0
) -> T:
    """Poll ``probe`` until it returns something other than None, or fail."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = await probe()
        if last is not None:
            return last
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")


async def system_up(leader: int) -> bool | None:
    """True once the container's systemd finished booting (running/degraded).

    Until its systemd has installed its signal handlers, a SIGRTMIN+4 or
    SIGRTMIN+3 from outside is dropped by the kernel (the container's PID 1
    ignores signals it has no handler for): power off and terminate right
    after ``start()`` returns can be lost, with ``machinectl`` as with us.
    """
    proc = await asyncio.create_subprocess_exec(
        "nsenter", "-t", str(leader), "-a", "systemctl", "is-system-running",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    out, _ = await proc.communicate()
    return True if out.decode().strip() in ("running", "degraded") else None


def read_until(
    fd: int, wanted: Callable[[bytes], bool], timeout: float = 15.0, *, hangups: bool = False
) -> bytes:
    """Read ``fd`` until ``wanted(everything read)``, EOF/EIO, or the deadline.

    ``hangups``: EIO (no process has the PTY's other side open) is not the end
    but a moment to wait, as for a login PTY before getty opened it, or
    between getty's vhangup and its next prompt.
    """
    data = b""
    deadline = time.monotonic() + timeout
    while not wanted(data):
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"timed out; read so far: {data!r}")
        ready, _, _ = select.select([fd], [], [], min(left, 0.05) if hangups else left)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError as exc:  # EIO: the other side of the PTY is closed
            if hangups and exc.errno == errno.EIO:
                time.sleep(0.05)  # select() says "ready" at once while hung up
                continue
            break
        if not chunk:
            break
        data += chunk
    return data
