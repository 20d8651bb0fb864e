"""The real host: systemd-machined and systemd's manager over D-Bus, cgroup files, journalctl.

Owns :mod:`.host` (:class:`~.host.MachinedHost`, the :class:`Host` of a
real container host) and the seams a remote host will reuse: :mod:`.bus`
(the D-Bus transport: how a bus is reached, calls, error translation),
:mod:`.metrics` (where figures come from: local cgroup files today),
:mod:`.logs` (journal sources: a ``journalctl`` command line a prefix can
wrap) and :mod:`.actions` (lifecycle actions, limits, settings and the
shell attach: a PTY passed over D-Bus).  It may import dbus-next, psutil,
:mod:`nspawn_tui.cgroups`, :mod:`nspawn_tui.journal`,
:mod:`nspawn_tui.nspawn`, :mod:`nspawn_tui.units` and
:mod:`nspawn_tui.safe`; never Textual.  Only ``cli.py`` imports it.
"""
