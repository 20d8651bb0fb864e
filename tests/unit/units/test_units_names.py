"""units/names.py: the one place for unit names, SIGRTMIN+4 and machinectl command lines."""

from __future__ import annotations

import ast
import re
import signal
from pathlib import Path

import nspawn_tui
from nspawn_tui.units.names import (
    KILL_SIGNALS,
    SIGRTMIN_4,
    action_command,
    machinectl,
    signal_name,
    unit_of,
)
from nspawn_tui.view.actions import ACTIONS

PACKAGE = Path(nspawn_tui.__file__).resolve().parent
NAMES_PY = PACKAGE / "units" / "names.py"
#: what only names.py defines
OWNED = frozenset({"unit_of", "SIGRTMIN_4", "KILL_SIGNALS", "signal_name", "action_command"})
_UNIT_PIECE = re.compile(r"^systemd-nspawn@(\{|%|$)")  # "systemd-nspawn@" + x, ...@{}.service


def test_unit_of() -> None:
    assert unit_of("web") == "systemd-nspawn@web.service"
    assert unit_of("a-b.c") == "systemd-nspawn@a-b.c.service"


def test_power_off_signal() -> None:
    assert SIGRTMIN_4 == int(signal.SIGRTMIN) + 4
    assert int(signal.SIGRTMIN) < SIGRTMIN_4 < int(signal.SIGRTMAX)
    assert signal_name(SIGRTMIN_4) == "RTMIN+4"
    assert dict(KILL_SIGNALS)["RTMIN+4"] == SIGRTMIN_4


def test_signal_names() -> None:
    assert signal_name(int(signal.SIGTERM)) == "TERM"
    assert signal_name(int(signal.SIGRTMIN) + 3) == "RTMIN+3"
    assert signal_name(int(signal.SIGWINCH)) == "WINCH"  # not offered, still named
    assert signal_name(int(signal.SIGRTMIN) + 9) == str(int(signal.SIGRTMIN) + 9)
    assert len({name for name, _ in KILL_SIGNALS}) == len(KILL_SIGNALS)
    assert len({number for _, number in KILL_SIGNALS}) == len(KILL_SIGNALS)


def test_action_commands() -> None:
    names = ["web", "db"]
    assert action_command("start", names) == "machinectl start web db"
    assert action_command("poweroff", ["web"]) == "machinectl poweroff web"
    assert (
        action_command("kill", names) == "machinectl kill --kill-whom=leader --signal=TERM web db"
    )
    assert (
        action_command("kill", ["web"], signal_number=int(signal.SIGKILL), who="all")
        == "machinectl kill --kill-whom=all --signal=KILL web"
    )
    assert action_command("enable", names) == (
        "systemctl enable systemd-nspawn@web.service systemd-nspawn@db.service"
        "   # machinectl enable web db"
    )


def test_every_action_spec_uses_them() -> None:
    for key, spec in ACTIONS.items():
        assert spec.command(["web"]) == action_command(key, ["web"])
    assert ACTIONS["kill"].command(["web"], signal_number=SIGRTMIN_4, who="all") == (
        "machinectl kill --kill-whom=all --signal=RTMIN+4 web"
    )


# -- no other module builds them ---------------------------------------------------


def built_elsewhere(source: str) -> list[str]:
    """Where ``source`` builds or defines what only names.py may, one line per place."""
    found = []
    tree = ast.parse(source)
    for node in tree.body:  # module level: a class's field of the same name is fine
        where = f"line {node.lineno}"
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in OWNED:
            found.append(f"{where}: defines {node.name}")
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id in OWNED:
                    found.append(f"{where}: defines {target.id}")
    for node in ast.walk(tree):
        where = f"line {getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.JoinedStr):  # f"...": docstrings and tooltips are plain
            text = "".join(
                part.value
                for part in node.values
                if isinstance(part, ast.Constant) and isinstance(part.value, str)
            )
            if "systemd-nspawn@" in text:
                found.append(f"{where}: a unit name")
            if text.startswith(("machinectl ", "systemctl ")):
                found.append(f"{where}: a command line")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _UNIT_PIECE.match(node.value):
                found.append(f"{where}: a unit name")
        elif (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Add)
            and "SIGRTMIN" in ast.unparse(node.left)
            and isinstance(node.right, ast.Constant)
            and node.right.value == 4
        ):
            found.append(f"{where}: SIGRTMIN+4")
    return sorted(set(found))  # an f-string's pieces are constants too: said once


def test_only_names_py_builds_them() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): found
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != NAMES_PY and (found := built_elsewhere(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_check_can_fail() -> None:
    """Control: names.py itself, and each way of building them elsewhere, is found."""
    in_names = built_elsewhere(NAMES_PY.read_text(encoding="utf-8"))
    assert {line.split(": ", 1)[1] for line in in_names} >= {
        "a unit name",
        "a command line",
        "SIGRTMIN+4",
        "defines unit_of",
        "defines SIGRTMIN_4",
    }
    bad = [
        'unit = f"systemd-nspawn@{name}.service"',
        'unit = "systemd-nspawn@" + name + ".service"',
        'unit = "systemd-nspawn@{}.service".format(name)',
        "poweroff = int(signal.SIGRTMIN) + 4",
        "poweroff = signal.SIGRTMIN + 4",
        'command = f"machinectl start {name}"',
        'command = f"systemctl enable {unit}"',
        "def unit_of(name):\n    return name",
        "SIGRTMIN_4: Final = 38",
        "from nspawn_tui.units.names import KILL_SIGNALS\nKILL_SIGNALS = KILL_SIGNALS[:2]",
    ]
    for line in bad:
        assert len(built_elsewhere(line)) == 1, line
    fine = [
        '"""Starts ``systemd-nspawn@NAME.service`` (``machinectl start``)."""',
        'Binding("b", "boot", "Boot", tooltip="start systemd-nspawn@NAME.service")',
        'Binding("r", "reboot", "Reboot", tooltip="machinectl reboot")',
        "rtmin_3 = int(signal.SIGRTMIN) + 3",
        'cgroup = f"/machine.slice/{unit_of(name)}"',
        "class KillChoice:\n    signal_name: str",
    ]
    for line in fine:
        assert built_elsewhere(line) == [], line


def test_machinectl_lines_quote_what_a_shell_would_split() -> None:
    assert machinectl("clone", "web", "web-copy") == "machinectl clone web web-copy"
    assert machinectl("clone", "a", "b", options=["--read-only"]) == (
        "machinectl --read-only clone a b"
    )
    assert machinectl("import-tar", "/tmp/my file.tar", "x") == (
        "machinectl import-tar '/tmp/my file.tar' x"
    )
    assert machinectl("remove", "$(reboot)") == "machinectl remove '$(reboot)'"


def test_fleet_names_give_one_command_per_host_with_dash_h() -> None:
    from nspawn_tui.units.names import action_command

    names = ["local/web", "root@db1:2222/db", "local/cache"]
    assert action_command("poweroff", names) == (
        "machinectl poweroff web cache ; machinectl -H root@db1:2222 poweroff db"
    )
    assert action_command("enable", ["web1/app"]) == (
        "systemctl -H web1 enable systemd-nspawn@app.service   # machinectl -H web1 enable app"
    )
    assert action_command("start", ["web"]) == "machinectl start web"
