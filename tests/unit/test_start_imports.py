"""What the dashboard's first frame does not need is not loaded before it (issue 16).

A fresh interpreter imports what ``nspawn-tui`` imports to start (the entry
point, the app, the dashboard, both hosts), builds a demo host and makes the
dashboard's first poll.  None of the modules below may be loaded by then:
each costs milliseconds of the first frame (benchmarks/README.md, where the
first frame's time goes).  Then it uses a few of them (processes, limits,
logs), which must load them: the check can fail.
"""

from __future__ import annotations

import json
import subprocess
import sys

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


def _modules_at_start_and_after_use() -> tuple[set[str], set[str]]:
    code = (
        "import asyncio, json, sys\n"
        "from nspawn_tui import cli\n"
        "import nspawn_tui.app, nspawn_tui.screens.dashboard\n"
        "import nspawn_tui.host.machined.host\n"
        "from nspawn_tui.host.demo.host import DemoHost\n"
        "host = DemoHost(machines=100, frozen=True)\n"
        "async def first_poll():\n"
        "    await host.connect()\n"
        "    await host.snapshot()\n"
        "    machines = await host.list_machines()\n"
        "    await host.list_images()\n"
        "    running = next(m.name for m in machines if m.running)\n"
        "    await host.machine_details(running)\n"
        "    return running\n"
        "running = asyncio.run(first_poll())\n"
        "at_start = sorted(sys.modules)\n"
        "async def use():\n"
        "    await host.processes(running)\n"
        "    await host.unit_limits(running)\n"
        "    from nspawn_tui.journal.sources import LogOptions\n"
        "    events = host.follow_logs([running], LogOptions(lines=1, follow=False))\n"
        "    await anext(aiter(events))\n"
        "asyncio.run(use())\n"
        "print(json.dumps([at_start, sorted(sys.modules)]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    at_start, after_use = json.loads(result.stdout)
    return set(at_start), set(after_use)


def test_the_first_frame_loads_nothing_it_does_not_need() -> None:
    at_start, after_use = _modules_at_start_and_after_use()
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
