"""The real host: systemd-machined and systemd's manager over D-Bus, cgroup files, journalctl.

Owns :mod:`.host` (:class:`~.host.MachinedHost`, the :class:`Host` of a
real container host), :mod:`.bus` (D-Bus calls, property reads, error
translation), :mod:`.actions` (lifecycle actions, limits, settings) and the
seams a remote host will reuse, each a small typed interface with today's
implementation behind it: :mod:`.transport` (how the bus is reached: the
system bus or ``--bus`` today), :mod:`.metrics` (where figures come from:
local cgroup files today), :mod:`.logs` (journal sources: every
``journalctl`` command line goes through a :class:`~.logs.CommandPrefix`,
empty today), :mod:`.attach` (shell and login: a PTY passed over D-Bus
today) and :mod:`.stats` (the host's own CPU and memory: psutil today); the capabilities :mod:`.network` (netlink through
:mod:`nspawn_tui.net`), :mod:`.processes` (through :mod:`nspawn_tui.procs`)
and :mod:`.images` (machined's image calls, checked with
:mod:`nspawn_tui.images`) with :mod:`.importd` (importd's calls and
signals) and :mod:`.import_transfer` (a transfer through a pipe we count,
loaded when one starts), and :mod:`.create` (creating containers, run by
:mod:`nspawn_tui.create`).  It may import dbus-next (through :mod:`nspawn_tui.dbus` for the bus itself), psutil, :mod:`nspawn_tui.cgroups`,
:mod:`nspawn_tui.journal`, :mod:`nspawn_tui.nspawn`, :mod:`nspawn_tui.units`
and :mod:`nspawn_tui.safe`; never Textual.  Only ``cli.py`` and :mod:`nspawn_tui.remote` (which fills
its seams over SSH) import it.
"""
