"""The dashboard's action keys: lifecycle, shell/login attach, limits, settings.

A mixin of :class:`~nspawn_tui.screens.dashboard.DashboardScreen`, kept apart
so each module stays small.  Every action goes through the Host (which
enforces ``--read-only``); results come back as notifications naming the
equivalent command.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol

from textual import work
from textual.screen import Screen

from nspawn_tui.host.base import Host, HostError, Machine, ReadOnlyError, Snapshot
from nspawn_tui.screens.confirm import ConfirmScreen, config_of
from nspawn_tui.view.actions import ACTION_TIMEOUT, ACTIONS, ActionSpec
from nspawn_tui.view.formatting import format_bytes, format_count, format_percent
from nspawn_tui.view.rows import Row
from nspawn_tui.widgets.machine_table import MachineTable
from nspawn_tui.widgets.safe_text import notify_plain

if TYPE_CHECKING:  # their screens load when first asked for, not before the first frame
    from nspawn_tui.screens.kill_picker import KillChoice
    from nspawn_tui.screens.shell_prompt import ShellRequest

_HOST_CALLS: Final[dict[str, Callable[..., Awaitable[object]]]] = {
    "boot": Host.start,
    "poweroff": Host.poweroff,
    "reboot": Host.reboot,
    "terminate": Host.terminate,
    "kill": Host.kill,
    "enable": Host.enable,
    "disable": Host.disable,
    "shell": Host.open_shell,
    "shell_as": Host.open_shell,
    "login": Host.open_login,
    "edit": Host.set_limits,
    "settings": Host.write_settings,
    "create": Host.create_container,
}

#: The name of the Host method each dashboard action that changes the host ends
#: up calling (taken from the methods themselves, so a rename cannot leave it
#: behind).  Whether it is refused on a read-only host comes from the method's
#: :func:`~nspawn_tui.host.base.mutating` mark (``Host.refusal``), never from
#: here; a test checks that every marked method has its action in this table.
HOST_METHODS: Final[dict[str, str]] = {
    action: method.__name__ for action, method in _HOST_CALLS.items()
}


class AttachOutcome(Protocol):
    """How a shell or login session gave the terminal back (a relay's result)."""

    @property
    def reason(self) -> str: ...  # "escaped", "exited", "error" or "hangup"

    @property
    def message(self) -> str: ...


#: Hands the user's terminal to a PTY (its fd, and whether it is a login)
#: until the session ends; the app gives one to the dashboard.
Attach = Callable[[int, bool], AttachOutcome]


@dataclass(slots=True)
class Pending:
    label: str  # "starting…"
    done_when: str  # "running" or "gone"
    deadline: float  # time.monotonic()
    action: str


class ActionsMixin(Screen[None]):
    host: Host
    interval: float
    attach_pty: Attach
    snapshot: Snapshot | None
    _pending: dict[str, Pending]

    # ------------------------------------------------------------ read-only

    def read_only_refusal(self, action: str) -> ReadOnlyError | None:
        """Why the dashboard action ``action`` is refused before it starts, or None."""
        method = HOST_METHODS.get(action)
        return None if method is None else self.host.refusal(method)

    def refuse_read_only(self, action: str) -> bool:
        """Say at once that ``action`` is refused on a read-only host (no dialog first)."""
        refused = self.read_only_refusal(action)
        if refused is None:
            return False
        notify_plain(self, refused, title="Read-only", severity="warning")
        return True

    # ------------------------------------------------------------ progress

    def _decorate_rows(self, rows: list[Row]) -> list[Row]:
        """Show an action in flight in the state cell ("starting…")."""
        if not self._pending:
            return rows
        out = []
        for row in rows:
            pending = self._pending.get(row.name)
            if pending is not None:
                cells = (row.cells[0], pending.label, *row.cells[2:])
                row = replace(row, cells=cells)
            out.append(row)
        return out

    def _settle_pending(self, snapshot: Snapshot) -> None:
        if not self._pending or not snapshot.connected:
            return
        states = {m.name: m for m in snapshot.machines}
        now = time.monotonic()
        for name, pending in list(self._pending.items()):
            machine = states.get(name)
            running = machine is not None and machine.state == "running"
            if (pending.done_when == "running" and running) or (
                pending.done_when == "gone" and (machine is None or not machine.running)
            ):
                del self._pending[name]
                notify_plain(
                    self, f"{name}: {'running' if running else 'stopped'}", title=pending.action
                )
            elif now > pending.deadline:
                del self._pending[name]
                notify_plain(
                    self,
                    f"{name}: still not {'running' if pending.done_when == 'running' else 'stopped'}"
                    f" after {ACTION_TIMEOUT:g}s",
                    title=pending.action,
                    severity="warning",
                )

    # ------------------------------------------------------------ helpers

    def _machines(self, names: Sequence[str]) -> list[Machine]:
        if self.snapshot is None:
            return []
        by_name = {m.name: m for m in self.snapshot.machines}
        return [by_name[n] for n in names if n in by_name]

    def _targets(self) -> list[str]:
        return self.query_one(MachineTable).targets()

    def _eligible(self, spec: ActionSpec, names: Sequence[str]) -> list[str]:
        return self._filter_state(names, spec.label, spec.needs_running, spec.needs_stopped)

    def _filter_state(
        self, names: Sequence[str], label: str, running: bool, stopped: bool = False
    ) -> list[str]:
        """The machines in a state the action accepts; a notice for each other one."""
        chosen = []
        for m in self._machines(names):
            if running and not m.running:
                notify_plain(self, f"{m.name} is not running", title=label, severity="warning")
            elif stopped and m.running:
                notify_plain(self, f"{m.name} is already running", title=label, severity="warning")
            else:
                chosen.append(m.name)
        return chosen

    def _host_call(
        self, key: str, kill: KillChoice | None = None
    ) -> Callable[[str], Awaitable[None]]:
        """The Host method lifecycle action ``key`` calls, given a machine's name."""
        host = self.host
        match key:
            case "start":
                return host.start
            case "poweroff":
                return host.poweroff
            case "reboot":
                return host.reboot
            case "terminate":
                return host.terminate
            case "kill" if kill is not None:
                return lambda name: host.kill(name, kill.signal, kill.who)
            case "enable":
                return host.enable
            case "disable":
                return host.disable
        raise ValueError(f"no Host call for the action {key!r}")

    async def _perform(
        self,
        spec: ActionSpec,
        names: list[str],
        command: str,
        call: Callable[[str], Awaitable[None]],
    ) -> None:
        if spec.progress and spec.done_when:
            for name in names:
                self._pending[name] = Pending(
                    spec.progress, spec.done_when, time.monotonic() + ACTION_TIMEOUT, spec.label
                )
            self._rerender()
        results = await asyncio.gather(*(call(name) for name in names), return_exceptions=True)
        failed = []
        for name, result in zip(names, results, strict=True):
            if isinstance(result, HostError):
                self._pending.pop(name, None)
                failed.append(name)
                notify_plain(self, str(result), title=f"{spec.label} failed", severity="error",
                            timeout=12)  # fmt: skip
            elif isinstance(result, BaseException):
                raise result
        done = [n for n in names if n not in failed]
        if done:
            notify_plain(self, f"$ {command}", title=f"{spec.label}: sent to {', '.join(done)}")
        self._rerender()
        self._wake.set()

    def _rerender(self) -> None:
        raise NotImplementedError

    _wake: asyncio.Event

    @work(group="action")
    async def _action(self, key: str) -> None:
        spec = ACTIONS[key]
        names = self._eligible(spec, self._targets())
        if not names:
            return
        if key == "kill":
            from nspawn_tui.screens.kill_picker import KillPicker

            choice: KillChoice | None = await self.app.push_screen_wait(KillPicker(names))
            if choice is None:
                return
            command = spec.command(names, signal_number=choice.signal, who=choice.who)
            call = self._host_call(key, choice)
        else:
            command = spec.command(names)
            call = self._host_call(key)
        # the config's [confirm] can turn a question off (or on: reboot)
        asks = config_of(self.app).confirm.get(key, spec.destructive)
        if asks and not await self.app.push_screen_wait(ConfirmScreen(spec.label, names, command)):
            return
        await self._perform(spec, names, command, call)

    def action_boot(self) -> None:
        self._action("start")

    def action_poweroff(self) -> None:
        self._action("poweroff")

    def action_reboot(self) -> None:
        self._action("reboot")

    def action_terminate(self) -> None:
        self._action("terminate")

    def action_kill(self) -> None:
        self._action("kill")

    def action_enable(self) -> None:
        self._action("enable")

    def action_disable(self) -> None:
        self._action("disable")

    # ------------------------------------------------------------ views

    def action_processes(self) -> None:
        from nspawn_tui.screens.processes import ProcessesScreen

        name = self.query_one(MachineTable).cursor_name
        if name is None:
            return
        machine = next(iter(self._machines([name])), None)
        if machine is None or not machine.running:
            notify_plain(self, f"{name} is not running", title="Processes", severity="warning")
            return
        self.app.push_screen(ProcessesScreen(self.host, name, self.interval))

    def action_images(self) -> None:
        from nspawn_tui.screens.images import ImagesScreen

        self.app.push_screen(ImagesScreen(self.host, self.interval))

    def action_create(self) -> None:
        from nspawn_tui.screens.create_form import CreateForm

        if not self.refuse_read_only("create"):
            self.app.push_screen(CreateForm(self.host))

    # ------------------------------------------------------------ attach

    def action_shell(self) -> None:
        self._attach_machine("shell", None)

    def action_login(self) -> None:
        self._attach_machine("login", None)

    @work(group="attach", exclusive=True)
    async def action_shell_as(self) -> None:
        name = self.query_one(MachineTable).cursor_name
        if name is None:
            return
        from nspawn_tui.screens.shell_prompt import ShellPrompt

        request: ShellRequest | None = await self.app.push_screen_wait(ShellPrompt(name))
        if request is not None:
            self._attach_machine("shell", request)

    @work(group="attach", exclusive=True)
    async def _attach_machine(self, kind: str, request: ShellRequest | None) -> None:
        name = self.query_one(MachineTable).cursor_name
        if name is None:
            return
        machine = next(iter(self._machines([name])), None)
        if machine is None or not machine.running:
            notify_plain(
                self, f"{name} is not running", title=kind.capitalize(), severity="warning"
            )
            return
        try:
            if kind == "login":
                fd = await self.host.open_login(name)
            else:
                user = request.user if request else "root"
                fd = await self.host.open_shell(name, user, request.command if request else ())
        except HostError as exc:
            notify_plain(self, str(exc), title=f"{kind.capitalize()} failed", severity="error")
            return
        try:
            result = self.attach_pty(fd, kind == "login")
        finally:
            os.close(fd)
        self._wake.set()
        snapshot = await self.host.snapshot()
        still = any(m.name == name and m.running for m in snapshot.machines)
        if result.reason == "error":
            notify_plain(self, result.message, title=kind.capitalize(), severity="error")
        elif not still:
            notify_plain(self, f"{name} is no longer running", title=kind.capitalize(),
                        severity="warning")  # fmt: skip
        else:
            notify_plain(self, result.message, title=f"Back from {name}")

    # ------------------------------------------------------------ limits

    @work(group="edit", exclusive=True)
    async def action_edit(self) -> None:
        from nspawn_tui.screens.limits_editor import LimitsEditor, LimitsRequest
        from nspawn_tui.units.limits import systemctl_command

        names = self._filter_state(self._targets(), "Resource limits", running=True)
        if not names:
            return
        try:
            current = await self.host.unit_limits(names[0])
        except HostError as exc:
            notify_plain(self, str(exc), title="Resource limits", severity="error")
            return
        request: LimitsRequest | None = await self.app.push_screen_wait(
            LimitsEditor(names, current, self._usage(names[0]))
        )
        if request is None:
            return
        applied = []
        for name in names:
            try:
                await self.host.set_limits(name, request.values, request.runtime)
            except HostError as exc:
                notify_plain(self, str(exc), title=f"Limits of {name} not applied", severity="error",
                            timeout=12)  # fmt: skip
            else:
                applied.append(name)
        if applied:
            commands = "\n".join(
                systemctl_command(n, request.values, request.runtime) for n in applied
            )
            scope = "until reboot (runtime)" if request.runtime else "persistently"
            notify_plain(self, f"$ {commands}", title=f"Limits applied {scope}")
        self._wake.set()

    def _usage(self, name: str) -> dict[str, str]:
        sample = self.snapshot.samples.get(name) if self.snapshot else None
        if sample is None:
            return {}
        cpu = f"CPU {format_percent(sample.cpu_percent)} %"
        memory = f"using {format_bytes(sample.memory_current)}"
        return {
            "CPUQuota": cpu,
            "CPUWeight": cpu,
            "MemoryMax": memory,
            "MemoryHigh": memory,
            "TasksMax": f"{format_count(sample.tasks_current)} tasks",
        }

    # ------------------------------------------------------------ settings

    @work(group="edit", exclusive=True)
    async def action_settings(self) -> None:
        from nspawn_tui.screens.settings_editor import SettingsEditor

        name = self.query_one(MachineTable).cursor_name
        if name is None:
            return
        try:
            settings = await self.host.read_settings(name)
        except HostError as exc:
            notify_plain(self, str(exc), title=".nspawn settings", severity="error")
            return
        text: str | None = await self.app.push_screen_wait(
            SettingsEditor(name, Path(settings.path), settings.text)
        )
        if text is None:
            return
        try:
            message = await self.host.write_settings(name, text)
        except HostError as exc:
            notify_plain(self, str(exc), title=".nspawn settings not saved", severity="error",
                        timeout=12)  # fmt: skip
            return
        notify_plain(self, message, title=".nspawn settings saved")
