"""What systemd and machinectl call the things nspawn-tui does, said once.

A container's unit (:func:`unit_of`), the power-off signal
(:data:`SIGRTMIN_4`), signals by name (:data:`KILL_SIGNALS`,
:func:`signal_name`) and the ``machinectl``/``systemctl`` command line each
lifecycle action equals (:func:`action_command`, shown before and after an
action).  The host implementations, the simulated host and the UI import
them from here; no other module builds them (a test greps for it).
"""

from __future__ import annotations

import shlex
import signal
from collections.abc import Sequence
from typing import Final

#: Power off: what ``machinectl poweroff`` sends to the leader (systemd as
#: PID 1 enters ``poweroff.target`` on it, see systemd(1)).
SIGRTMIN_4: Final = int(signal.SIGRTMIN) + 4

#: Signals offered by the kill picker, by name (machinectl kill -s NAME).
KILL_SIGNALS: Final = (
    ("TERM", int(signal.SIGTERM)),
    ("KILL", int(signal.SIGKILL)),
    ("HUP", int(signal.SIGHUP)),
    ("INT", int(signal.SIGINT)),
    ("USR1", int(signal.SIGUSR1)),
    ("USR2", int(signal.SIGUSR2)),
    ("RTMIN+4", SIGRTMIN_4),
    ("RTMIN+3", int(signal.SIGRTMIN) + 3),
    ("STOP", int(signal.SIGSTOP)),
    ("CONT", int(signal.SIGCONT)),
)


def unit_of(name: str) -> str:
    """The unit that runs container ``name``: what ``machinectl start NAME`` starts."""
    return f"systemd-nspawn@{name}.service"


def signal_name(number: int) -> str:
    """``number`` as ``machinectl kill --signal=`` takes it: "TERM", "RTMIN+4", or the number."""
    for name, value in KILL_SIGNALS:
        if value == number:
            return name
    try:
        return signal.Signals(number).name.removeprefix("SIG")
    except ValueError:
        return str(number)


def action_command(
    action: str,
    names: Sequence[str],
    *,
    signal_number: int | None = None,
    who: str = "leader",
) -> str:
    """The command line equivalent to lifecycle ``action`` on ``names``.

    ``action`` is a machinectl verb (``start``, ``poweroff``, ``reboot``,
    ``terminate``, ``kill``, ``enable``, ``disable``); ``kill`` names
    ``signal_number`` (default SIGTERM) and ``who``.  Enabling acts on the
    unit, so it is shown as ``systemctl``, with ``machinectl`` as a comment.
    """
    by_host: dict[str, list[str]] = {}
    for name in names:  # a fleet's HOST/NAME: one command per host, with -H HOST
        host, sep, plain = name.rpartition("/")
        by_host.setdefault(host if sep else "", []).append(plain)
    return " ; ".join(
        _one_host_command(action, plain_names, host, signal_number, who)
        for host, plain_names in by_host.items()
    )


def _one_host_command(
    action: str, names: Sequence[str], host: str, signal_number: int | None, who: str
) -> str:
    joined = " ".join(names)
    remote = f" -H {shlex.quote(host)}" if host and host != "local" else ""
    if action == "kill":
        sig = signal_name(signal_number if signal_number is not None else signal.SIGTERM)
        return f"machinectl{remote} kill --kill-whom={who} --signal={sig} {joined}"
    if action in {"enable", "disable"}:
        units = " ".join(unit_of(n) for n in names)
        return f"systemctl{remote} {action} {units}   # machinectl{remote} {action} {joined}"
    return f"machinectl{remote} {action} {joined}"


def machinectl(verb: str, *words: str, options: Sequence[str] = ()) -> str:
    """A ``machinectl`` command line (image actions, transfers), words quoted for a shell."""
    return shlex.join(["machinectl", *options, verb, *words])
