"""Processes of machined's machines: the machine's cgroup (as the metrics found it) and psutil.

A mixin of :class:`~nspawn_tui.host.machined.host.MachinedHost`.  The cgroup
comes from the host's :class:`~nspawn_tui.host.machined.metrics.MetricsSource`
(the unit's ``ControlGroup``, or the leader's ``/proc/PID/cgroup``); the
walk and the psutil reads (:mod:`nspawn_tui.procs`) run in a worker thread.
The read-only check is done by :meth:`Host.signal_process`, not here.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from nspawn_tui import cgroups
from nspawn_tui.host.base import HostError, Machine, NoSuchMachine
from nspawn_tui.safe import clean
from nspawn_tui.units.names import signal_name

if TYPE_CHECKING:
    # nspawn_tui.procs loads when processes are first asked for, not before the
    # dashboard's first frame (benchmarks/README.md).
    from dbus_next.aio import MessageBus

    from nspawn_tui.host.machined.metrics import MetricsSource
    from nspawn_tui.host.processes import ProcessTable
    from nspawn_tui.procs.reader import ProcessReader


class MachinedProcesses:
    """Mixin of :class:`~nspawn_tui.host.machined.host.MachinedHost`: ``processes()``, signals.

    Needs ``_call()``, ``_machine_props()``, ``_systemd_if_any()`` and
    ``_metrics`` from the host.
    """

    #: Set on first use (the host's ``__init__`` is not ours).
    _procs_reader: ProcessReader | None = None
    #: The cgroup mounts; found on first use when None (tests may set it).
    _procs_layout: cgroups.CgroupLayout | None = None

    if TYPE_CHECKING:
        _metrics: MetricsSource

        async def _call(
            self,
            member: str,
            signature: str = "",
            body: list[Any] | None = None,
            *,
            what: str | None = None,
        ) -> list[Any]: ...

        async def _machine_props(self, path: str) -> dict[str, Any]: ...

        async def _systemd_if_any(self) -> MessageBus | None: ...

    async def processes(self, name: str) -> ProcessTable:
        """Every process of the running machine ``name``, by cgroup, CPU % since the last call."""
        from nspawn_tui.host.processes import ProcessTable
        from nspawn_tui.procs.reader import ProcessReader

        if self._procs_reader is None:
            self._procs_reader = ProcessReader()
        reader = self._procs_reader
        try:
            relative, directory = await self._machine_cgroup(name, f"processes of {name}")
        except NoSuchMachine:
            reader.forget(name)
            raise
        if relative is None:
            return ProcessTable(
                name, None, error=f"the control group of {clean(name)} is not known"
            )
        return await asyncio.to_thread(reader.read, name, relative, directory)

    async def _do_signal_process(self, name: str, pid: int, signal: int) -> None:
        from nspawn_tui.procs.kill import NotInCgroup, send_signal

        what = f"SIG{signal_name(signal)} to process {pid} of {name}"
        _relative, directory = await self._machine_cgroup(name, what)
        if directory is None:
            raise HostError(f"{what}: the machine's control group was not found")
        try:
            await asyncio.to_thread(send_signal, directory, pid, signal)
        except NotInCgroup:
            raise HostError(
                f"{what} refused: the process is not in the machine's control group "
                "(it may have ended)"
            ) from None
        except ProcessLookupError:
            raise HostError(f"{what}: the process has already ended") from None
        except PermissionError:
            raise HostError(f"{what}: permission denied (run nspawn-tui as root)") from None
        except FileNotFoundError:
            raise HostError(f"{what}: the machine's control group is gone") from None
        except ValueError as exc:
            raise HostError(f"{what} refused: {exc}") from None
        except OSError as exc:
            raise HostError(f"{what} failed: {exc.strerror or exc}") from None

    async def _machine_cgroup(self, name: str, what: str) -> tuple[str | None, str | None]:
        """The running machine's cgroup, relative to the root, and the directory to walk."""
        from nspawn_tui.procs.tree import machine_directory

        (path,) = await self._call("GetMachine", "s", [name], what=what)
        props = await self._machine_props(str(path))
        machine = Machine(
            name=name,
            machine_class=str(props.get("Class", "")),
            state=str(props.get("State", "")),
            leader=int(props.get("Leader") or 0) or None,
            unit=str(props.get("Unit", "")),
        )
        found = await self._metrics.cgroup(machine, await self._systemd_if_any())
        if found is None:
            return None, None
        if self._procs_layout is None:
            self._procs_layout = await asyncio.to_thread(cgroups.detect_layout)
        layout = self._procs_layout
        relative = cgroups.relative_path(layout, found)
        directory = await asyncio.to_thread(machine_directory, cgroups.paths_for(layout, relative))
        return relative, directory
