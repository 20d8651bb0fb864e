"""The default config file, as ``nspawn-tui config --print-default`` prints it.

Every setting with its default value and what it means; it parses back to
the defaults (a test checks), so it is a starting point to edit.
"""

from __future__ import annotations

from nspawn_tui.config.model import COLUMN_KEYS, CONFIRM_DEFAULTS, Config

_CONFIRM_NOTES = {
    "poweroff": "p: a clean shutdown",
    "terminate": "t: stop at once",
    "kill": "K: a signal to the leader or to all its processes",
    "reboot": "r: reboot",
    "disable": "A: disable at boot",
    "images": "removing an image (images screen, i)",
    "signal": "a signal to one process (processes screen, P)",
}


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return f"{value}"


def default_text() -> str:
    """The full default file, commented."""
    config = Config()
    columns = _toml(COLUMN_KEYS)
    confirm = "\n".join(
        f"{name} = {_toml(ask)}".ljust(20) + f"# {_CONFIRM_NOTES[name]}"
        for name, ask in CONFIRM_DEFAULTS.items()
    )
    return f"""\
# nspawn-tui's config file: $XDG_CONFIG_HOME/nspawn-tui/config.toml
# (~/.config/nspawn-tui/config.toml), or --config FILE.  Every key is optional;
# these are the defaults.  Options on the command line (--interval,
# --scrollback) win over this file.  Check a file with: nspawn-tui config --check

# Seconds between refreshes, 0.25 .. 10 (+ and - change it while running).
interval = {config.interval!r}

# What CPU% means: "core" = % of one core (a busy machine on 4 cores shows
# up to 400); "host" = % of the whole host (c switches while running).
cpu = "{config.cpu_mode}"

# The table's columns, in this order ("name" is required).  The name, state,
# os and address columns stay left of the figures.  On a narrow terminal
# address, rx and tx are dropped first.
columns = {columns}

# The column the table is sorted by; "-cpu" for descending (o and O while running).
sort = "{config.sort}"

# Journal lines kept per log view (memory is bounded by it), 1 .. 1000000.
scrollback = {config.scrollback}

# A Textual theme ("textual-dark", "textual-light", "nord", "gruvbox", ...),
# "nspawn-high-contrast", or "nspawn-ansi" (the terminal's 16 colours only).
# NO_COLOR in the environment is honoured whatever this says.
theme = "{config.theme}"

# Key bindings: binding id = a key or a list of keys; they replace that
# binding's default keys.  Ids are SCREEN.ACTION, as the help screen (?)
# lists them.  Key names as Textual writes them: "K", "ctrl+x", "f5",
# "question_mark", "slash", "enter".
[keys]
# "dashboard.kill" = "K"
# "dashboard.logs" = ["l", "ctrl+l"]

# Ask before doing these (false: act at once, without a dialog).
[confirm]
{confirm}

# The hosts of a fleet, reached over ssh (systemd-stdio-bridge); without
# any, this machine.  --host on the command line replaces them.
# [[hosts]]
# address = "local"               # this machine
#
# [[hosts]]
# address = "root@web1.example:2222"
# name = "web1"                   # optional: shown instead of the address
# group = "production"            # optional
"""
