"""Actions on the simulated host: they change the simulated state as the real ones would.

A mixin of :class:`~nspawn_tui.host.demo.host.DemoHost`.  In live mode a boot or
power-off takes about a second (so the UI's "starting…" is visible); on a
frozen host (tests) it happens at once.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Final

from nspawn_tui.host.base import HostError, SettingsText
from nspawn_tui.host.demo.sim import SimMachine
from nspawn_tui.units.names import SIGRTMIN_4

if TYPE_CHECKING:
    # Loaded when first used, not before the first frame: the journal, the
    # shell and the limits' parsers (benchmarks/README.md, first frame).
    from nspawn_tui.journal.sources import LogEvent, LogOptions

LIVE_DELAY: Final = 1.0

_DEFAULT_SETTINGS: Final = (
    "# Settings of {name} for systemd-nspawn (demo host: kept in memory)\n"
    "[Exec]\nBoot=yes\nPrivateUsers=pick\n\n[Network]\nVirtualEthernet=yes\n"
)


class DemoActions:
    seed: int
    frozen: bool
    _machines: dict[str, SimMachine]
    _limits_text: dict[str, dict[str, str]]
    _settings_text: dict[str, str]

    def _get(self, name: str) -> SimMachine:
        raise NotImplementedError

    def now(self) -> float:
        raise NotImplementedError

    def _set_state(self, name: str, state: str) -> None:
        raise NotImplementedError

    def _init_actions(self) -> None:
        self._limits_text = {}
        self._settings_text = {}
        self._pending: set[asyncio.TimerHandle] = set()

    def _later(self, name: str, state: str) -> None:
        """Change state now (frozen) or after LIVE_DELAY (live), like a real boot."""
        if self.frozen:
            self._set_state(name, state)
            return

        def apply() -> None:
            self._pending.discard(handle)
            if name in self._machines:
                self._set_state(name, state)

        handle = asyncio.get_running_loop().call_later(LIVE_DELAY, apply)
        self._pending.add(handle)

    def _running(self, name: str, what: str) -> SimMachine:
        m = self._get(name)
        if not m.running:
            raise HostError(f"{what} {name}: the machine is not running")
        return m

    async def _do_start(self, name: str) -> None:
        m = self._get(name)
        if m.running:
            raise HostError(f"boot {name}: it is already running")
        if m.spec.image_type is None:
            raise HostError(
                f"boot {name}: no image to boot (it is a VM registered by its own tool)"
            )
        self._later(name, "running")

    async def _do_poweroff(self, name: str) -> None:
        self._running(name, "power off")
        self._set_state(name, "closing")
        self._later(name, "stopped")

    async def _do_reboot(self, name: str) -> None:
        self._running(name, "reboot")
        self._set_state(name, "stopped")
        self._later(name, "running")

    async def _do_terminate(self, name: str) -> None:
        self._running(name, "terminate")
        self._set_state(name, "stopped")

    async def _do_kill(self, name: str, signal_number: int, who: str) -> None:
        self._running(name, "kill")
        if who not in {"leader", "all"}:
            raise HostError(f"kill: 'who' must be leader or all, not {who!r}")
        if signal_number == int(signal.SIGKILL) or (
            who == "all" and signal_number == int(signal.SIGTERM)
        ):
            self._set_state(name, "stopped")
        elif who == "leader" and signal_number in (SIGRTMIN_4, int(signal.SIGTERM)):
            await self._do_poweroff(name)
        elif who == "leader" and signal_number == int(signal.SIGINT):
            await self._do_reboot(name)

    async def _do_enable(self, name: str, enable: bool) -> None:
        m = self._get(name)
        if m.spec.image_type is None:
            raise HostError(f"{'enable' if enable else 'disable'} {name}: not a container image")
        m.enabled = enable

    async def _do_open_shell(self, name: str, user: str, command: Sequence[str]) -> int:
        from nspawn_tui.host.demo.shell import open_demo_shell

        self._running(name, "shell in")
        return await asyncio.to_thread(open_demo_shell, name, user or "root")

    async def _do_open_login(self, name: str) -> int:
        from nspawn_tui.host.demo.shell import open_demo_shell

        self._running(name, "login to")
        return await asyncio.to_thread(open_demo_shell, name, "root")

    async def unit_limits(self, name: str) -> dict[str, str]:
        from nspawn_tui.units import limits

        m = self._get(name)
        values = {field.name: "" for field in limits.LIMIT_FIELDS}
        values["CPUQuota"] = ""
        values["MemoryMax"] = limits.format_limit("MemoryMax", m.memory_max)
        values["MemoryHigh"] = limits.format_limit("MemoryHigh", m.memory_high)
        values["TasksMax"] = limits.format_limit("TasksMax", m.tasks_max)
        values.update(self._limits_text.get(name, {}))
        return values

    async def _do_set_limits(self, name: str, values: dict[str, str], runtime: bool) -> None:
        from nspawn_tui.units import limits

        m = self._get(name)
        parsed, errors = limits.validate_all(values)
        if errors:
            raise HostError("; ".join(errors.values()))
        for field, value in parsed.items():
            prop, _sig, raw = value.to_dbus()
            if prop == "MemoryMax" and isinstance(raw, int):
                m.memory_max = raw
            elif prop == "MemoryHigh" and isinstance(raw, int):
                m.memory_high = raw
            elif prop == "TasksMax" and isinstance(raw, int):
                m.tasks_max = raw
            self._limits_text.setdefault(name, {})[field] = value.text
        m.row = None

    def follow_logs(self, names: Sequence[str], options: LogOptions) -> AsyncIterator[LogEvent]:
        from nspawn_tui.host.demo.journal import DemoJournal

        stopped = [n for n in names if n in self._machines and not self._machines[n].running]
        journal = DemoJournal(seed=self.seed, clock=self.now, stopped=stopped)
        return journal.follow([n for n in names if n in self._machines], options)

    async def read_settings(self, name: str) -> SettingsText:
        self._get(name)
        path = f"/etc/systemd/nspawn/{name}.nspawn"
        if name in self._settings_text:
            return SettingsText(path, self._settings_text[name], True)
        return SettingsText(path, _DEFAULT_SETTINGS.format(name=name), True)

    async def _do_write_settings(self, name: str, text: str) -> str:
        from nspawn_tui.nspawn import settings as nspawn_file

        self._get(name)
        try:
            nspawn_file.parse_checked(text)
        except nspawn_file.SettingsError as exc:
            raise HostError(str(exc)) from None
        self._settings_text[name] = text
        return f"saved the settings of {name} (demo: in memory); they take effect at its next boot"
