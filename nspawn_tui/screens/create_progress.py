"""The progress of a creation: its steps and their commands, a bar, the log's tail.

Reads :meth:`Creation.updates` in a worker until a reading is finished or
has an error.  Shows each step with its state and shell equivalent, the
bootstrapper's stage (``Retrieving 37/120 packages``), a bar from
``CreateProgress.fraction`` (indeterminate while it is None), the time
elapsed and the last lines of the running tool's output (cleaned, never
markup).  Cancel asks first, then :meth:`Creation.cancel` (the tree is
removed).  When done: Boot now (``Host.start``) and Close; on failure, the
error and the log's tail stay on screen.

The screen holds its parts rather than querying for them: a reading may
come while the app ends, after Textual has removed them (a creation runs for
minutes, and quitting meanwhile must not end in a traceback).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Log, ProgressBar, Static

from nspawn_tui.create.model import CreatePlan, CreateProgress, Creation, Step
from nspawn_tui.host.base import Host, HostError
from nspawn_tui.safe import clean
from nspawn_tui.screens.confirm import ConfirmScreen
from nspawn_tui.screens.span_compositor import use_span_compositor
from nspawn_tui.units.names import machinectl
from nspawn_tui.view.formatting import format_duration
from nspawn_tui.widgets.safe_text import notify_plain, plain

#: How each step's state is drawn.
MARKS: Final[dict[str, tuple[str, str]]] = {
    "pending": ("·", "dim"),
    "running": ("▶", "bold"),
    "done": ("✓", "green"),
    "failed": ("✗", "bold red"),
    "skipped": ("–", "dim"),
    "cancelled": ("✗", "yellow"),
}
#: The log lines kept on screen.
LOG_LINES: Final = 200


def steps_content(steps: tuple[Step, ...]) -> Content:
    """Each step's mark and title, then its command (and why it failed or was skipped)."""
    parts: list[Content] = []
    for step in steps:
        mark, style = MARKS.get(step.state, ("?", ""))
        line = Content.assemble((mark, style), " ", (clean(step.title), style))
        if step.state in ("failed", "skipped", "cancelled") and step.detail:
            line += Content.assemble(("  " + clean(step.detail), "dim"))
        parts.append(line)
        parts.append(Content.assemble(("    $ " + clean(step.command), "dim")))
    return Content("\n").join(parts)


def stage_text(progress: CreateProgress, elapsed: float) -> str:
    """``Retrieving 37/120 packages · 1m 23s``."""
    words = [clean(progress.stage)] if progress.stage else []
    if progress.total:
        words.append(f"{progress.done}/{progress.total} packages")
    elif progress.done:
        words.append(f"{progress.done} packages")
    current = progress.current
    if not words and current is not None:
        words.append(clean(current.title))
    return " ".join(words + ["·", format_duration(elapsed), "elapsed"]).lstrip("· ")


