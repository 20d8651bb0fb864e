"""Simulated processes of the demo's machines: the list and the signals.

A mixin of :class:`~nspawn_tui.host.demo.host.DemoHost`.  The trees and the
share of each process are in :mod:`.process_tree`, loaded when processes are
first asked for (not before the dashboard's first frame).  Signals change the
simulation: a stopped process shows as stopped, an ended one is gone, and the
supervisor's end powers the machine off.
"""

from __future__ import annotations

import signal as signals
from typing import TYPE_CHECKING

from nspawn_tui.host.base import HostError, NoSuchMachine
from nspawn_tui.units.names import signal_name

if TYPE_CHECKING:
    from nspawn_tui.host.demo.process_tree import Live, Proc
    from nspawn_tui.host.demo.sim import SimMachine
    from nspawn_tui.host.processes import ProcessTable


class DemoProcesses:
    """Mixin of :class:`~nspawn_tui.host.demo.host.DemoHost`: ``processes()``, signals."""

    seed: int
    _elapsed: float
    _simulated_to: float
    _monotonic_base: float
    #: signal effects per machine; created on first use
    _proc_live: dict[str, Live] | None = None

    if TYPE_CHECKING:

        def _get(self, name: str) -> SimMachine: ...

        def _pump_clock(self) -> None: ...

        def _simulate(self) -> None: ...

        def _later(self, name: str, state: str) -> None: ...

    async def processes(self, name: str) -> ProcessTable:
        from nspawn_tui.host.demo import process_tree

        m = self._running_sim(name)
        self._pump_clock()
        self._simulate()
        procs = self._alive(name, m)
        stopped = self._live(name, m).stopped
        timestamp = self._monotonic_base + self._simulated_to
        return process_tree.table(name, m, procs, stopped, self._elapsed, timestamp)

    async def _do_signal_process(self, name: str, pid: int, signal: int) -> None:
        from nspawn_tui.host.demo.process_tree import ENDING

        what = f"SIG{signal_name(signal)} to process {pid} of {name}"
        m = self._running_sim(name)
        procs = {p.pid: p for p in self._alive(name, m)}
        proc = procs.get(pid)
        if proc is None:
            raise HostError(
                f"{what} refused: the process is not in the machine's control group "
                "(it may have ended)"
            )
        live = self._live(name, m)
        if signal == signals.SIGSTOP:
            live.stopped.add(pid)
        elif signal == signals.SIGCONT:
            live.stopped.discard(pid)
        elif signal in ENDING:
            if proc.spec.group == "/supervisor" or (proc.ns_pid == 1 and signal == signals.SIGKILL):
                self._later(name, "stopped")  # the container goes with them
                return
            if proc.ns_pid == 1:
                return  # init ignores it (systemd: SIGTERM re-executes, SIGINT reboots)
            ending = {pid}
            for other in procs.values():  # its children go with it (in list order)
                if other.ppid in ending:
                    ending.add(other.pid)
            live.ended |= ending
            live.stopped -= ending

    # -- the simulation ----------------------------------------------------------

    def _running_sim(self, name: str) -> SimMachine:
        m = self._get(name)
        if not m.running or m.leader is None:
            raise NoSuchMachine(f"{name} is not running")
        return m

    def _live(self, name: str, m: SimMachine) -> Live:
        from nspawn_tui.host.demo.process_tree import Live

        if self._proc_live is None:
            self._proc_live = {}
        live = self._proc_live.get(name)
        if live is None or live.leader != m.leader:
            live = self._proc_live[name] = Live(m.leader)  # booted again: a fresh tree
        return live

    def _alive(self, name: str, m: SimMachine) -> list[Proc]:
        from nspawn_tui.host.demo.process_tree import tree_of

        ended = self._live(name, m).ended
        return [p for p in tree_of(self.seed, name, m) if p.pid not in ended]
