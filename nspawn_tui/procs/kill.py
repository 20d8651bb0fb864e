"""A signal to one process of a machine, only while it is in the machine's cgroup.

The process is pinned first (a pidfd, where the kernel has them), then
looked for in the cgroup tree, then signalled through the pidfd: a PID
reused between the check and the signal cannot receive it.
"""

from __future__ import annotations

import errno
import os
import signal

from nspawn_tui.procs.tree import all_pids


class NotInCgroup(LookupError):
    """The process is not (or no longer) in the machine's cgroup."""


def send_signal(directory: str, pid: int, signum: int) -> None:
    """Send ``signum`` to ``pid`` if it is under ``directory``.

    Raises :class:`NotInCgroup`, :class:`ProcessLookupError` (it ended),
    :class:`PermissionError`, :class:`FileNotFoundError` (the cgroup is gone)
    or :class:`ValueError` (not a process or not a signal).
    """
    if pid <= 0:
        raise ValueError(f"not a process ID: {pid}")
    if not 0 < signum < signal.NSIG:
        raise ValueError(f"not a signal number: {signum}")
    pidfd = _pidfd(pid)
    try:
        if pid not in all_pids(directory):
            raise NotInCgroup(pid)
        if pidfd is None:
            os.kill(pid, signum)
        else:
            signal.pidfd_send_signal(pidfd, signum)
    finally:
        if pidfd is not None:
            os.close(pidfd)


def _pidfd(pid: int) -> int | None:
    """A descriptor pinning the process, or None where pidfds do not exist."""
    opener = getattr(os, "pidfd_open", None)
    if opener is None or not hasattr(signal, "pidfd_send_signal"):
        return None
    try:
        fd: int = opener(pid)
    except OSError as exc:
        if exc.errno in (errno.ENOSYS, errno.EPERM):
            return None  # an old kernel, or a seccomp filter: plain kill()
        raise  # ESRCH is ProcessLookupError: it ended
    return fd
