"""systemd-nspawn's own files: ``.nspawn`` settings (systemd.nspawn(5)).

Owns :mod:`.settings` (finding, parsing, editing and atomically writing a
machine's ``.nspawn`` file while keeping comments, order and repeated keys)
and :mod:`.keys` (the keys systemd 252 knows, with their value checks).  It
may import the standard library and :mod:`nspawn_tui.units` (the CPU list
syntax shared with ``AllowedCPUs=``); never Textual, never a Host.
"""
