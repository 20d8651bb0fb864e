"""What each lifecycle action is, for the UI and the CLI (no Textual).

One place says, per action: its key, whether it asks for confirmation, what
the row shows while it is in flight and which state ends that wait.  Its
equivalent ``machinectl``/``systemctl`` command comes from
:mod:`nspawn_tui.units.names`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from nspawn_tui.units.names import action_command


@dataclass(frozen=True, slots=True)
class ActionSpec:
    key: str  # the action: machinectl's verb, and the name of its Host method
    label: str  # "Power off"
    destructive: bool  # asks for confirmation
    progress: str  # shown in the state cell while in flight ("" = none)
    done_when: str  # "running", "gone" (no longer running), "" (immediate)
    needs_running: bool  # only for running machines
    needs_stopped: bool = False

    def command(
        self, names: Sequence[str], *, signal_number: int | None = None, who: str = "leader"
    ) -> str:
        """The equivalent ``machinectl``/``systemctl`` command line."""
        return action_command(self.key, names, signal_number=signal_number, who=who)


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
