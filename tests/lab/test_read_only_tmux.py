"""``--read-only`` on the real stack, as a person sees it: the installed app in
tmux on the flat lab.  Each mutating key says at once that the app runs
read-only, no dialog comes first, no mutating D-Bus call is made (watched with
``dbus-monitor`` on the lab's bus) and the machines are as they were.

The flat lab has no systemd manager, so a boot or an enable that got through
would fail too, but with a D-Bus error, not with the read-only message.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import labkit
from test_e2e_tmux import HEIGHT, WIDTH, Tmux, tmux, wait_screen
from textual.binding import Binding

from nspawn_tui.host.base import Host, mutating_methods
from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.screens.dashboard_actions import HOST_METHODS

__all__ = ["tmux"]  # the fixture, from test_e2e_tmux

#: Messages on screen at most before the next key: a stack of toasts that
#: reaches the top of the pane leaves stale text there when it goes (the
#: dashboard does not repaint those cells), which would fool the waits below.
MAX_TOASTS = 4
#: What a dialog would show: confirmation, kill picker, shell prompt, the editors.
DIALOG_TEXTS = ("Cancel (n)", "Send a signal to", "Shell in ", "Resource limits:", "Settings of ")
#: D-Bus methods that change a machine (machined's and systemd's).
MUTATING_MEMBERS = frozenset(
    {
        "KillMachine",
        "TerminateMachine",
        "OpenMachineShell",
        "OpenMachineLogin",
        "OpenMachinePTY",
        "StartUnit",
        "StopUnit",
        "RestartUnit",
        "KillUnit",
        "SetUnitProperties",
        "EnableUnitFiles",
        "DisableUnitFiles",
        "Reload",
    }
)


def mutating_keys() -> list[tuple[str, str]]:
    """(key, the action named in the refusal) of every mutating key of the dashboard."""
    actions = mutating_methods(Host)
    return [
        (binding.key, actions[HOST_METHODS[binding.action]])
        for binding in Binding.make_bindings(DashboardScreen.BINDINGS)
        if binding.action in HOST_METHODS
    ]


def machine_state(lab: labkit.FlatLab) -> dict[str, object]:
    names = sorted(lab.busctl.require_machines())
    state: dict[str, object] = {"machines": names}
    for name in ("ntl-alpha", "ntl-beta"):
        state[name] = lab.busctl.machine(name, "State", "Leader")
    state["settings"] = sorted(p.name for p in Path("/etc/systemd/nspawn").glob("ntl-*"))
    return state


def filter_to(tmux: Tmux, name: str) -> None:
    """Only ``name`` listed, the cursor on it, the table focused."""
    tmux.keys("/")
    wait_screen(tmux, lambda s: "filter by name" in s or "filter:" in s, timeout=5, what="filter")
    tmux.keys("C-u")  # whatever an earlier filter left
    # Input's ctrl+u is a binding, run once the key has bubbled up to the app:
    # letters typed at once would reach the input first and be deleted with it.
    wait_screen(tmux, lambda s: "filter by name" in s, timeout=5, what="an empty filter")
    tmux.keys(name, literal=True)
    tmux.keys("Enter")
    wait_screen(
        tmux,
        lambda s: f"filter: '{name}' (1 shown)" in s and re.search(rf"^\W*{name}\s", s, re.M),
        timeout=5,
        what=f"only {name} listed",
    )


def press_and_expect_refusal(tmux: Tmux, key: str, action: str) -> None:
    # No message of the same action on screen, so that the new one is this
    # key's; and few messages, so that they never stack up to the top of the
    # pane (see MAX_TOASTS).
    wait_screen(
        tmux,
        lambda s: s.count("refused:") < MAX_TOASTS and f"{action} refused" not in s,
        timeout=8,
        what="the earlier messages to go",
    )
    tmux.keys(key, literal=True)
    started = time.monotonic()
    screen = wait_screen(
        tmux,
        lambda s: f"{action} refused" in s,
        timeout=3,
        what=f"the read-only message of {key!r} ({action})",
    )
    assert "Read-only" in screen, screen
    assert time.monotonic() - started < 2, f"{key}: the refusal took too long"
    time.sleep(0.3)  # a dialog would be up by now
    screen = tmux.screen()
    for text in DIALOG_TEXTS:
        assert text not in screen, f"{key} opened a dialog:\n{screen}"
    assert "sort: name" in screen, f"{key}: the dashboard is gone:\n{screen}"


def test_each_mutating_key_is_refused_at_once_in_tmux(
    flat_lab: labkit.FlatLab, tmux: Tmux, tmp_path: Path
) -> None:
    exe = Path(sys.prefix) / "bin" / "nspawn-tui"
    assert exe.exists(), f"{exe} is missing: install the project into the venv"
    keys = mutating_keys()
    assert {key for key, _ in keys} == set("bprtKaAeNsSLn")
    before = machine_state(flat_lab)
    assert "ntl-image" not in before["machines"]  # a stopped image

    log = tmp_path / "dbus-monitor.log"
    with log.open("w") as out:
        monitor = subprocess.Popen(
            ["dbus-monitor", "--address", flat_lab.bus_address, "type='method_call'"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        env = {"TERM": "xterm-256color", "COLORTERM": "truecolor", "LANG": "C.UTF-8"}
        tmux.start([str(exe), "--bus", flat_lab.bus_address, "--read-only"], env)
        screen = wait_screen(
            tmux,
            lambda s: re.search(r"^\W*ntl-alpha\s+running", s, re.M),
            timeout=20,
            what="ntl-alpha listed",
        )
        lines = screen.splitlines()
        assert len(lines) == HEIGHT and max(len(line) for line in lines) <= WIDTH
        assert lines[0].strip().startswith("read-only │"), lines[0]

        filter_to(tmux, "ntl-alpha")  # a running container
        for key, action in keys:
            press_and_expect_refusal(tmux, key, action)
        filter_to(tmux, "ntl-image")  # a stopped image: what boot and enable act on
        for key, action in keys:
            if key in "baAN":
                press_and_expect_refusal(tmux, key, action)
        tmux.keys("q")
        wait_screen(tmux, lambda s: tmux.pane("#{pane_dead}") == "1", timeout=20, what="exit")
    finally:
        monitor.terminate()
        monitor.wait(timeout=10)

    calls = re.findall(r"^method call .* member=(\w+)", log.read_text(), re.M)
    assert "ListMachines" in calls, "dbus-monitor saw none of the app's calls"
    assert not MUTATING_MEMBERS & set(calls), sorted(MUTATING_MEMBERS & set(calls))
    assert machine_state(flat_lab) == before
