"""dnf's and pacstrap's (pacman's) own output as stages, package counts and one fraction.

Both say how many packages the transaction has before they fetch any:
dnf ``Install  N Packages`` in its summary, pacman ``Packages (N) ...``.
Without a terminal neither draws bars, and each then prints a line per step:

- dnf: ``Downloading Packages:``, one ``(i/N): NAME`` line per download (not
  for local repositories), ``Running transaction``, ``Installing : NAME i/N``,
  ``Verifying : NAME i/N`` and, at the end, ``Complete!``;
- pacman: ``:: Synchronizing package databases...``, ``:: Retrieving
  packages...`` with one `` NAME downloading...`` line per package, the
  checks (``checking keyring...``, ``checking package integrity...``),
  ``installing NAME...`` per package, ``:: Running post-transaction hooks...``.

The stages' shares of the fraction are rough (downloads dominate with a
remote mirror); the bar only ever moves forward.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from nspawn_tui.create.progress import Reading

Tool = Literal["dnf", "pacman"]

#: (stage, start of its share of the whole run); each ends where the next starts
_SHARES: Final[dict[str, float]] = {
    "Resolving": 0.0,
    "Downloading": 0.05,
    "Checking": 0.55,
    "Installing": 0.60,
    "Verifying": 0.92,
    "Finishing": 0.97,
}
_NEXT: Final = {a: b for a, b in zip(_SHARES, [*list(_SHARES)[1:], ""], strict=True)}

_DNF_TOTAL: Final = re.compile(r"^(?:Install|Upgrade)\s+(\d+)\s+Packages?\b")
_DNF_DOWNLOAD: Final = re.compile(r"^\((\d+)/(\d+)\):\s")
_DNF_STEP: Final = re.compile(r"^\s*(Installing|Verifying)\s*:\s.*?\s(\d+)/(\d+)\s*$")
_PACMAN_TOTAL: Final = re.compile(r"^Packages \((\d+)\)")
_PACMAN_DOWNLOAD: Final = re.compile(r"^\s*\S+ downloading\.\.\.$")
_PACMAN_INSTALL: Final = re.compile(r"^installing \S+\.\.\.$")
_PACMAN_CHECKS: Final = (
    "checking keyring...",
    "checking package integrity...",
    "loading package files...",
    "checking for file conflicts...",
)


class PackageProgress:
    """Feed the tool's lines (:meth:`feed`); read :meth:`reading` and :attr:`succeeded`."""

    def __init__(self, tool: Tool) -> None:
        self.tool = tool
        self.stage = "Resolving"
        self.done = 0
        self.total: int | None = None
        self.succeeded = False  # dnf: "Complete!"; pacman: its exit status says
        self._fraction = 0.0

    def _enter(self, stage: str) -> None:
        if stage != self.stage:
            self.stage, self.done = stage, 0

    def feed(self, line: str) -> bool:
        """Take one line; True when the reading changed."""
        before = (self.stage, self.done, self.total)
        if self.tool == "dnf":
            self._feed_dnf(line)
        else:
            self._feed_pacman(line.strip())
        return (self.stage, self.done, self.total) != before

    def _feed_dnf(self, line: str) -> None:
        if match := _DNF_TOTAL.match(line):
            self.total = int(match.group(1))
        elif line.startswith("Downloading Packages"):
            self._enter("Downloading")
        elif match := _DNF_DOWNLOAD.match(line):
            self._enter("Downloading")
            self.done, self.total = int(match.group(1)), int(match.group(2))
        elif line.startswith(("Running transaction check", "Running transaction test")):
            self._enter("Checking")
        elif match := _DNF_STEP.match(line):
            self._enter(match.group(1))
            self.done, self.total = int(match.group(2)), int(match.group(3))
        elif line.strip() == "Complete!":
            self._enter("Finishing")
            self.succeeded = True

    def _feed_pacman(self, line: str) -> None:
        if match := _PACMAN_TOTAL.match(line):
            self.total = int(match.group(1))
        elif line.startswith(":: Retrieving packages"):
            self._enter("Downloading")
        elif self.stage == "Downloading" and _PACMAN_DOWNLOAD.match(line):
            self.done += 1
        elif line in _PACMAN_CHECKS:
            self._enter("Checking")
        elif _PACMAN_INSTALL.match(line):
            self._enter("Installing")
            self.done += 1
        elif line.startswith(":: Running post-transaction hooks"):
            self._enter("Finishing")

    def reading(self) -> Reading:
        start = _SHARES[self.stage]
        following = _NEXT[self.stage]
        end = _SHARES[following] if following else 1.0
        part = min(self.done / self.total, 1.0) if self.total else 0.0
        self._fraction = max(self._fraction, start + (end - start) * part)
        total = self.total if self.stage in ("Downloading", "Installing", "Verifying") else None
        return Reading(self.stage, self.done, total, self._fraction)
