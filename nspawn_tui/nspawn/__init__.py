"""systemd-nspawn's own files: ``.nspawn`` settings (systemd.nspawn(5)).

Owns :mod:`.settings` (finding, parsing, editing and atomically writing a
machine's ``.nspawn`` file while keeping comments, order and repeated keys)
and :mod:`.keys` (the keys systemd 252 knows, with their value checks).  It
may import the standard library and :mod:`nspawn_tui.units` (the CPU list
syntax shared with ``AllowedCPUs=``); never Textual, never a Host.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

#: Where systemd-nspawn finds a machine's persistent ``.nspawn`` file.  Named
#: here rather than in :mod:`.settings` so that a host can say where without
#: loading the parser before the dashboard's first frame.
ETC_DIR: Final = Path("/etc/systemd/nspawn")