class CreateProgressScreen(Screen[None]):
    """Follows one creation to its end."""

    BINDINGS = [
        Binding("escape", "leave", "Cancel / Close", id="create_progress.leave"),
        Binding("b", "boot", "Boot now", id="create_progress.boot"),
    ]
    DEFAULT_CSS = """
    CreateProgressScreen { background: $surface; }
    CreateProgressScreen #cp-title { text-style: bold; padding: 0 1; }
    CreateProgressScreen #cp-steps { padding: 0 1; height: auto; margin-top: 1; }
    CreateProgressScreen #cp-stage { padding: 0 1; margin-top: 1; }
    CreateProgressScreen ProgressBar { padding: 0 1; }
    CreateProgressScreen #cp-result { padding: 0 1; height: auto; }
    CreateProgressScreen #cp-result.-error { color: $error; }
    CreateProgressScreen #cp-result.-done { color: $success; }
    CreateProgressScreen #cp-log-box { border: round $primary; height: 1fr; min-height: 4;
        margin: 0 1; }
    CreateProgressScreen Log { height: 1fr; background: $surface; }
    CreateProgressScreen #cp-buttons { height: auto; align-horizontal: right; padding: 0 1; }
    CreateProgressScreen #cp-buttons Button { margin-left: 1; }
    """

    def __init__(
        self,
        host: Host,
        plan: CreatePlan,
        creation: Creation,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        use_span_compositor(self)
        self.clock = clock  # counts the seconds between readings
        self.host = host
        self.plan = plan
        self.creation = creation
        self.last: CreateProgress | None = None
        self.finished = False
        self.failed = ""
        self.cancelled = False
        self._seen_at = clock()  # when the last reading came
        self._tail: tuple[str, ...] = ()
        self._steps = Static("", id="cp-steps")
        self._stage = Static("starting…", id="cp-stage")
        self._bar = ProgressBar(total=None, show_eta=False, id="cp-bar")
        self._result = Static("", id="cp-result")
        self._log_lines = Log(max_lines=LOG_LINES, id="cp-log")
        self._boot_button = Button("Boot now (b)", id="cp-boot", variant="success", compact=True)
        self._cancel_button = Button("Cancel (Esc)", id="cp-cancel", variant="error", compact=True)
        self._close_button = Button("Close (Esc)", id="cp-close", variant="primary", compact=True)

    def compose(self) -> ComposeResult:
        title = self.creation.description or f"Creating {self.plan.name}"
        yield Static(plain(title), id="cp-title")
        yield self._steps
        yield self._stage
        yield self._bar
        yield self._result
        with Vertical(id="cp-log-box"):
            yield self._log_lines
        with Horizontal(id="cp-buttons"):
            yield self._boot_button
            yield self._cancel_button
            yield self._close_button

    def on_mount(self) -> None:
        self.query_one("#cp-log-box").border_title = "log"
        self._result.display = False
        self._set_buttons()
        self.set_interval(1.0, self._tick)
        self._follow()

    # -------------------------------------------------------------- readings

    @work(group="create-follow", exclusive=True)
    async def _follow(self) -> None:
        try:
            async for reading in self.creation.updates():
                self.show(reading)
                if reading.finished or reading.error:
                    break
        except HostError as exc:
            self._end(error=str(exc))
            return
        if not self.finished and not self.failed:
            self._end(error="the creation ended without saying how")

    def show(self, reading: CreateProgress) -> None:
        """Draw one reading."""
        self.last = reading
        self._seen_at = self.clock()
        self._steps.update(Content.assemble(steps_content(reading.steps)))
        self._tick()
        bar = self._bar
        if reading.finished:
            bar.update(total=1.0, progress=1.0)
        elif reading.fraction is None:
            bar.update(total=None)
        else:
            bar.update(total=1.0, progress=max(0.0, min(1.0, reading.fraction)))
        if reading.log_tail != self._tail:
            self._tail = reading.log_tail
            log = self._log_lines
            if log.is_attached:  # a Log writes through a worker: none once it is removed
                log.clear()
                log.write_lines([clean(line) for line in reading.log_tail[-LOG_LINES:]])
        if reading.error:
            self._end(error=reading.error)
        elif reading.finished:
            self._end()

    def _tick(self) -> None:
        reading = self.last
        if reading is None:
            return
        elapsed = reading.elapsed
        if not self.finished and not self.failed:
            elapsed += self.clock() - self._seen_at
        self._stage.update(plain(stage_text(reading, elapsed)))

    def _end(self, error: str = "") -> None:
        result = self._result
        tree = self.plan.tree
        if error:
            self.failed = error
            directory = self.plan.directory
            if self.cancelled:
                text = f"Cancelled: {tree} removed, nothing left in {directory}."
            else:
                text = f"Failed: {error}\nNothing was left in {directory}; the log's tail is below."
            result.set_class(True, "-error")
        else:
            self.finished = True
            started = self.plan.start
            text = f"Created {self.plan.name} in {tree}." + (
                " It is starting." if started else " Boot it now, or later from the list (b)."
            )
            result.set_class(True, "-done")
        result.update(plain(text, lines=True))
        result.display = True
        self._set_buttons()

    def _set_buttons(self) -> None:
        ended = self.finished or bool(self.failed)
        self._cancel_button.display = not ended
        self._close_button.display = ended
        self._boot_button.display = self.finished and not self.plan.start
        if ended and self._close_button.is_attached:
            self._close_button.focus()

    # -------------------------------------------------------------- actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "boot":
            return self.finished and not self.plan.start
        return True

    @on(Button.Pressed, "#cp-boot")
    def _boot_pressed(self) -> None:
        self.action_boot()

    @on(Button.Pressed, "#cp-cancel")
    @on(Button.Pressed, "#cp-close")
    def _leave_pressed(self) -> None:
        self.action_leave()

    def action_leave(self) -> None:
        if self.finished or self.failed:
            self.dismiss(None)
        else:
            self._ask_cancel()

    @work(group="create-cancel", exclusive=True)
    async def _ask_cancel(self) -> None:
        command = f"kill the bootstrapper; rm -rf {self.plan.tree}"
        confirmed = await self.app.push_screen_wait(
            ConfirmScreen(
                "Stop creating",
                [self.plan.name],
                command,
                question="this container? What it made so far is removed.",
                no_label="Keep going (n)",
            )
        )
        if not confirmed or self.finished or self.failed:
            return
        self.cancelled = True
        self._stage.update("cancelling…")
        try:
            await self.creation.cancel()
        except HostError as exc:
            self.cancelled = False
            notify_plain(self, str(exc), title="Cancel failed", severity="error", timeout=12)
            return
        if not self.failed:
            self._end(error="cancelled")

    @work(group="create-boot", exclusive=True)
    async def action_boot(self) -> None:
        if not self.finished:
            return
        try:
            await self.host.start(self.plan.name)
        except HostError as exc:
            notify_plain(self, str(exc), title="Boot failed", severity="error", timeout=12)
            return
        notify_plain(self, f"$ {machinectl('start', self.plan.name)}", title="Boot: sent")
        self.dismiss(None)
