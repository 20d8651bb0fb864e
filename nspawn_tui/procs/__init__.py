"""A machine's processes: its cgroup tree (``cgroup.procs`` per sub-cgroup) and psutil.

Owns reading the process tree of one container (host PID and NSpid, user,
CPU %, RSS, state, start time, command line) and the CPU deltas between
reads.  It may import psutil, :mod:`nspawn_tui.cgroups` (where a machine's
cgroup is), the Host's types that it fills (:mod:`nspawn_tui.host.base`, :mod:`nspawn_tui.host.events`,
:mod:`nspawn_tui.host.images`, :mod:`nspawn_tui.host.network`,
:mod:`nspawn_tui.host.processes`) and :mod:`nspawn_tui.safe`; never Textual,
never D-Bus.
"""
