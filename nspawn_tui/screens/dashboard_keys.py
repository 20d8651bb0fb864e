"""The dashboard's keys: one :class:`~textual.binding.Binding` per action, each with an id.

The ids (``dashboard.kill``) are what the config file's ``[keys]`` rebinds
(:mod:`nspawn_tui.screens.keymap`); the help screen, the footer and the
command palette show the keys in force, never these defaults.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

#: Enter in a fleet (bound once its first snapshot shows hosts: one host has no such key)
FOLD = Binding(
    "enter", "fold_host", "Fold", tooltip="hide or show a host's machines", id="dashboard.fold"
)

#: The help screen (``?``) is made from these: key, description and tooltip.
DASHBOARD_BINDINGS: list[BindingType] = [
    Binding(
        "slash",
        "filter",
        "Filter",
        tooltip="by name; Enter keeps it, Escape clears",
        id="dashboard.filter",
    ),
    Binding(
        "o",
        "sort_next",
        "Sort",
        tooltip="by the next column (or click a title)",
        id="dashboard.sort",
    ),
    Binding(
        "O",
        "sort_reverse",
        "Reverse",
        show=False,
        tooltip="reverse the order",
        id="dashboard.reverse",
    ),
    Binding(
        "c",
        "cpu_mode",
        "CPU%",
        tooltip="% of one core, or % of the whole host",
        id="dashboard.cpu_mode",
    ),
    Binding(
        "plus,equals_sign",
        "faster",
        "Faster",
        show=False,
        key_display="+",
        tooltip="refresh more often",
        id="dashboard.faster",
    ),
    Binding(
        "minus",
        "slower",
        "Slower",
        show=False,
        key_display="-",
        tooltip="refresh less often",
        id="dashboard.slower",
    ),
    Binding(
        "d",
        "toggle_detail",
        "Detail",
        show=False,
        tooltip="show or hide the panel",
        id="dashboard.detail",
    ),
    Binding(
        "space",
        "select",
        "Select",
        show=False,
        tooltip="logs and actions apply to all",
        id="dashboard.select",
    ),
    Binding("l", "logs", "Logs", tooltip="journal of the machine(s), merged", id="dashboard.logs"),
    Binding(
        "P",
        "processes",
        "Processes",
        show=False,
        tooltip="the machine's processes, by cgroup",
        id="dashboard.processes",
    ),
    Binding(
        "i",
        "images",
        "Images",
        show=False,
        tooltip="clone, rename, remove, import, export",
        id="dashboard.images",
    ),
    Binding(
        "n",
        "create",
        "New",
        show=False,
        tooltip="create a container: bootstrap, first boot, settings",
        id="dashboard.create",
    ),
    Binding("s", "shell", "Shell", tooltip="a root shell in the machine", id="dashboard.shell"),
    Binding(
        "S",
        "shell_as",
        "Shell as",
        show=False,
        tooltip="a user and a command",
        id="dashboard.shell_as",
    ),
    Binding(
        "L",
        "login",
        "Login",
        show=False,
        tooltip="a login prompt of the machine",
        id="dashboard.login",
    ),
    Binding(
        "a",
        "enable",
        "Enable at boot",
        show=False,
        tooltip="machinectl enable",
        id="dashboard.enable",
    ),
    Binding(
        "A",
        "disable",
        "Disable at boot",
        show=False,
        tooltip="machinectl disable",
        id="dashboard.disable",
    ),
    Binding(
        "N",
        "settings",
        ".nspawn",
        show=False,
        tooltip="view and edit the settings file",
        id="dashboard.settings",
    ),
    Binding("b", "boot", "Boot", tooltip="start systemd-nspawn@NAME.service", id="dashboard.boot"),
    Binding(
        "p", "poweroff", "Power off", tooltip="a clean shutdown (asks)", id="dashboard.poweroff"
    ),
    Binding("r", "reboot", "Reboot", tooltip="machinectl reboot", id="dashboard.reboot"),
    Binding("t", "terminate", "Terminate", tooltip="stop at once (asks)", id="dashboard.terminate"),
    Binding(
        "K",
        "kill",
        "Kill",
        tooltip="a chosen signal, to the leader or all (asks)",
        id="dashboard.kill",
    ),
    Binding(
        "e",
        "edit",
        "Edit",
        tooltip="resource limits (Enter: runtime, ctrl+s: persistent)",
        id="dashboard.edit",
    ),
]
