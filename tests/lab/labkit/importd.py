"""Real systemd-importd on a flat lab's private bus (``org.freedesktop.import1``).

Started like machined: ``/lib/systemd/systemd-importd`` with
``DBUS_SYSTEM_BUS_ADDRESS`` set to the lab's bus, tagged with the lab's
prefix (so a crashed session's sweep finds it), in its own session, logging
to the lab's state directory.  importd exits by itself after about 30 s
without a transfer; :meth:`Importd.ensure` starts it again when it did.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from .common import LabError, run, tag_env, tail, wait_for
from .flat import FlatLab

IMPORTD = Path("/lib/systemd/systemd-importd")
IMPORT1 = "org.freedesktop.import1"


class Importd:
    """One importd process on ``lab``'s bus at a time."""

    def __init__(self, lab: FlatLab) -> None:
        self.lab = lab
        self.log = lab.state_dir / "importd.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def on_bus(self) -> bool:
        """Whether org.freedesktop.import1 has an owner on the lab's bus."""
        result = run(
            ["busctl", f"--address={self.lab.bus_address}", "call", "org.freedesktop.DBus",
             "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner", "s", IMPORT1],
            timeout=10,
        )  # fmt: skip
        return result.returncode == 0 and result.stdout.strip() == "b true"

    def transfers(self) -> list[str]:
        """Local names of importd's running transfers (ListTransfers)."""
        result = run(
            ["busctl", f"--address={self.lab.bus_address}", "--json=short", "call", IMPORT1,
             "/org/freedesktop/import1", "org.freedesktop.import1.Manager", "ListTransfers"],
            timeout=10,
        )  # fmt: skip
        if result.returncode != 0:
            return []
        rows = json.loads(result.stdout)["data"][0]
        return [str(row[3]) for row in rows]  # (id, type, remote, local, progress, path)

    def workers(self) -> list[int]:
        """PIDs of importd's children: one ``systemd-import``/``systemd-export`` per transfer."""
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return []
        try:
            text = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text()
        except FileNotFoundError:
            return []
        return [int(pid) for pid in text.split()]

    def ensure(self) -> None:
        """Start importd unless it runs (it exits when idle for a while)."""
        if self._proc is not None and self._proc.poll() is None and self.on_bus():
            return
        self.stop()
        if not IMPORTD.exists():
            raise LabError(f"{IMPORTD} is missing (apt-get install systemd-container)")
        with open(self.log, "ab") as log:
            self._proc = subprocess.Popen(
                [str(IMPORTD)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=tag_env(self.lab.prefix, self.lab.env),
                start_new_session=True,
            )
        proc = self._proc

        def answers() -> bool | None:
            if proc.poll() is not None:
                raise LabError(f"importd exited with status {proc.returncode}:\n{tail(self.log)}")
            return True if self.on_bus() else None

        wait_for(answers, timeout=15, what="importd on the private bus")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        wait_for(lambda: None if self.on_bus() else True, timeout=10, what="importd to leave")
