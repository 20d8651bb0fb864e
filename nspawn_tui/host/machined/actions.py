"""Lifecycle actions, shell/login PTYs and unit properties on a real host.

A mixin of :class:`~nspawn_tui.host.machined.host.MachinedHost`: machine1 for
signals and termination; systemd1 for starting units, enabling them at boot
and setting resource properties; shells and logins through the host's
:class:`~nspawn_tui.host.machined.attach.ShellAttach`.  The read-only check
is done by the public methods in :class:`~nspawn_tui.host.base.Host`, not here.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from dbus_next import Message, MessageType, Variant
from dbus_next.aio import MessageBus

from nspawn_tui.host.base import HostError, Image, SettingsText
from nspawn_tui.host.machined import bus as du
from nspawn_tui.host.machined.attach import ShellAttach
from nspawn_tui.host.machined.logs import CommandPrefix
from nspawn_tui.units.names import SIGRTMIN_4, unit_of

JOB_TIMEOUT: Final = 60.0


class MachinedActions:
    """Needs ``_connected_bus()``, ``_call()``, ``_has_systemd``, ``_shell`` and
    ``command_prefix`` from the host."""

    _has_systemd: bool
    _shell: ShellAttach
    command_prefix: CommandPrefix
    _jobs: dict[str, asyncio.Future[str]]
    _finished_jobs: dict[str, str]
    _subscribed: MessageBus | None

    async def _connected_bus(self) -> MessageBus:
        raise NotImplementedError

    async def list_images(self) -> list[Image]:
        raise NotImplementedError

    def _limits_changed(self, name: str) -> None:
        raise NotImplementedError

    async def _call(
        self,
        member: str,
        signature: str = "",
        body: list[Any] | None = None,
        *,
        what: str | None = None,
    ) -> list[Any]:
        raise NotImplementedError

    def _init_actions(self) -> None:
        self._jobs = {}
        self._finished_jobs = {}
        self._subscribed = None

    # --------------------------------------------------------------- systemd

    async def _systemd_bus(self, what: str) -> MessageBus:
        bus = await self._connected_bus()
        if not self._has_systemd:
            self._has_systemd = await du.name_has_owner(bus, du.SYSTEMD1)
        if not self._has_systemd:
            raise HostError(
                f"{what} needs systemd's service manager (org.freedesktop.systemd1), "
                "which is not on this bus"
            )
        return bus

    async def _manager(
        self, bus: MessageBus, member: str, signature: str, body: list[Any], what: str
    ) -> list[Any]:
        return await du.call(
            bus, du.SYSTEMD1, du.SYSTEMD1_PATH, du.SYSTEMD1_MANAGER, member, signature, body,
            what=what,
        )  # fmt: skip

    async def _subscribe_jobs(self, bus: MessageBus) -> None:
        if self._subscribed is bus:
            return
        bus.add_message_handler(self._on_job_message)
        rule = (
            f"type='signal',sender='{du.SYSTEMD1}',interface='{du.SYSTEMD1_MANAGER}',"
            "member='JobRemoved'"
        )
        await du.call(bus, du.DBUS, du.DBUS_PATH, du.DBUS, "AddMatch", "s", [rule])
        await self._manager(bus, "Subscribe", "", [], "subscribe to systemd jobs")
        self._subscribed = bus

    def _on_job_message(self, msg: Message) -> None:
        if msg.message_type != MessageType.SIGNAL or msg.member != "JobRemoved":
            return
        if len(msg.body) != 4:
            return
        _job_id, job_path, _unit, result = msg.body
        future = self._jobs.pop(str(job_path), None)
        if future is not None and not future.done():
            future.set_result(str(result))
        else:
            self._finished_jobs[str(job_path)] = str(result)
            while len(self._finished_jobs) > 100:
                self._finished_jobs.pop(next(iter(self._finished_jobs)))

    async def _wait_job(self, job_path: str) -> str:
        if job_path in self._finished_jobs:
            return self._finished_jobs.pop(job_path)
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._jobs[job_path] = future
        try:
            return await asyncio.wait_for(future, JOB_TIMEOUT)
        except TimeoutError:
            raise HostError(f"the job {job_path} did not finish within {JOB_TIMEOUT:g}s") from None
        finally:
            self._jobs.pop(job_path, None)

    async def _unit_journal_tail(self, unit: str, lines: int = 8) -> str:
        try:
            argv = ["journalctl", "-u", unit, "-n", str(lines), "--no-pager", "-o", "cat"]
            proc = await asyncio.create_subprocess_exec(
                *self.command_prefix.wrap(argv),
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            out, _ = await asyncio.wait_for(proc.communicate(), 10)
        except (OSError, TimeoutError) as exc:
            return f"(its journal could not be read: {exc})"
        return out.decode("utf-8", "replace").strip()

    async def _do_start(self, name: str) -> None:
        unit = unit_of(name)
        what = f"boot {name}"
        bus = await self._systemd_bus(what)
        await self._subscribe_jobs(bus)
        (job,) = await self._manager(bus, "StartUnit", "ss", [unit, "replace"], what)
        result = await self._wait_job(str(job))
        if result != "done":
            tail = await self._unit_journal_tail(unit)
            raise HostError(f"{what}: {unit} {result}. Last lines of its journal:\n{tail}")

    async def _do_enable(self, name: str, enable: bool) -> None:
        unit = unit_of(name)
        what = f"{'enable' if enable else 'disable'} {name}"
        bus = await self._systemd_bus(what)
        if enable:
            await self._manager(bus, "EnableUnitFiles", "asbb", [[unit], False, False], what)
        else:
            await self._manager(bus, "DisableUnitFiles", "asb", [[unit], False], what)
        await self._manager(bus, "Reload", "", [], what)

    async def _do_set_limits(self, name: str, values: dict[str, str], runtime: bool) -> None:
        from nspawn_tui.units import limits

        parsed, errors = limits.validate_all(values)
        if errors:
            raise HostError("; ".join(errors.values()))
        what = f"set limits of {name}"
        bus = await self._systemd_bus(what)
        props = []
        for value in parsed.values():
            prop, sig, raw = value.to_dbus()
            props.append([prop, Variant(sig, raw)])
        await self._manager(
            bus, "SetUnitProperties", "sba(sv)", [unit_of(name), runtime, props], what
        )
        self._limits_changed(name)  # the table shows the new limit at the next refresh

    async def unit_properties(self, name: str) -> dict[str, Any]:
        """The container unit's Service properties (for the limits editor)."""
        bus = await self._systemd_bus(f"read limits of {name}")
        (path,) = await self._manager(bus, "LoadUnit", "s", [unit_of(name)], name)
        props = await du.get_all(bus, du.SYSTEMD1, str(path), "org.freedesktop.systemd1.Service")
        return props

    async def unit_limits(self, name: str) -> dict[str, str]:
        from nspawn_tui.units import limits

        props = await self.unit_properties(name)
        return {
            field.name: limits.format_limit(field.name, props[limits.DBUS_PROPERTY[field.name]])
            for field in limits.LIMIT_FIELDS
            if limits.DBUS_PROPERTY[field.name] in props
        }

    async def _settings_path(self, name: str) -> tuple[Path, bool]:
        from nspawn_tui.nspawn import settings as nspawn_file

        image_path: Path | None = None
        for image in await self.list_images():
            if image.name == name:
                image_path = Path(image.path)
        found = nspawn_file.find_settings(name, image_path)
        if found is not None:
            return found, True
        return nspawn_file.default_settings_path(name), False

    async def read_settings(self, name: str) -> SettingsText:
        from nspawn_tui.nspawn import settings as nspawn_file

        path, exists = await self._settings_path(name)
        try:
            text = await asyncio.to_thread(nspawn_file.read_settings, path) if exists else ""
        except nspawn_file.SettingsError as exc:
            raise HostError(str(exc)) from None
        return SettingsText(str(path), text, exists)

    async def _do_write_settings(self, name: str, text: str) -> str:
        from nspawn_tui.nspawn import settings as nspawn_file

        try:
            nspawn_file.parse_checked(text)
        except nspawn_file.SettingsError as exc:
            raise HostError(str(exc)) from None
        path, _exists = await self._settings_path(name)
        try:
            backup = await asyncio.to_thread(nspawn_file.write_atomic, path, text)
        except (OSError, nspawn_file.SettingsError) as exc:
            raise HostError(f"cannot write {path}: {exc}") from None
        kept = f" (previous version kept as {backup})" if backup else ""
        return f"wrote {path}{kept}; it takes effect at the next boot of {name}"

    # --------------------------------------------------------------- machine1

    async def _do_poweroff(self, name: str) -> None:
        await self._call(
            "KillMachine", "ssi", [name, "leader", SIGRTMIN_4], what=f"power off {name}"
        )

    async def _do_reboot(self, name: str) -> None:
        await self._call(
            "KillMachine", "ssi", [name, "leader", int(signal.SIGINT)], what=f"reboot {name}"
        )

    async def _do_terminate(self, name: str) -> None:
        await self._call("TerminateMachine", "s", [name], what=f"terminate {name}")

    async def _do_kill(self, name: str, signal_number: int, who: str) -> None:
        if who not in {"leader", "all"}:
            raise HostError(f"kill: 'who' must be leader or all, not {who!r}")
        await self._call("KillMachine", "ssi", [name, who, int(signal_number)], what=f"kill {name}")

    async def _do_open_shell(self, name: str, user: str, command: Sequence[str]) -> int:
        return await self._shell.open_shell(name, user, command)

    async def _do_open_login(self, name: str) -> int:
        return await self._shell.open_login(name)
