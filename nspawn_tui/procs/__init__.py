"""A machine's processes: its cgroup tree (``cgroup.procs`` per sub-cgroup) and psutil.

Owns reading the process tree of one container (host PID and NSpid, user,
CPU %, RSS, state, start time, command line) and the CPU deltas between
reads: :mod:`.tree` (which hierarchy's directory to walk, the walk in the
order ``machinectl status`` shows), :mod:`.reader` (:class:`~.reader.ProcessReader`:
psutil per process, CPU % since the previous read, cleaned command lines and
user names) and :mod:`.kill` (a signal to a process only while it is in the
machine's cgroup).  It may import psutil, :mod:`nspawn_tui.cgroups` (where a
machine's cgroup is), the Host's types that it fills (:mod:`nspawn_tui.host.base`,
:mod:`nspawn_tui.host.events`, :mod:`nspawn_tui.host.images`,
:mod:`nspawn_tui.host.network`, :mod:`nspawn_tui.host.processes`) and
:mod:`nspawn_tui.safe`; never Textual, never D-Bus.
"""
