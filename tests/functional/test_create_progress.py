"""The progress view of a creation: steps, stage, bar, log tail, cancel, finish and boot.

Readings come from a scripted creation (create_kit.py), pushed by each test:
what is on screen follows them, never a clock.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from create_kit import DONE, RETRIEVING, CreateHost, ScriptedCreation, steps
from hostile import CLEAR, CLIPBOARD, HYPERLINK, MARKUP, TITLE
from screen_text import notifications, screen_text
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Log, ProgressBar

from nspawn_tui.create.model import CreatePlan, CreateProgress
from nspawn_tui.safe import clean
from nspawn_tui.screens.confirm import ConfirmScreen
from nspawn_tui.screens.create_progress import CreateProgressScreen

PLAN = CreatePlan("web1", "debian", "bookworm")


class ProgressApp(App[None]):
    def __init__(self, host: CreateHost, plan: CreatePlan = PLAN) -> None:
        super().__init__()
        self.host = host
        self.plan = plan
        self.was_closed = False

    def on_mount(self) -> None:
        self.push_screen(
            CreateProgressScreen(self.host, self.plan, self.host.creation), self._when_closed
        )

    def _when_closed(self, _: None) -> None:
        self.was_closed = True


async def progress_of(pilot: Pilot[Any]) -> CreateProgressScreen:
    for _ in range(50):
        await pilot.pause(0.02)
        if isinstance(pilot.app.screen, CreateProgressScreen):
            return pilot.app.screen
    raise AssertionError("the progress view never opened")


async def push(pilot: Pilot[Any], creation: ScriptedCreation, *readings: CreateProgress) -> None:
    creation.push(*readings)
    for _ in range(20):
        await pilot.pause(0.02)
        if creation.queue.empty():
            break
    await pilot.pause(0.05)


async def test_a_reading_shows_steps_stage_bar_and_log() -> None:
    host = CreateHost()
    async with ProgressApp(host).run_test(size=(120, 40)) as pilot:
        screen = await progress_of(pilot)
        bar = screen.query_one(ProgressBar)
        assert bar.total is None  # nothing known yet: indeterminate
        await push(pilot, host.creation, RETRIEVING)
        text = screen_text(pilot.app)
        assert "Debian bookworm as web1 in /var/lib/machines" in text
        assert "▶ Bootstrap Debian bookworm" in text
        assert "$ debootstrap --variant=minbase --include=systemd,dbus,systemd-sysv" in text
        assert "· First boot setup" in text and "$ machinectl enable web1" in text
        assert "Retrieving 37/120 packages · 12s elapsed" in text
        assert bar.total == 1.0 and bar.progress == 0.2
        assert "I: Retrieving libc6 2.36-9+deb12u4" in text
        assert "Cancel (Esc)" in text and "Boot now" not in text
        # an unknown fraction again: the bar goes back to indeterminate
        await push(pilot, host.creation, replace(RETRIEVING, stage="Configuring", total=None,
                                                 done=0, fraction=None))  # fmt: skip
        assert bar.total is None
        assert "Configuring · 12s elapsed" in screen_text(pilot.app)


async def test_finished_then_boot_now_starts_the_machine() -> None:
    host = CreateHost()
    app = ProgressApp(host)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await progress_of(pilot)
        await push(pilot, host.creation, RETRIEVING, DONE)
        assert screen.finished and not screen.failed
        text = screen_text(pilot.app)
        assert "Created web1 in /var/lib/machines/web1." in text
        assert "✓ Bootstrap Debian bookworm" in text and "✓ Enable at boot" in text
        assert "Boot now (b)" in text and "Close (Esc)" in text and "Cancel (Esc)" not in text
        assert "41s elapsed" in text
        await pilot.press("b")
        for _ in range(20):
            await pilot.pause(0.02)
            if app.was_closed:
                break
        assert host.started == ["web1"]
        assert app.was_closed
        assert any(n.message == "$ machinectl start web1" for n in notifications(app))


async def test_a_plan_that_starts_by_itself_offers_no_boot() -> None:
    host = CreateHost()
    app = ProgressApp(host, replace(PLAN, start=True))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await progress_of(pilot)
        await push(pilot, host.creation, DONE)
        assert "It is starting." in screen_text(app)
        assert "Boot now" not in screen_text(app)
        await pilot.press("b")
        await pilot.pause(0.1)
        assert host.started == [] and app.screen is screen
        await pilot.press("escape")
        await pilot.pause(0.05)
        assert app.was_closed


async def test_cancel_asks_then_cancels_and_says_nothing_is_left() -> None:
    host = CreateHost()
    app = ProgressApp(host)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await progress_of(pilot)
        await push(pilot, host.creation, RETRIEVING)
        await pilot.press("escape")
        await pilot.pause(0.05)
        assert isinstance(app.screen, ConfirmScreen)
        asked = screen_text(app)
        assert "Stop creating this container? What it made so far is removed." in asked
        assert "• web1" in asked and "Keep going (n)" in asked and "Stop creating (y)" in asked
        assert "$ kill the bootstrapper; rm -rf /var/lib/machines/web1" in asked
        await pilot.press("n")  # no: nothing happens
        await pilot.pause(0.05)
        assert app.screen is screen and host.creation.cancelled == 0
        await pilot.press("escape")
        await pilot.pause(0.05)
        await pilot.press("y")
        for _ in range(20):
            await pilot.pause(0.02)
            if screen.failed:
                break
        assert host.creation.cancelled == 1
        text = screen_text(app)
        assert (
            "Cancelled: /var/lib/machines/web1 removed, nothing left in /var/lib/machines." in text
        )
        assert "✗ Bootstrap Debian bookworm" in text
        assert "Close (Esc)" in text and "Cancel (Esc)" not in text
        await pilot.press("escape")
        await pilot.pause(0.05)
        assert app.was_closed


async def test_a_failure_shows_the_error_and_the_log_tail() -> None:
    host = CreateHost()
    failed = CreateProgress(
        steps("failed"),
        log_tail=("I: Retrieving InRelease", "E: Failed getting release file http://x/Release"),
        elapsed=3.0,
        error="debootstrap failed (exit status 1)",
    )
    async with ProgressApp(host).run_test(size=(120, 40)) as pilot:
        screen = await progress_of(pilot)
        await push(pilot, host.creation, failed)
        assert screen.failed
        text = screen_text(pilot.app)
        assert "Failed: debootstrap failed (exit status 1)" in text
        assert "Nothing was left in /var/lib/machines" in text
        assert "E: Failed getting release file http://x/Release" in text
        assert "✗ Bootstrap Debian bookworm" in text


async def test_hostile_log_lines_are_drawn_literally() -> None:
    host = CreateHost()
    tail = (TITLE + "title", CLIPBOARD + "clip", HYPERLINK, CLEAR + "clear", *MARKUP[:4])
    hostile = replace(
        RETRIEVING, log_tail=tail, stage="Retrieving" + TITLE, error="", finished=False
    )
    async with ProgressApp(host).run_test(size=(120, 40)) as pilot:
        screen = await progress_of(pilot)
        await push(pilot, host.creation, hostile)
        lines = list(screen.query_one(Log).lines)
        assert lines == [clean(line) for line in tail]
        text = screen_text(pilot.app)
        assert "\x1b" not in text and "\x07" not in text
        assert "^[]0;PWNEDtitle" in text.replace("^G", "")  # ESC in caret notation
        for markup in MARKUP[:4]:
            assert clean(markup) in text  # shown as typed, never interpreted
        assert "Retrieving^[]0;PWNED" in text
