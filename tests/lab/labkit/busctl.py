"""Small synchronous machined queries over a given bus, with busctl --json."""

from __future__ import annotations

import json
from typing import Any

from .common import LabError, run

MACHINE1 = "org.freedesktop.machine1"
MANAGER_PATH = "/org/freedesktop/machine1"
MANAGER_IFACE = "org.freedesktop.machine1.Manager"
MACHINE_IFACE = "org.freedesktop.machine1.Machine"


class Busctl:
    def __init__(self, address: str) -> None:
        self.address = address

    def _json(self, *args: str) -> list[Any] | None:
        """Run busctl; the parsed JSON lines, or None when the call failed."""
        result = run(["busctl", f"--address={self.address}", "--json=short", *args], timeout=10)
        if result.returncode != 0:
            return None
        return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]

    def list_machines(self) -> list[str] | None:
        """Names of registered machines, None when machined does not answer."""
        reply = self._json("call", MACHINE1, MANAGER_PATH, MANAGER_IFACE, "ListMachines")
        if reply is None:
            return None
        return [entry[0] for entry in reply[0]["data"][0]]

    def machine(self, name: str, *props: str) -> dict[str, Any] | None:
        """Properties of a registered machine, None when it is not registered."""
        reply = self._json("call", MACHINE1, MANAGER_PATH, MANAGER_IFACE, "GetMachine", "s", name)
        if reply is None:
            return None
        path = reply[0]["data"][0]
        values = self._json("get-property", MACHINE1, path, MACHINE_IFACE, *props)
        if values is None:
            return None
        return {prop: value["data"] for prop, value in zip(props, values, strict=True)}

    def require_machines(self) -> list[str]:
        names = self.list_machines()
        if names is None:
            raise LabError(f"machined does not answer on {self.address}")
        return names
