"""The Textual application: one Host, the dashboard, global keys."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from nspawn_tui.config.model import Config
from nspawn_tui.host.base import Host
from nspawn_tui.journal.store import DEFAULT_SCROLLBACK
from nspawn_tui.screens.dashboard import DashboardScreen, logs_screen
from nspawn_tui.screens.help import HelpScreen
from nspawn_tui.terminal.lifeline import EXIT_HANGUP, Lifeline
from nspawn_tui.terminal.relay import RelayResult, relay, restore_terminal_modes
from nspawn_tui.widgets.safe_text import notify_plain


def styles_dir() -> Path:
    """Where the .tcss files are: inside the installed package, or the source tree's styles/."""
    packaged = Path(__file__).resolve().parent / "styles"
    if (packaged / "app.tcss").is_file():
        return packaged
    source = Path(__file__).resolve().parent.parent / "styles"
    if (source / "app.tcss").is_file():
        return source
    raise FileNotFoundError(
        f"nspawn-tui's styles are missing (looked in {packaged} and {source}); reinstall the package"
    )


AttachRunner = Callable[["NspawnApp", int, bool], RelayResult]


def run_attached(app: NspawnApp, fd: int, login: bool) -> RelayResult:
    """Hand the terminal to the PTY until ^]^]^] or its end; the dashboard then returns.

    A lost terminal, SIGHUP or SIGTERM during the relay ends it and the app.
    """
    lifeline = app.lifeline
    with app.suspend():
        try:
            result = relay(
                fd,
                ignore_vhangup=login,
                abort_fd=lifeline.abort_fd if lifeline is not None else None,
            )
            if result.reason == "hangup":
                if lifeline is not None:
                    lifeline.end(EXIT_HANGUP, result.message)  # first end wins; exits the app
                else:
                    app.exit(return_code=EXIT_HANGUP)
            return result
        finally:
            restore_terminal_modes(1)


class NspawnApp(App[None]):
    TITLE = "nspawn-tui"
    CSS_PATH = [str(styles_dir() / "app.tcss")]
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?"),
    ]
    #: ctrl+p: every key of the screen as a command, by name (see get_system_commands)
    COMMAND_PALETTE_BINDING = "ctrl+p"

    def __init__(
        self,
        host: Host,
        *,
        interval: float = 1.0,
        attach_runner: AttachRunner = run_attached,
        notice: str | None = None,
        logs: list[str] | None = None,
        scrollback: int = DEFAULT_SCROLLBACK,
        lifeline: Lifeline | None = None,
        config: Config | None = None,
        web: bool = False,
    ) -> None:
        super().__init__()
        #: The user's settings (config file); its problems are shown at start.
        self.config = config or Config()
        #: Served in a browser (``nspawn-tui serve``): no terminal of ours to hand to a shell.
        self.web = web
        #: Ends the app (status 129/143) when the terminal goes or on SIGHUP/SIGTERM.
        self.lifeline = lifeline
        self.scrollback = scrollback
        self.notice = notice
        self.logs = logs
        self.host = host
        self.interval = interval
        self.attach_runner = attach_runner

    async def on_mount(self) -> None:
        if self.lifeline is not None:
            loop = asyncio.get_running_loop()

            def on_end(status: int) -> None:  # in any thread, or a signal handler
                if not loop.is_closed():
                    loop.call_soon_threadsafe(self._end_by_lifeline, status)

            self.lifeline.set_handler(on_end)
        if self.logs:  # `nspawn-tui logs NAME...`: the journal view alone
            screen = logs_screen(self.host, self.logs, self.scrollback)
            await self.push_screen(screen, lambda _: self.exit())
        else:
            dashboard = DashboardScreen(
                self.host, self.interval, attach_pty=self.attach_pty, scrollback=self.scrollback
            )
            await self.push_screen(dashboard)
        if self.notice:
            notify_plain(self, self.notice, severity="warning", timeout=15)

    def attach_pty(self, fd: int, login: bool) -> RelayResult:
        """The dashboard's shell and login: :attr:`attach_runner` with this app."""
        return self.attach_runner(self, fd, login)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette: the keys of ``screen`` (as its help lists them), then help and quit."""
        for binding in Binding.make_bindings(screen.BINDINGS):
            if binding.description:
                key = binding.key_display or self.get_key_display(binding)
                help_text = f"{binding.tooltip} (key {key})" if binding.tooltip else f"key {key}"
                yield SystemCommand(
                    binding.description, help_text, partial(screen.run_action, binding.action)
                )
        yield SystemCommand("Help", "every key of this screen (key ?)", self.action_help)
        yield SystemCommand("Quit", "leave nspawn-tui (key q)", self.action_quit)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen.over(self.screen, read_only=self.host.read_only))

    def _end_by_lifeline(self, status: int) -> None:
        """The user is gone (see nspawn_tui.terminal.lifeline): exit with ``status``."""
        self.exit(return_code=status)

    async def on_unmount(self) -> None:
        if self.lifeline is not None:
            self.lifeline.set_handler(None)
        await self.host.close()
