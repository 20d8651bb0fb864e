"""What each lifecycle action is, for the UI and the CLI (no Textual).

One place says, per action: its key, whether it asks for confirmation, the
equivalent ``machinectl``/``systemctl`` command, what the row shows while it
is in flight and which state ends that wait.
"""

from __future__ import annotations

import signal
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

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


def signal_name(number: int) -> str:
    for name, value in KILL_SIGNALS:
        if value == number:
            return name
    try:
        return signal.Signals(number).name.removeprefix("SIG")
    except ValueError:
        return str(number)


@dataclass(frozen=True, slots=True)
class ActionSpec:
    key: str  # the Host method and the action name
    label: str  # "Power off"
    destructive: bool  # asks for confirmation
    progress: str  # shown in the state cell while in flight ("" = none)
    done_when: str  # "running", "gone" (no longer running), "" (immediate)
    needs_running: bool  # only for running machines
    needs_stopped: bool = False

    def command(
        self, names: Sequence[str], *, signal_number: int | None = None, who: str = "leader"
    ) -> str:
        joined = " ".join(names)
        if self.key == "start":
            return f"machinectl start {joined}"
        if self.key == "kill":
            sig = signal_name(signal_number if signal_number is not None else signal.SIGTERM)
            return f"machinectl kill --kill-whom={who} --signal={sig} {joined}"
        if self.key in {"enable", "disable"}:
            units = " ".join(f"systemd-nspawn@{n}.service" for n in names)
            return f"systemctl {self.key} {units}   # machinectl {self.key} {joined}"
        return f"machinectl {self.key} {joined}"


ACTIONS: Final = {
    spec.key: spec
    for spec in (
        ActionSpec("start", "Boot", False, "starting…", "running", False, needs_stopped=True),
        ActionSpec("poweroff", "Power off", True, "stopping…", "gone", True),
        ActionSpec("reboot", "Reboot", False, "rebooting…", "", True),
        ActionSpec("terminate", "Terminate", True, "terminating…", "gone", True),
        ActionSpec("kill", "Kill", True, "", "", True),
        ActionSpec("enable", "Enable at boot", False, "", "", False),
        ActionSpec("disable", "Disable at boot", True, "", "", False),
    )
}

#: Seconds an action may stay in flight before the UI says it timed out.
ACTION_TIMEOUT: Final = 30.0
