"""The real demo path: ``n`` on the demo host, fill in, Create, watch to the end, boot.

The demo host's simulated creation (host/demo/create.py) feeds debootstrap-like
lines to the real parser; its length is shortened here, and every wait is
for a state, never a fixed time.
"""

from __future__ import annotations

from typing import Any

from screen_text import screen_text
from textual.pilot import Pilot
from textual.widgets import Input

from nspawn_tui.app import NspawnApp
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.screens.create_form import CreateForm
from nspawn_tui.screens.create_progress import CreateProgressScreen
from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.widgets.machine_table import MachineTable


async def until(pilot: Pilot[Any], predicate: Any, what: str, tries: int = 300) -> None:
    for _ in range(tries):
        await pilot.pause(0.03)
        if predicate():
            return
    raise AssertionError(f"timed out waiting for {what}")


async def test_create_on_the_demo_host_then_boot_it() -> None:
    host = DemoHost(seed=1, frozen=True)
    host.create_seconds = 0.6
    app = NspawnApp(host, interval=0.3)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen), "the dashboard")
        dashboard = app.screen
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, CreateForm)
                    and app.screen.support is not None, "the form")  # fmt: skip
        form = app.screen
        assert isinstance(form, CreateForm)
        for key, value in (("name", "web1"), ("password", "pw1234"), ("password_again", "pw1234"),
                           ("ports", "8080:80")):  # fmt: skip
            form.query_one(f"#f-{key}", Input).focus()
            await pilot.press(*value)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, CreateProgressScreen), "the progress")
        progress = app.screen
        assert isinstance(progress, CreateProgressScreen)
        assert progress.plan.firstboot.root_password_hash.startswith("$6$")  # openssl's hash
        await until(pilot, lambda: progress.finished or progress.failed, "the end")
        assert progress.finished, progress.failed
        text = screen_text(app)
        assert "Created web1 in /var/lib/machines/web1." in text
        assert "✓ Bootstrap" in text and "I: Base system installed successfully." in text
        await pilot.press("b")
        await until(pilot, lambda: app.screen is dashboard, "the dashboard again")
        table = dashboard.query_one(MachineTable)
        await until(pilot, lambda: table.move_cursor_to_name("web1"), "web1 in the list")
        assert host._get("web1").state in ("starting", "running")
