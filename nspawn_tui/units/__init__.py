"""systemd's units as nspawn-tui drives them: names, signals and resource-control values.

Owns :mod:`.names` (the one place that says a container's unit is
``systemd-nspawn@NAME.service``, that power off is ``SIGRTMIN+4``, and what
``machinectl``/``systemctl`` command each action equals) and :mod:`.limits`
(the syntax of ``MemoryMax=``, ``CPUQuota=``, ``TasksMax=`` ...: parse,
validate, format).  It may import the standard library only.
"""

from __future__ import annotations

from typing import Final

#: systemd's "infinity" for a 64-bit property (no limit).  Named here rather
#: than in :mod:`.limits` so that code showing a value need not load the
#: limits' parsers before the dashboard's first frame.
UINT64_MAX: Final = 2**64 - 1
