"""Move this process into cgroups, then exec a program (keeps the PID).

Usage: python launcher.py CGROUP_PROCS_FILE... -- PROGRAM [ARG...]

Used to start ``systemd-nspawn`` inside ``machine.slice/systemd-nspawn@NAME.service``
(machined derives the unit from the cgroup) and CPU burners charged to a
container's cgroup (``nsenter`` does not enter cgroups).
"""

from __future__ import annotations

import os
import sys


def main(args: list[str]) -> None:
    split = args.index("--")
    procs_files, argv = args[:split], args[split + 1 :]
    pid = str(os.getpid())
    for path in procs_files:
        with open(path, "w", encoding="ascii") as stream:
            stream.write(pid)
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1:])
