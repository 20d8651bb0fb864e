"""The dashboard's start: the garbage collector waits until the app runs, then runs as usual.

Its passes over Textual's imports were ~10 ms of the first frame
(benchmarks/README.md); what the imports leave is frozen before the app runs.
Each case runs the entry point in a subprocess of its own (HOME of the test's
own), the app's ``run`` replaced by a record of the collector's state.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import gc, json, sys
import nspawn_tui.app
from nspawn_tui import cli

seen = {"at_import": gc.isenabled()}
made = nspawn_tui.app.NspawnApp.__init__

def init(self, *args, **kwargs):
    seen["while_made"] = gc.isenabled()
    made(self, *args, **kwargs)

def run(self, *args, **kwargs):
    seen["when_run"] = gc.isenabled()
    seen["threshold"] = gc.get_threshold()[0]

nspawn_tui.app.NspawnApp.__init__ = init
nspawn_tui.app.NspawnApp.run = run
status = cli.main(sys.argv[1:])
seen["after"] = gc.isenabled()
print(json.dumps([status, seen]))
"""


def start(home: Path, *argv: str, **env: str) -> tuple[int, dict[str, object]]:
    environ = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"), **env}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, *argv], capture_output=True, text=True, check=True,
        timeout=60, env=environ,
    )  # fmt: skip
    status, seen = json.loads(result.stdout.splitlines()[-1])
    return status, seen


def test_the_collector_waits_for_the_app_then_runs(tmp_path: Path) -> None:
    status, seen = start(tmp_path, "--demo", "--demo-machines", "10")
    assert status == 0
    assert seen["at_import"] is True
    assert seen["while_made"] is False  # the app and its imports: no collection
    assert seen["when_run"] is True and seen["threshold"] == 10_000
    assert seen["after"] is True


def test_the_collector_runs_again_when_the_start_fails(tmp_path: Path) -> None:
    missing = f"unix:path={tmp_path}/missing"
    status, seen = start(tmp_path, DBUS_SYSTEM_BUS_ADDRESS=missing)
    assert status == 2  # no bus: said in one line, no app
    assert "while_made" not in seen
    assert seen["after"] is True
