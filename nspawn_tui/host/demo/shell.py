"""A harmless simulated shell on a local PTY, for the demo host's shell attach.

:func:`spawn_demo_shell` starts ``python -m nspawn_tui.host.demo.shell MACHINE
USER`` on the slave side of a new PTY and returns the master. The child only
answers a few canned commands; it never runs anything.

Reaping: every child gets a daemon thread that waits for it, so a shell that
exits never lingers as a zombie, whoever holds (or forgets) the
:class:`subprocess.Popen`. No Textual here.
"""

from __future__ import annotations

import fcntl
import os
import shlex
import signal
import subprocess
import sys
import termios
import threading
import time
from dataclasses import dataclass
from typing import Final

_OS_RELEASE: Final = """\
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
"""

_LS_HOME: Final = "notes.txt  backup.tar.gz  scripts"
_LS_ROOT: Final = "bin  boot  dev  etc  home  lib  media  mnt  opt  proc  root  run  sbin  srv  sys  tmp  usr  var"

_HELP: Final = (
    "demo shell: a simulated shell, nothing runs for real.\n"
    "commands: hostname, uname [-a], whoami, id, pwd, ls, ps, uptime, date,\n"
    "          echo ..., cat /etc/os-release, stty size, clear, help, exit"
)


@dataclass(frozen=True, slots=True)
class DemoShell:
    """A running demo shell: the PTY master (the caller closes it) and the child."""

    fd: int
    process: subprocess.Popen[bytes]


def spawn_demo_shell(machine: str, user: str = "root") -> DemoShell:
    """Start the simulated shell of ``machine`` as ``user`` on a new PTY."""
    master, slave = os.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "nspawn_tui.host.demo.shell", machine, user],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
            close_fds=True,
        )
    except OSError:
        os.close(master)
        raise
    finally:
        os.close(slave)
    threading.Thread(
        target=process.wait, name=f"demo-shell-reaper-{process.pid}", daemon=True
    ).start()
    return DemoShell(master, process)


def open_demo_shell(machine: str, user: str = "root") -> int:
    """The PTY master of a new simulated shell (the caller closes it).

    The child is reaped in the background when it exits (see the module doc).
    """
    return spawn_demo_shell(machine, user).fd


# ------------------------------------------------------------------ the child


class _Shell:
    def __init__(self, machine: str, user: str) -> None:
        self.machine = machine
        self.user = user
        self.started = time.monotonic()
        self.home = "/root" if user == "root" else f"/home/{user}"

    @property
    def prompt(self) -> str:
        mark = "#" if self.user == "root" else "$"
        return f"{self.user}@{self.machine}:~{mark} "

    def answer(self, line: str) -> str | None:
        """The output of ``line``, or None to exit."""
        try:
            words = shlex.split(line)
        except ValueError as exc:
            return f"demo: syntax error: {exc}"
        if not words:
            return ""
        cmd, args = words[0], words[1:]
        if cmd in ("exit", "logout"):
            return None
        if cmd == "hostname":
            return self.machine
        if cmd == "uname":
            if "-a" in args:
                return f"Linux {self.machine} 6.1.0-demo #1 SMP PREEMPT_DYNAMIC x86_64 GNU/Linux"
            return "Linux"
        if cmd == "whoami":
            return self.user
        if cmd == "id":
            uid = 0 if self.user == "root" else 1000
            return f"uid={uid}({self.user}) gid={uid}({self.user}) groups={uid}({self.user})"
        if cmd == "pwd":
            return self.home
        if cmd == "ls":
            return _LS_ROOT if args and args[-1] == "/" else _LS_HOME
        if cmd == "ps":
            return self._ps()
        if cmd == "uptime":
            minutes = int(time.monotonic() - self.started) // 60
            clock = time.strftime("%H:%M:%S")
            return f" {clock} up {minutes} min,  1 user,  load average: 0.08, 0.03, 0.01"
        if cmd == "date":
            return time.strftime("%a %b %d %H:%M:%S %Z %Y")
        if cmd == "echo":
            return " ".join(args)
        if cmd == "cat":
            if args == ["/etc/os-release"] or args == ["/usr/lib/os-release"]:
                return _OS_RELEASE.rstrip("\n")
            return "\n".join(f"cat: {a}: No such file or directory" for a in args)
        if cmd == "stty" and args == ["size"]:
            try:
                size = os.get_terminal_size(0)
            except OSError as exc:
                return f"stty: {exc.strerror}"
            return f"{size.lines} {size.columns}"
        if cmd == "clear":
            return "\x1b[H\x1b[2J"
        if cmd == "help":
            return _HELP
        return f"demo: {cmd}: command not found"

    def _ps(self) -> str:
        rows = [
            "    PID TTY          TIME CMD",
            "      1 ?        00:00:01 systemd",
            "     23 ?        00:00:00 systemd-journal",
            "     41 ?        00:00:00 systemd-logind",
            f"{os.getpid():>7} pts/0    00:00:00 bash",
            "    512 pts/0    00:00:00 ps",
        ]
        return "\n".join(rows)


def _take_terminal() -> None:
    """Make stdin our controlling terminal, so ^C and ^D work as on a real one."""
    try:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    except OSError as exc:
        print(f"demo: no controlling terminal ({exc.strerror})", flush=True)


def main(argv: list[str]) -> int:
    machine = argv[0] if argv else "demo"
    user = argv[1] if len(argv) > 1 else "root"
    _take_terminal()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    shell = _Shell(machine, user)
    print(f"Demo shell on {machine}. Nothing here runs for real; 'help' lists commands.")
    while True:
        try:
            sys.stdout.write(shell.prompt)
            sys.stdout.flush()
            line = sys.stdin.readline()
        except KeyboardInterrupt:
            sys.stdout.write("\n")  # the terminal has echoed "^C" already
            continue
        except OSError:
            return 0  # the terminal went away (hang-up)
        if not line:
            sys.stdout.write("logout\n")
            sys.stdout.flush()
            return 0
        output = shell.answer(line.strip())
        if output is None:
            return 0
        if output:
            sys.stdout.write(output + "\n")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
