"""The Textual application: one Host, the dashboard, global keys."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events
from textual.actions import ActionParseResult, parse
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen

from nspawn_tui.config.model import Config, ConfigProblem
from nspawn_tui.host.base import Host
from nspawn_tui.screens.app_keys import APP_BINDINGS, ATTACH_ACTIONS
from nspawn_tui.screens.dashboard import DashboardScreen, logs_screen
from nspawn_tui.terminal.lifeline import EXIT_HANGUP, Lifeline
from nspawn_tui.widgets.key_queue import KeyQueue
from nspawn_tui.widgets.safe_text import notify_plain
from nspawn_tui.widgets.themes import apply_theme, theme_commands

if TYPE_CHECKING:
    from textual.command import Provider

    from nspawn_tui.terminal.relay import RelayResult

# Loaded when first used, not before the first frame: the help screen (which
# loads the journal view to list its keys), the palette's machine commands and
# the shell relay.


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


AttachRunner = Callable[["NspawnApp", int, bool], "RelayResult"]


def web_attach_refusal(kind: str) -> str:
    """Why a shell or login (``kind``) is refused in a browser (``nspawn-tui serve``)."""
    return f"a {kind} needs a terminal: use nspawn-tui {kind} NAME over ssh"


def run_attached(app: NspawnApp, fd: int, login: bool) -> RelayResult:
    """Hand the terminal to the PTY until ^]^]^] or its end; the dashboard then returns.

    A lost terminal, SIGHUP or SIGTERM during the relay ends it and the app.
    """
    from nspawn_tui.terminal.relay import relay, restore_terminal_modes

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


def machine_commands() -> type[Provider]:
    """The palette's commands per machine and action (loaded when the palette opens)."""
    from nspawn_tui.screens.palette import MachineCommands

    return MachineCommands


class NspawnApp(App[None]):
    TITLE = "nspawn-tui"
    CSS_PATH = [str(styles_dir() / "app.tcss")]
    BINDINGS = APP_BINDINGS  # every binding has an id: the config's [keys] rebinds it
    #: ctrl+p: every key of the screen as a command, by name (see get_system_commands)
    COMMAND_PALETTE_BINDING = "ctrl+p"
    #: ... and a command per machine and action ("Shell web"): screens/palette.py
    COMMANDS = App.COMMANDS | {machine_commands}

    def __init__(
        self,
        host: Host,
        *,
        interval: float | None = None,  # None: the config's
        attach_runner: AttachRunner = run_attached,
        notice: str | None = None,
        logs: list[str] | None = None,
        scrollback: int | None = None,  # None: the config's
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
        self.scrollback = self.config.scrollback if scrollback is None else scrollback
        self.notice = notice
        self.logs = logs
        self.host = host
        self.interval = self.config.interval if interval is None else interval
        self.attach_runner = attach_runner
        #: The keys from the terminal, handed out one at a time (widgets/key_queue.py).
        self.key_queue = KeyQueue(self)

    async def on_event(self, event: events.Event) -> None:
        """A key from the terminal waits until the keys typed before it are done."""
        await self.key_queue.on_event(event, super().on_event)

    async def on_mount(self) -> None:
        key_problems: list[ConfigProblem] = []
        if self.config.keys:  # the table of every binding loads every screen: only for [keys]
            from nspawn_tui.screens.keymap import keymap_from_config

            keymap, key_problems = keymap_from_config(self.config)  # bad ones: their defaults
            self.set_keymap(keymap)
        # before the first frame: ours registered, the config's theme (unknown: a toast)
        await apply_theme(self, self.config.theme, self.config.path)
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
        for problem in (*self.config.problems, *key_problems):  # once, at start (cleaned)
            notify_plain(self, str(problem), title="Config", severity="warning", timeout=20)

    def attach_pty(self, fd: int, login: bool) -> RelayResult:
        """The dashboard's shell and login: :attr:`attach_runner` with this app.

        In a browser there is no terminal of ours to hand over: refused, never run.
        """
        if self.web:
            from nspawn_tui.terminal.relay import RelayResult

            return RelayResult("error", web_attach_refusal("login" if login else "shell"))
        return self.attach_runner(self, fd, login)

    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        """Every action (keys, palette, buttons); in a browser a shell or login is refused first."""
        name = (parse(action) if isinstance(action, str) else action)[1]
        if self.web and name in ATTACH_ACTIONS and isinstance(default_namespace, DashboardScreen):
            kind = "login" if name == "login" else "shell"
            refusal = web_attach_refusal(kind)
            notify_plain(self, refusal, title=kind.capitalize(), severity="warning")
            return True
        return await super().run_action(action, default_namespace, namespaces)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette: the keys of ``screen`` (as its help lists them), then help and quit."""
        from nspawn_tui.screens.help import action_keys

        keys, app_keys = action_keys(self, screen.BINDINGS), action_keys(self, self.BINDINGS)
        for binding in Binding.make_bindings(screen.BINDINGS):
            if binding.description:
                key = keys[binding.action]  # the keys in force (the config's keymap applied)
                help_text = f"{binding.tooltip} (key {key})" if binding.tooltip else f"key {key}"
                yield SystemCommand(
                    binding.description, help_text, partial(screen.run_action, binding.action)
                )
        help_key, quit_key = app_keys["help"], app_keys["quit"]
        yield from theme_commands(self)  # "Theme: NAME" for each theme
        yield SystemCommand("Help", f"every key of this screen (key {help_key})", self.action_help)
        yield SystemCommand("Quit", f"leave nspawn-tui (key {quit_key})", self.action_quit)

    def action_help(self) -> None:
        from nspawn_tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen.over(self.screen, read_only=self.host.read_only))

    def _end_by_lifeline(self, status: int) -> None:
        """The user is gone (see nspawn_tui.terminal.lifeline): exit with ``status``."""
        self.exit(return_code=status)

    async def on_unmount(self) -> None:
        if self.lifeline is not None:
            self.lifeline.set_handler(None)
        await self.host.close()
