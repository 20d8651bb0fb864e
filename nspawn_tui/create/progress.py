"""debootstrap's own output as stages, package counts and one fraction over the whole run.

debootstrap (without ``--debian-installer``, which is not for use by hand)
says what it does in ``I:`` lines: ``Retrieving PKG VERSION`` and
``Validating PKG VERSION`` per download, ``Extracting PKG...`` for the
required packages, then ``Unpacking``/``Configuring`` per package, first of
the required packages, then of the base system.  It never prints how many
packages it resolved (only extra dependencies, sometimes), so the download
stage has no total; the required set is known once extracted (its unpack and
configure stages count against it) and the base set is what was retrieved
beyond it.  The overall fraction weighs the stages by their share of a
recorded run; during the download it estimates the total from
:data:`EXPECTED_PACKAGES` (growing past it when more arrive).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

#: Packages a bookworm minbase with systemd and dbus retrieves (the recorded run: 108).
EXPECTED_PACKAGES: Final = 110
#: Start of each phase in the overall fraction (and 1.0 at the end).
WEIGHTS: Final = {
    "preparing": 0.0,
    "retrieving": 0.05,
    "extracting": 0.45,
    "unpacking-required": 0.55,
    "configuring-required": 0.70,
    "unpacking-base": 0.85,
    "configuring-base": 0.90,
    "done": 1.0,
}
_ORDER: Final = tuple(WEIGHTS)
_INFO: Final = re.compile(r"^I: (\w+) (.*)$")
_METADATA: Final = frozenset({"InRelease", "Release", "Release.gpg", "Packages", "Packages.xz",
                              "Packages.gz"})  # fmt: skip
_STAGE: Final = {
    "Retrieving": "Retrieving",
    "Validating": "Validating",
    "Extracting": "Extracting",
    "Unpacking": "Unpacking",
    "Configuring": "Configuring",
}


@dataclass(frozen=True)
class Reading:
    """Where debootstrap is: its stage's word, packages done and of how many, overall."""

    stage: str
    done: int
    total: int | None
    fraction: float


class DebootstrapProgress:
    """Feed debootstrap's lines one by one (:meth:`feed`); read :meth:`reading`."""

    def __init__(self, expected: int = EXPECTED_PACKAGES) -> None:
        self.expected = expected
        self.phase = "preparing"
        self.stage = "Preparing"
        self.retrieved: list[str] = []
        self.validated = 0
        self.extracted = 0
        self.count = 0  # packages done in the current unpack/configure phase
        self.succeeded = False

    @property
    def required(self) -> int:
        return self.extracted

    @property
    def base(self) -> int:
        return max(0, len(self.retrieved) - self.extracted)

    def feed(self, line: str) -> bool:
        """Take one line of output; True when it moved the progress."""
        match = _INFO.match(line.strip())
        if match is None:
            return False
        verb, rest = match.groups()
        if verb == "Base" and rest.startswith("system installed successfully"):
            self._enter("done", "Installed")
            self.succeeded = True
            return True
        if verb == "Installing" and rest.startswith("core packages"):
            return False
        if verb in ("Unpacking", "Configuring") and rest.endswith("packages..."):
            self._enter(f"{verb.lower()}-required", verb)  # "Unpacking required packages..."
            return True
        if verb in ("Unpacking", "Configuring") and rest.startswith("the base system"):
            self._enter(f"{verb.lower()}-base", verb)
            return True
        name = rest.split()[0].rstrip(".") if rest.split() else ""
        if verb in ("Retrieving", "Validating"):
            if name in _METADATA or not name:
                return False
            self._enter("retrieving", _STAGE[verb])
            if verb == "Retrieving":
                self.retrieved.append(name)
            else:
                self.validated += 1
            return True
        if verb == "Extracting":
            self._enter("extracting", "Extracting")
            self.extracted += 1
            return True
        if verb in ("Unpacking", "Configuring") and self.phase.startswith(verb.lower()):
            self.count += 1
            self.stage = verb
            return True
        return False

    def _enter(self, phase: str, stage: str) -> None:
        if phase != self.phase and _ORDER.index(phase) >= _ORDER.index(self.phase):
            self.phase = phase
            self.count = 0
        self.stage = stage

    def _done_total(self) -> tuple[int, int | None]:
        if self.phase == "retrieving":
            done = self.validated if self.stage == "Validating" else len(self.retrieved)
            return done, None
        if self.phase == "extracting":
            return self.extracted, None
        if self.phase.endswith("-required"):
            return min(self.count, self.required), self.required
        if self.phase.endswith("-base"):
            return min(self.count, self.base), self.base
        if self.phase == "done":
            return len(self.retrieved), len(self.retrieved)
        return 0, None

    def _within(self) -> float:
        """How far into the current phase, 0..1."""
        if self.phase == "retrieving":
            estimate = max(self.expected, len(self.retrieved) + 1)
            return min(1.0, (len(self.retrieved) + self.validated) / (2 * estimate))
        if self.phase == "extracting":
            return min(1.0, self.extracted / max(1, len(self.retrieved)))
        done, total = self._done_total()
        if total:
            return min(1.0, done / total)
        return 0.0

    def reading(self) -> Reading:
        done, total = self._done_total()
        start = WEIGHTS[self.phase]
        if self.phase == "done":
            return Reading(self.stage, done, total, 1.0)
        end = WEIGHTS[_ORDER[_ORDER.index(self.phase) + 1]]
        return Reading(self.stage, done, total, start + (end - start) * self._within())
