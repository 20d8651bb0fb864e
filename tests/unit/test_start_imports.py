"""What the dashboard's first frame does not need is not loaded before it (issue 16).

A fresh interpreter starts ``nspawn-tui --demo`` as its entry point does
(options, config file, hosts, the demo host, the app) and, instead of
running the app, makes the dashboard's first poll; it imports the real
host's module too.  None of the modules below may be loaded by then:
each costs milliseconds of the first frame (benchmarks/README.md, where the
first frame's time goes).  Then it uses a few of them (processes, limits,
logs), which must load them: the check can fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

#: Loaded when first used, never before the first frame.
DEFERRED = (
    # the demo host's capabilities
    "nspawn_tui.host.demo.process_tree",
    "nspawn_tui.host.demo.transfer",
    "nspawn_tui.host.demo.journal",
    "nspawn_tui.host.demo.shell",
    # what both hosts read or check only when asked
    "nspawn_tui.journal.sources",
    "nspawn_tui.journal.records",
    "nspawn_tui.procs.reader",
    "nspawn_tui.nspawn.settings",
    "nspawn_tui.units.limits",
    "nspawn_tui.images.pump",
    "nspawn_tui.create.model",
    "nspawn_tui.fleet.hostsfile",  # no --host, no config file: no hosts to read
    "nspawn_tui.config.default",  # only for `nspawn-tui config --print-default`
    # screens, views and servers opened from the dashboard
    "nspawn_tui.screens.logs",
    "nspawn_tui.screens.help",
    "nspawn_tui.screens.processes",
    "nspawn_tui.screens.images",
    "nspawn_tui.screens.limits_editor",
    "nspawn_tui.widgets.log_view",
    "nspawn_tui.terminal.relay",
    "nspawn_tui.web",
    "nspawn_tui.exporter",
    "nspawn_tui.fleet.host",
    "textual.widgets._data_table",
    "regex",
    "pyroute2",
)


#: Runs ``nspawn-tui --demo`` as the entry point does (options, config file,
#: hosts, the demo host, the app), with the app's ``run`` replaced by the
#: dashboard's first poll; then uses processes, limits and logs.  The
#: environment has no config file (HOME and XDG_CONFIG_HOME are the test's).
START = """
import asyncio, json, sys
import nspawn_tui.app
from nspawn_tui import cli

seen = {}

async def first_poll(host):
    await host.connect()
    await host.snapshot()
    machines = await host.list_machines()
    await host.list_images()
    running = next(m.name for m in machines if m.running)
    await host.machine_details(running)
    return running

async def use(host, running):
    await host.processes(running)
    await host.unit_limits(running)
    from nspawn_tui.journal.sources import LogOptions
    events = host.follow_logs([running], LogOptions(lines=1, follow=False))
    await anext(aiter(events))

def run(app, *args, **kwargs):
    import nspawn_tui.host.machined.host  # the real host's start too
    running = asyncio.run(first_poll(app.host))
    seen["start"] = sorted(sys.modules)
    asyncio.run(use(app.host, running))
    seen["used"] = sorted(sys.modules)

nspawn_tui.app.NspawnApp.run = run
status = cli.main(["--demo", "--demo-machines", "100"])
print(json.dumps([status, seen["start"], seen["used"]]))
"""


def _modules_at_start_and_after_use(home: Path) -> tuple[set[str], set[str]]:
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config")}
    result = subprocess.run(
        [sys.executable, "-c", START], capture_output=True, text=True, check=True, timeout=60,
        env=env,
    )  # fmt: skip
    status, at_start, after_use = json.loads(result.stdout.splitlines()[-1])
    assert status == 0
    return set(at_start), set(after_use)


def test_the_first_frame_loads_nothing_it_does_not_need(tmp_path: Path) -> None:
    at_start, after_use = _modules_at_start_and_after_use(tmp_path)
    loaded = [name for name in DEFERRED if name in at_start]
    assert loaded == [], f"loaded before the first frame: {loaded}"
    # The check can fail: using processes, limits and logs loads their modules.
    for name in (
        "nspawn_tui.host.demo.process_tree",
        "nspawn_tui.units.limits",
        "nspawn_tui.host.demo.journal",
        "nspawn_tui.journal.sources",
    ):
        assert name in after_use, name
