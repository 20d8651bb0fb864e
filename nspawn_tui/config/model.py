"""The settings of the config file, with their defaults (see :mod:`nspawn_tui.config.load`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

#: The machine table's columns (``nspawn_tui.view.rows.COLUMN_KEYS``; a test keeps them equal).
COLUMN_KEYS: Final = (
    "name",
    "state",
    "os",
    "address",
    "cpu",
    "memory",
    "tasks",
    "rx",
    "tx",
    "uptime",
)
CPU_MODES: Final = ("core", "host")
MIN_INTERVAL: Final = 0.25
MAX_INTERVAL: Final = 10.0
MIN_SCROLLBACK: Final = 1
MAX_SCROLLBACK: Final = 1_000_000
#: Records a journal view keeps (nspawn_tui.journal.store's default too).
DEFAULT_SCROLLBACK: Final = 10_000
#: Action class -> whether the app asks before doing it, without a config file.
CONFIRM_DEFAULTS: Final[dict[str, bool]] = {
    "poweroff": True,  # p: a clean shutdown
    "terminate": True,  # t: stop at once
    "kill": True,  # k: a signal to the leader or all
    "reboot": False,  # r
    "disable": True,  # A: disable at boot
    "images": True,  # removing an image (images screen)
    "signal": True,  # a signal to one process (processes screen)
}


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One thing wrong in the config file: shown at start (a toast and standard error)."""

    path: str
    line: int | None  # 1-based, None when the place is not known
    key: str  # dotted, e.g. "keys.dashboard.kill"; "" for the file as a whole
    message: str

    def __str__(self) -> str:
        where = f"{self.path}, line {self.line}" if self.line else self.path
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Config:
    """Every setting; a file sets any of them. The defaults are the app's behaviour without one."""

    interval: float = 1.0  # seconds between refreshes
    cpu_mode: str = "core"  # "core": % of one core; "host": % of the whole host
    columns: tuple[str, ...] | None = None  # the table's columns in order; None: all, default order
    sort: str = "name"  # a column key
    sort_reverse: bool = False
    scrollback: int = DEFAULT_SCROLLBACK
    theme: str = "textual-dark"
    #: binding id -> keys (Textual keymap), e.g. {"dashboard.kill": ("K",)}
    keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: binding id -> its line in the file (for messages about it found later: unknown id,
    #: a key bound twice; the UI knows the bindings, the loader does not)
    key_lines: dict[str, int] = field(default_factory=dict)
    #: action class -> ask before doing it: "poweroff", "terminate", "kill", "images", ...
    confirm: dict[str, bool] = field(default_factory=lambda: dict(CONFIRM_DEFAULTS))
    path: str | None = None  # the file these came from
    problems: tuple[ConfigProblem, ...] = ()

    def asks(self, action_class: str) -> bool:
        """Whether to ask before an action of ``action_class`` (unknown classes: ask)."""
        return self.confirm.get(action_class, CONFIRM_DEFAULTS.get(action_class, True))
